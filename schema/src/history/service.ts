import { catalogue } from '@metrics-collector/common/catalogue';
import { formatDuration } from '@metrics-collector/common/duration';
import { requireScope } from '../auth.js';
import type { Context } from '../context.js';
import { AppError, badInput } from '../errors.js';
import type { Bucket, SeriesSelector } from '../metrics/types.js';
import type {
  Fill,
  FleetSummaryArgs,
  FleetSummaryRow,
  History,
  HistoryArgs,
  HistoryFieldNames,
  HistoryPoint,
} from './types.js';

/** The arguments as `metricHistory` and `fleetSummary` name them. */
export const historyArgNames: HistoryFieldNames = {
  from: 'from',
  to: 'to',
  resample: 'resample',
  clientId: 'clientId',
};
const HOUR = 3_600_000;
/** Widths tried, in order, when `resample` is omitted; the first giving at most 1,000 buckets wins. */
const NICE_WIDTHS = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800].map(
  (s) => s * 1000,
);

/**
 * Resamples one series (or all clients' series pooled) into epoch-aligned buckets over `[from, to)`,
 * labelled by bucket start, with the aggregate and fill the caller asked for.
 */
export async function metricHistory(
  ctx: Context,
  args: HistoryArgs,
  names: HistoryFieldNames = historyArgNames,
): Promise<History> {
  requireScope(ctx, 'read');
  const selector = toSelector(ctx, args, names);
  const span = selector.to - selector.from;
  if (args.resample != null && args.resample > MAX_RESAMPLE) {
    throw badInput(
      names.resample,
      `${formatDuration(args.resample)} is wider than the ${formatDuration(MAX_RESAMPLE)} (100 years) allowed`,
    );
  }
  const { resample, buckets } = historyPlan(
    { from: new Date(selector.from), to: new Date(selector.to), resample: args.resample },
    selector.to,
  );
  if (buckets > ctx.limits.maxBuckets) {
    const enough = NICE_WIDTHS.find((w) => bucketCount(selector, w) <= ctx.limits.maxBuckets);
    const hint = enough ? `; use ${names.resample} ${formatDuration(enough)} or more` : '';
    throw new AppError(
      'TOO_MANY_BUCKETS',
      `${names.resample}: ${formatDuration(resample)} over ${formatDuration(span)} gives ${buckets} buckets, more than the ${ctx.limits.maxBuckets} allowed${hint}`,
      { field: names.resample },
    );
  }
  const aggregate = args.aggregate ?? 'MEAN';
  const fill = args.fill ?? 'NONE';
  const stored = await ctx.metrics.history(selector, resample, aggregate);
  return {
    metric: selector.metric,
    clientId: selector.clientId,
    core: selector.core,
    from: new Date(selector.from),
    to: new Date(selector.to),
    resample,
    aggregate,
    fill,
    points: fillBuckets(stored, selector, resample, fill),
  };
}

/** One row per client that reported the metric in `[from, to)`: the aggregate over its whole range. */
export async function fleetSummary(ctx: Context, args: FleetSummaryArgs): Promise<FleetSummaryRow[]> {
  requireScope(ctx, 'read');
  const selector = toSelector(ctx, { ...args, clientId: null }, historyArgNames);
  const rows = await ctx.metrics.summarize(selector, args.aggregate ?? 'P95');
  return Promise.all(rows.map(async (row) => ({ ...row, client: await ctx.state.getClient(row.clientId) })));
}

/**
 * The range, bucket width and bucket count `metricHistory` uses for `args` (defaults filled in), without
 * checking them: what the query cost limit prices a history at before anything runs.
 */
export function historyPlan(
  args: Pick<HistoryArgs, 'from' | 'to' | 'resample'>,
  now: number,
): { from: number; to: number; resample: number; buckets: number } {
  const to = args.to?.getTime() ?? now;
  const from = args.from?.getTime() ?? to - HOUR;
  const range = { from, to };
  const resample = args.resample ?? NICE_WIDTHS.find((w) => bucketCount(range, w) <= 1000) ?? 30 * 86_400_000;
  return { from, to, resample, buckets: from < to ? bucketCount(range, resample) : 0 };
}

