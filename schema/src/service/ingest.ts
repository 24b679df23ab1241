import { requireClient, requireScope } from '../auth.js';
import { catalogue, type Metric } from '../catalogue.js';
import type { Context, SeriesPoint, Stat } from '../context.js';
import { AppError, badInput } from '../errors.js';

/** One window of one client, as `reportMetrics` and `POST /api/v1/metrics` receive it. */
export interface ReportInput {
  clientId: string;
  windowStart: Date;
  windowEnd: Date;
  /** Samples per series in the window. */
  observations: number;
  hostname?: string | null;
  osType?: string | null;
  osVersion?: string | null;
  cpu?: { utilization: Stat; cores?: readonly Stat[] | null } | null;
  memory?: {
    usedRatio?: Stat | null;
    usedBytes?: Stat | null;
    totalBytes?: number | null;
    swapUsedRatio?: Stat | null;
    swapUsedBytes?: Stat | null;
  } | null;
  load?: { load1?: Stat | null; load5?: Stat | null; load15?: Stat | null } | null;
  network?: { rxBytesPerSecond?: Stat | null; txBytesPerSecond?: Stat | null } | null;
  disk?: {
    readBytesPerSecond?: Stat | null;
    writeBytesPerSecond?: Stat | null;
    filesystemUsedRatio?: Stat | null;
  } | null;
}

export interface ReportAck {
  clientId: string;
  windowStart: Date;
  windowEnd: Date;
  /** Series windows stored by this report. */
  points: number;
}

/**
 * Validates one report, stores its windows and registers its client; resolves only after both stores
 * committed. Nothing of an invalid report, or of one for a client the token is not bound to, is stored.
 * Re-sending the same window overwrites it.
 */
export async function reportMetrics(ctx: Context, input: ReportInput, prefix = 'input'): Promise<ReportAck> {
  requireScope(ctx, 'ingest');
  const points = toPoints(ctx, input, prefix);
  requireClient(ctx, input.clientId, `${prefix}.clientId`);
  await Promise.all([
    ctx.metrics.write(points),
    ctx.state.recordSighting({
      id: input.clientId,
      hostname: input.hostname ?? null,
      osType: input.osType ?? null,
      osVersion: input.osVersion ?? null,
      coreCount: input.cpu?.cores?.length || null,
      seenAt: input.windowEnd.getTime(),
    }),
  ]);
  ctx.live.reported({
    clientId: input.clientId,
    windowStart: input.windowStart.getTime(),
    windowEnd: input.windowEnd.getTime(),
    observations: input.observations,
    points,
  });
  return {
    clientId: input.clientId,
    windowStart: input.windowStart,
    windowEnd: input.windowEnd,
    points: points.length,
  };
}

/**
 * Samples per series in one window: GraphQL's `Int` bounds it already; the REST shim takes any safe integer.
 * Stores add counts up as 64-bit integers, so a larger count per window could overflow a fleet-wide sum.
 */
const MAX_OBSERVATIONS = 2_147_483_647;

