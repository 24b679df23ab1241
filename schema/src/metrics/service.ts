import {
  catalogue,
  type Metric,
  type MetricSpec,
  metricNames,
  type ReportGroup,
} from '@metrics-collector/common/catalogue';
import { requireClient, requireScope } from '../auth.js';
import type { Context } from '../context.js';
import { AppError, badInput } from '../errors.js';
import { checkString } from '../limits.js';
import type { ReportAck, ReportFieldNames, ReportInput, SeriesField, SeriesPoint, Stat } from './types.js';

/** The fields as `reportMetrics(input: ...)` names them: `input.clientId`, `input.cpu.cores[3].mean`. */
export const reportInputNames: ReportFieldNames = {
  clientId: 'input.clientId',
  windowStart: 'input.windowStart',
  windowEnd: 'input.windowEnd',
  observations: 'input.observations',
  hostname: 'input.hostname',
  osType: 'input.osType',
  osVersion: 'input.osVersion',
  series: ({ path, core, stat }) =>
    `input.${path}${core === undefined ? '' : `[${core}]`}${stat === undefined ? '' : `.${stat}`}`,
};

/**
 * Validates one report, stores its windows and registers its client; resolves only after both stores
 * committed. Nothing of an invalid report, or of one for a client the token is not bound to, is stored.
 * Re-sending the same window overwrites it. Errors name the fields as `names` does (the GraphQL input's
 * paths unless the caller says otherwise).
 */
export async function reportMetrics(
  ctx: Context,
  input: ReportInput,
  names: ReportFieldNames = reportInputNames,
): Promise<ReportAck> {
  let points: SeriesPoint[] = [];
  try {
    requireScope(ctx, 'ingest');
    points = toPoints(ctx, input, names);
    requireClient(ctx, input.clientId, names.clientId);
    await store(ctx, input, points);
  } catch (error) {
    ctx.reports?.refused(error instanceof AppError ? error.code : undefined, points.length);
    throw error;
  }
  ctx.reports?.stored(points.length);
  return {
    clientId: input.clientId,
    windowStart: input.windowStart,
    windowEnd: input.windowEnd,
    points: points.length,
  };
}

/** Commits the points and the client's sighting, then announces the window. */
async function store(ctx: Context, input: ReportInput, points: SeriesPoint[]): Promise<void> {
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
}

/**
 * Samples per series in one window: GraphQL's `Int` bounds it already; the REST shim takes any safe integer.
 * Stores add counts up as 64-bit integers, so a larger count per window could overflow a fleet-wide sum.
 */
const MAX_OBSERVATIONS = 2_147_483_647;

const specs: Readonly<Record<Metric, MetricSpec>> = catalogue;
/** Each reported series' input path as (group, field): split once, not for every report. */
const inputPaths = Object.fromEntries(
  metricNames.flatMap((metric) => {
    const path = specs[metric].input?.path;
    return path ? [[metric, path.split('.')]] : [];
  }),
) as Partial<Record<Metric, [ReportGroup, string]>>;

/**
 * Checks every rule and turns the report into series points, in catalogue order: each series the report
 * carries, then those derived from them. Throws on the first problem.
 */
export function toPoints(
  ctx: Pick<Context, 'clock' | 'limits'>,
  input: ReportInput,
  names: ReportFieldNames = reportInputNames,
): SeriesPoint[] {
  checkReportFields(ctx, input, names);
  const start = input.windowStart.getTime();
  const end = input.windowEnd.getTime();
  const points: SeriesPoint[] = [];
  const add = (metric: Metric, stat: Stat, field: SeriesField, core: number | null = null) => {
    checkStat(metric, stat, field, names);
    points.push({
      clientId: input.clientId,
      metric,
      core,
      windowStart: start,
      windowEnd: end,
      count: input.observations,
      mean: stat.mean,
      variance: stat.variance,
      min: stat.min,
      max: stat.max,
    });
  };
  const single = (value: number): Stat => ({ mean: value, variance: 0, min: value, max: value });

  for (const metric of metricNames) {
    const spec = specs[metric];
    if (spec.derived) {
      const { from, statistic, pick } = spec.derived;
      const value = extreme(points, from, statistic, pick);
      if (value !== null) add(metric, single(value), { path: specs[from as Metric].input?.path ?? from });
      continue;
    }
    if (!spec.input) continue;
    const { path } = spec.input;
    const [groupName, fieldName] = inputPaths[metric] as [ReportGroup, string];
    const group = input[groupName] as Readonly<Record<string, unknown>> | null | undefined;
    if (group == null) continue;
    const value = group[fieldName];
    if (value == null) {
      if (spec.input.required) throw badInput(names.series({ path }), 'field is required');
      continue;
    }
    if (spec.perCore) {
      const cores = value as readonly Stat[];
      if (cores.length > ctx.limits.maxCores) {
        throw badInput(
          names.series({ path }),
          `has ${cores.length} entries, more than the ${ctx.limits.maxCores} allowed`,
        );
      }
      for (const [core, stat] of cores.entries()) add(metric, stat, { path, core }, core);
    } else {
      add(metric, spec.input.value ? single(value as number) : (value as Stat), { path });
    }
  }
  return points;
}

