import type { Metric } from '@metrics-collector/common/catalogue';
import type { ClientRecord } from '../clients/types.js';
import type { Aggregate } from '../metrics/types.js';

export const fills = ['NONE', 'NULL', 'PREVIOUS', 'LINEAR', 'ZERO'] as const;
export type Fill = (typeof fills)[number];

export interface HistoryArgs {
  metric: Metric;
  clientId?: string | null;
  core?: number | null;
  from?: Date | null;
  to?: Date | null;
  /** Bucket width in ms; chosen from the range when omitted. */
  resample?: number | null;
  aggregate?: Aggregate | null;
  fill?: Fill | null;
}

/** One bucket of a history answer; statistics are `null` (and `count` 0) in a filled empty bucket. */
export interface HistoryPoint {
  time: Date;
  value: number | null;
  count: number;
  mean: number | null;
  variance: number | null;
  min: number | null;
  max: number | null;
}

export interface History {
  metric: Metric;
  clientId: string | null;
  core: number | null;
  from: Date;
  to: Date;
  resample: number;
  aggregate: Aggregate;
  fill: Fill;
  points: HistoryPoint[];
}

/**
 * The names the caller uses for the arguments, so errors name the caller's own fields: GraphQL's
 * `from`, `to`, `resample`, `clientId`, or the original REST route's `start`, `end`, `resample_rate`, `userId`.
 */
export interface HistoryFieldNames {
  from: string;
  to: string;
  resample: string;
  clientId: string;
}

export interface FleetSummaryArgs {
  metric: Metric;
  core?: number | null;
  from?: Date | null;
  to?: Date | null;
  aggregate?: Aggregate | null;
}

export interface FleetSummaryRow {
  clientId: string;
  client: ClientRecord | null;
  value: number;
  count: number;
  mean: number;
  variance: number;
  min: number;
  max: number;
}