/**
 * The last time both stores can hold: InfluxDB keeps nanoseconds in 64 bits (2262-04-11T23:47:16.854Z).
 * Ranges past it are refused alike on every store, so that the answer does not depend on the store.
 */
export const MAX_TIME = 9_223_372_036_854;
/**
 * The widest bucket, 100 years (of 365 days): InfluxDB computes bucket bounds in 64-bit nanoseconds,
 * which a wider one could overflow near `MAX_TIME`.
 */
export const MAX_RESAMPLE = 100 * 365 * 86_400_000;

function toSelector(
  ctx: Context,
  args: Omit<HistoryArgs, 'resample' | 'aggregate' | 'fill'>,
  names: HistoryFieldNames,
): SeriesSelector {
  const to = args.to?.getTime() ?? ctx.clock.now();
  const from = args.from?.getTime() ?? to - HOUR;
  for (const [name, time] of [
    [names.from, from],
    [names.to, to],
  ] as const) {
    if (time > MAX_TIME) {
      throw new AppError(
        'INVALID_TIME_RANGE',
        `${name}: ${new Date(time).toISOString()} is after ${new Date(MAX_TIME).toISOString()}, the last time the stores can hold`,
        { field: name },
      );
    }
  }
  if (from >= to) {
    throw new AppError('INVALID_TIME_RANGE', `${names.from}: must be before ${names.to}`, {
      field: names.from,
    });
  }
  if (
    args.clientId != null &&
    (args.clientId.length === 0 || args.clientId.length > ctx.limits.maxStringLength)
  ) {
    throw badInput(names.clientId, `must be 1 to ${ctx.limits.maxStringLength} characters long`);
  }
  const spec = catalogue[args.metric];
  const core = args.core ?? null;
  if (core !== null) {
    if (!spec.perCore)
      throw badInput('core', `${args.metric} has no per-core series; use CPU_CORE_UTILIZATION`);
    if (!Number.isInteger(core) || core < 0 || core >= ctx.limits.maxCores) {
      throw badInput('core', `must be a core number from 0 to ${ctx.limits.maxCores - 1}`);
    }
  }
  return { metric: args.metric, clientId: args.clientId ?? null, core, from, to };
}

function bucketCount(range: { from: number; to: number }, width: number): number {
  const first = Math.floor(range.from / width) * width;
  return Math.ceil((range.to - first) / width);
}

/**
 * Lays the stored (non-empty) buckets on the full grid of the range and fills the gaps as InfluxQL's
 * `fill()` does: NONE omits them, NULL leaves the value null, ZERO sets 0, PREVIOUS repeats the last
 * value before, LINEAR interpolates between the neighbours (edges stay null).
 */
export function fillBuckets(
  stored: readonly Bucket[],
  range: { from: number; to: number },
  width: number,
  fill: Fill,
): HistoryPoint[] {
  const present = stored.map(
    (b): HistoryPoint => ({
      time: new Date(b.start),
      value: b.value,
      count: b.count,
      mean: b.mean,
      variance: b.variance,
      min: b.min,
      max: b.max,
    }),
  );
  if (fill === 'NONE') return present;
  const empty = (start: number, value: number | null): HistoryPoint => ({
    time: new Date(start),
    value,
    count: 0,
    mean: null,
    variance: null,
    min: null,
    max: null,
  });
  const points: HistoryPoint[] = [];
  const first = Math.floor(range.from / width) * width;
  let next = 0;
  let previous: HistoryPoint | null = null;
  for (let start = first; start < range.to; start += width) {
    const bucket = present[next];
    if (bucket && bucket.time.getTime() === start) {
      points.push(bucket);
      previous = bucket;
      next += 1;
      continue;
    }
    if (fill === 'ZERO') points.push(empty(start, 0));
    else if (fill === 'PREVIOUS') points.push(empty(start, previous?.value ?? null));
    else if (fill === 'LINEAR' && previous && bucket) {
      const t0 = previous.time.getTime();
      const t1 = bucket.time.getTime();
      const v0 = previous.value as number;
      const v1 = bucket.value as number;
      points.push(empty(start, v0 + ((v1 - v0) * (start - t0)) / (t1 - t0)));
    } else points.push(empty(start, null));
  }
  return points;
}
