import type { Metric, ReportGroup, ReportGroupFields } from '@metrics-collector/common/catalogue';

/** One window's statistics of one series. */
export interface Stat {
  mean: number;
  variance: number;
  min: number;
  max: number;
}

/** One stored window of one series: what a report becomes after validation. Times are epoch ms. */
export interface SeriesPoint extends Stat {
  clientId: string;
  metric: Metric;
  /** Core number for per-core series, `null` otherwise. */
  core: number | null;
  windowStart: number;
  windowEnd: number;
  /** Observations (samples) the window pooled. */
  count: number;
}

// ---- the metric store: what both implementations (embedded SQLite, InfluxDB) promise ----

export const aggregates = ['MEAN', 'MIN', 'MAX', 'MEDIAN', 'P90', 'P95', 'P99', 'COUNT', 'LAST'] as const;
export type Aggregate = (typeof aggregates)[number];

/** Which series a query reads: one metric, one client or all (`null`), one core or all (`null`). */
export interface SeriesSelector {
  metric: Metric;
  clientId: string | null;
  core: number | null;
  /** Windows whose start lies in `[from, to)`, epoch ms. */
  from: number;
  to: number;
}

/** The pooled statistics of the windows in one group (a time bucket or one client's range). */
export interface PooledStats {
  /** Observations pooled (sum of window counts). */
  count: number;
  /** Observation-weighted mean of the window means. */
  mean: number;
  /** Pooled population variance (law of total variance over the windows). */
  variance: number;
  min: number;
  max: number;
  /** The requested aggregate of the group. */
  value: number;
}

/**
 * A group's `value` for `aggregate`: one of its pooled statistics, or for MEDIAN, P90/P95/P99 and LAST
 * the `ranked` value the store computed over the window means. Both stores call it, so an aggregate means
 * the same on each.
 */
export function aggregateValue(
  stats: Omit<PooledStats, 'value'>,
  aggregate: Aggregate,
  ranked: number | undefined,
): number {
  switch (aggregate) {
    case 'MEAN':
      return stats.mean;
    case 'MIN':
      return stats.min;
    case 'MAX':
      return stats.max;
    case 'COUNT':
      return stats.count;
    default:
      return ranked as number;
  }
}

export interface Bucket extends PooledStats {
  /** Bucket start, epoch ms, a multiple of the resample interval. */
  start: number;
}

export interface ClientSummary extends PooledStats {
  clientId: string;
}

/**
 * Time-series storage. Both implementations (embedded SQLite, InfluxDB) pass one contract suite with the
 * same expectations.
 */
export interface MetricStore {
  /** Stores all points or none; resolves only once they are committed. Re-writing a window overwrites it. */
  write(points: readonly SeriesPoint[]): Promise<void>;
  /** Non-empty buckets aligned to epoch multiples of `resample` ms, ascending. */
  history(selector: SeriesSelector, resample: number, aggregate: Aggregate): Promise<Bucket[]>;
  /** One row per client over the whole range, ordered by client id. */
  summarize(selector: SeriesSelector, aggregate: Aggregate): Promise<ClientSummary[]>;
  /** Throws when the store cannot serve; used by `/ready`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// ---- a report, as `reportMetrics` and `POST /api/v1/metrics` receive it ----

/** One group of a report: its series by field name, as the catalogue lists them. */
export type ReportGroupInput<G extends ReportGroup> = ReportGroupFields<G, Stat>;

/** One window of one client. Every metric group is optional; which fields a group has comes from the catalogue. */
export type ReportInput = {
  clientId: string;
  windowStart: Date;
  windowEnd: Date;
  /** Samples per series in the window. */
  observations: number;
  hostname?: string | null;
  osType?: string | null;
  osVersion?: string | null;
} & { [G in ReportGroup]?: ReportGroupInput<G> | null };

export interface ReportAck {
  clientId: string;
  windowStart: Date;
  windowEnd: Date;
  /** Series windows stored by this report. */
  points: number;
}

/** A place in a report a problem is about: a series' field, one core's entry of a per-core list, a statistic. */
export interface SeriesField {
  /** The catalogue's input path: `memory.usedBytes`, `cpu.cores`. */
  path: string;
  core?: number;
  stat?: keyof Stat;
}

/**
 * The names the caller uses for the fields of a report, so errors name the caller's own fields: the
 * GraphQL argument paths (`input.memory.usedBytes.mean`) or, for the original REST body, its snake_case
 * keys (`metrics[0].avg_utilization`).
 */
export interface ReportFieldNames {
  clientId: string;
  windowStart: string;
  windowEnd: string;
  observations: string;
  hostname: string;
  osType: string;
  osVersion: string;
  series(field: SeriesField): string;
}