/** The report's own fields: client, host details, window and observations. */
function checkReportFields(
  ctx: Pick<Context, 'clock' | 'limits'>,
  input: ReportInput,
  names: ReportFieldNames,
): void {
  const { limits } = ctx;
  checkString(input.clientId, names.clientId, limits.maxStringLength, true);
  // InfluxDB's line protocol reads a backslash in a tag value as an escape: such an id cannot be stored as is.
  if (input.clientId.includes('\\')) throw badInput(names.clientId, 'must not contain backslashes');
  for (const name of ['hostname', 'osType', 'osVersion'] as const) {
    checkString(input[name], names[name], limits.maxStringLength, false);
  }
  const start = input.windowStart.getTime();
  const end = input.windowEnd.getTime();
  if (end < start) {
    throw new AppError('INVALID_TIME_RANGE', `${names.windowEnd}: the window ends before it starts`, {
      field: names.windowEnd,
    });
  }
  if (end > ctx.clock.now() + limits.maxFutureSkew) {
    throw badInput(
      names.windowEnd,
      'lies more than a day in the future; check the clock of the reporting host',
    );
  }
  if (
    !Number.isSafeInteger(input.observations) ||
    input.observations < 1 ||
    input.observations > MAX_OBSERVATIONS
  ) {
    throw badInput(names.observations, `must be a whole number from 1 to ${MAX_OBSERVATIONS}`);
  }
}

const RANGE_CHECKED = ['mean', 'min', 'max'] as const;

/** Checks one window's statistics against the series' range; errors name `field`'s statistic. */
function checkStat(metric: Metric, stat: Stat, field: SeriesField, names: ReportFieldNames): void {
  const { range, unit } = specs[metric];
  const [low, high] = range;
  for (const key of RANGE_CHECKED) {
    const value = stat[key];
    if (!Number.isFinite(value)) throw badInput(named(names, field, key), 'must be a finite number');
    if (value < low || value > high) {
      throw badInput(named(names, field, key), `${value} is outside ${low}..${high} (${unit})`);
    }
  }
  if (!Number.isFinite(stat.variance) || stat.variance < 0) {
    throw badInput(named(names, field, 'variance'), 'must be a finite number of at least 0');
  }
  // Samples within [low, high] have a variance of at most ((high - low) / 2)^2 (Popoviciu's inequality).
  // A larger one cannot come from real samples, and pooling it with counts overflows to Infinity.
  const maxVariance = ((high - low) / 2) ** 2;
  if (stat.variance > maxVariance * (1 + 1e-9)) {
    throw badInput(
      named(names, field, 'variance'),
      `${stat.variance} is more than ${maxVariance}, the largest variance of values within ${low}..${high}`,
    );
  }
  // Rounding in the agent may put the mean a hair outside [min, max]; anything more is a broken report.
  const slack = 1e-9 * Math.max(1, Math.abs(stat.max), Math.abs(stat.min));
  if (stat.min > stat.max + slack) throw badInput(named(names, field, 'min'), 'is larger than max');
  if (stat.mean < stat.min - slack || stat.mean > stat.max + slack) {
    throw badInput(named(names, field, 'mean'), 'must lie between min and max');
  }
}

/** The name of one statistic of `field`. (Not a closure: `checkStat` runs once per point.) */
function named(names: ReportFieldNames, field: SeriesField, stat: keyof Stat): string {
  return names.series({ ...field, stat });
}

/** The largest or smallest `statistic` over the points of `metric`; `null` when there are none. */
function extreme(
  points: readonly SeriesPoint[],
  metric: string,
  statistic: 'mean' | 'variance',
  pick: 'max' | 'min',
): number | null {
  let value: number | null = null;
  for (const point of points) {
    if (point.metric !== metric) continue;
    const x = point[statistic];
    if (value === null || (pick === 'max' ? x > value : x < value)) value = x;
  }
  return value;
}