/** Checks every rule and turns the report into series points; throws on the first problem. */
export function toPoints(
  ctx: Pick<Context, 'clock' | 'limits'>,
  input: ReportInput,
  prefix: string,
): SeriesPoint[] {
  const { limits } = ctx;
  const at = (name: string) => `${prefix}.${name}`;
  checkString(input.clientId, at('clientId'), limits.maxStringLength, true);
  // InfluxDB's line protocol reads a backslash in a tag value as an escape: such an id cannot be stored as is.
  if (input.clientId.includes('\\')) throw badInput(at('clientId'), 'must not contain backslashes');
  for (const name of ['hostname', 'osType', 'osVersion'] as const) {
    checkString(input[name], at(name), limits.maxStringLength, false);
  }
  const start = input.windowStart.getTime();
  const end = input.windowEnd.getTime();
  if (end < start) {
    throw new AppError('INVALID_TIME_RANGE', `${at('windowEnd')}: the window ends before it starts`, {
      field: at('windowEnd'),
    });
  }
  if (end > ctx.clock.now() + limits.maxFutureSkew) {
    throw badInput(
      at('windowEnd'),
      'lies more than a day in the future; check the clock of the reporting host',
    );
  }
  if (
    !Number.isSafeInteger(input.observations) ||
    input.observations < 1 ||
    input.observations > MAX_OBSERVATIONS
  ) {
    throw badInput(at('observations'), `must be a whole number from 1 to ${MAX_OBSERVATIONS}`);
  }

  const points: SeriesPoint[] = [];
  const add = (metric: Metric, stat: Stat, field: string, core: number | null = null) => {
    checkStat(metric, stat, field);
    points.push({
      clientId: input.clientId,
      metric,
      core,
      windowStart: start,
      windowEnd: end,
      count: input.observations,
      ...stat,
    });
  };
  const addValue = (metric: Metric, value: number, field: string) =>
    add(metric, { mean: value, variance: 0, min: value, max: value }, field);

  const { cpu, memory, load, network, disk } = input;
  if (cpu) {
    add('CPU_UTILIZATION', cpu.utilization, at('cpu.utilization'));
    const cores = cpu.cores ?? [];
    if (cores.length > limits.maxCores) {
      throw badInput(
        at('cpu.cores'),
        `has ${cores.length} entries, more than the ${limits.maxCores} allowed`,
      );
    }
    for (const [core, stat] of cores.entries())
      add('CPU_CORE_UTILIZATION', stat, at(`cpu.cores[${core}]`), core);
    if (cores.length > 0) {
      const means = cores.map((c) => c.mean);
      const variances = cores.map((c) => c.variance);
      addValue('CPU_CORE_UTILIZATION_MAX', Math.max(...means), at('cpu.cores'));
      addValue('CPU_CORE_UTILIZATION_MIN', Math.min(...means), at('cpu.cores'));
      addValue('CPU_CORE_VARIANCE_MAX', Math.max(...variances), at('cpu.cores'));
      addValue('CPU_CORE_VARIANCE_MIN', Math.min(...variances), at('cpu.cores'));
    }
  }
  if (memory) {
    if (memory.usedRatio) add('MEMORY_USED_RATIO', memory.usedRatio, at('memory.usedRatio'));
    if (memory.usedBytes) add('MEMORY_USED_BYTES', memory.usedBytes, at('memory.usedBytes'));
    if (memory.totalBytes != null) addValue('MEMORY_TOTAL_BYTES', memory.totalBytes, at('memory.totalBytes'));
    if (memory.swapUsedRatio) add('SWAP_USED_RATIO', memory.swapUsedRatio, at('memory.swapUsedRatio'));
    if (memory.swapUsedBytes) add('SWAP_USED_BYTES', memory.swapUsedBytes, at('memory.swapUsedBytes'));
  }
  if (load) {
    if (load.load1) add('LOAD_1', load.load1, at('load.load1'));
    if (load.load5) add('LOAD_5', load.load5, at('load.load5'));
    if (load.load15) add('LOAD_15', load.load15, at('load.load15'));
  }
  if (network) {
    if (network.rxBytesPerSecond)
      add('NETWORK_RX_BYTES_PER_SECOND', network.rxBytesPerSecond, at('network.rxBytesPerSecond'));
    if (network.txBytesPerSecond)
      add('NETWORK_TX_BYTES_PER_SECOND', network.txBytesPerSecond, at('network.txBytesPerSecond'));
  }
  if (disk) {
    if (disk.readBytesPerSecond)
      add('DISK_READ_BYTES_PER_SECOND', disk.readBytesPerSecond, at('disk.readBytesPerSecond'));
    if (disk.writeBytesPerSecond)
      add('DISK_WRITE_BYTES_PER_SECOND', disk.writeBytesPerSecond, at('disk.writeBytesPerSecond'));
    if (disk.filesystemUsedRatio)
      add('FILESYSTEM_USED_RATIO', disk.filesystemUsedRatio, at('disk.filesystemUsedRatio'));
  }
  return points;
}

function checkString(value: string | null | undefined, field: string, max: number, required: boolean): void {
  if (value == null) {
    if (required) throw badInput(field, 'field is required');
    return;
  }
  if (required && value.length === 0) throw badInput(field, 'must not be empty');
  if (value.length > max)
    throw badInput(field, `is ${value.length} characters long, more than the ${max} allowed`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) throw badInput(field, 'must not contain control characters');
}

function checkStat(metric: Metric, stat: Stat, field: string): void {
  const [low, high] = catalogue[metric].range;
  for (const key of ['mean', 'min', 'max'] as const) {
    const value = stat[key];
    if (!Number.isFinite(value)) throw badInput(`${field}.${key}`, 'must be a finite number');
    if (value < low || value > high) {
      throw badInput(`${field}.${key}`, `${value} is outside ${low}..${high} (${catalogue[metric].unit})`);
    }
  }
  if (!Number.isFinite(stat.variance) || stat.variance < 0) {
    throw badInput(`${field}.variance`, 'must be a finite number of at least 0');
  }
  // Samples within [low, high] have a variance of at most ((high - low) / 2)^2 (Popoviciu's inequality).
  // A larger one cannot come from real samples, and pooling it with counts overflows to Infinity.
  const maxVariance = ((high - low) / 2) ** 2;
  if (stat.variance > maxVariance * (1 + 1e-9)) {
    throw badInput(
      `${field}.variance`,
      `${stat.variance} is more than ${maxVariance}, the largest variance of values within ${low}..${high}`,
    );
  }
  // Rounding in the agent may put the mean a hair outside [min, max]; anything more is a broken report.
  const slack = 1e-9 * Math.max(1, Math.abs(stat.max), Math.abs(stat.min));
  if (stat.min > stat.max + slack) throw badInput(`${field}.min`, 'is larger than max');
  if (stat.mean < stat.min - slack || stat.mean > stat.max + slack) {
    throw badInput(`${field}.mean`, 'must lie between min and max');
  }
}
