import { catalogue, metricNames } from '@metrics-collector/common/catalogue';
import type {
  Aggregate,
  Bucket,
  ClientSummary,
  SeriesPoint,
  SeriesSelector,
} from '@metrics-collector/schema/metrics/types';
import type Database from 'better-sqlite3';
import type { Db } from '../../sqlite/database.js';
import { type AggregatedGroup, aggregateWindows, type Grouping, type SeriesWindows } from './aggregate.js';
import { Blocks, float64s, WINDOW_NUMBERS } from './blocks.js';
import { INBOX_NUMBERS, INBOX_STARTS } from './inbox.js';

/** The embedded store's reads, synchronous on `db`: in the read worker, or inline (`reads: 'inline'`). */
export interface MetricReads {
  history(selector: SeriesSelector, width: number, aggregate: Aggregate): Bucket[];
  summarize(selector: SeriesSelector, aggregate: Aggregate): ClientSummary[];
}

type Statement<P extends unknown[], R = unknown> = Database.Statement<P, R>;
type Params = Record<string, unknown>;

/**
 * The reads of `metrics.db` on a connection of its own (`db`): the selected series' windows, from their
 * blocks and from the inbox, decoded and aggregated in JavaScript (aggregate.ts).
 */
export class SqliteMetricReads implements MetricReads {
  readonly #db: Db;
  readonly #blocks: Blocks;
  readonly #series = new Map<string, Statement<[Params], [number, string]>>();
  readonly #clientInbox: Statement<[Params], [number, Buffer]>;
  readonly #rangeInbox: Statement<[Params], [number, Buffer]>;

  constructor(db: Db) {
    this.#db = db;
    this.#blocks = new Blocks(db);
    // One client's inbox rows: a seek per distinct window start, not a scan of every host's rows.
    this.#clientInbox = db
      .prepare<[Params], [number, Buffer]>(
        `WITH RECURSIVE ${INBOX_STARTS} SELECT i.window_start, i.data FROM st
         JOIN inbox i ON i.window_start = st.ws AND i.client_id = @clientId
         WHERE st.ws < @to ORDER BY i.window_start`,
      )
      .raw();
    this.#rangeInbox = db
      .prepare<[Params], [number, Buffer]>(
        `SELECT window_start, data FROM inbox WHERE window_start >= @from AND window_start < @to
         ORDER BY window_start`,
      )
      .raw();
  }

  history(selector: SeriesSelector, width: number, aggregate: Aggregate): Bucket[] {
    return this.#query(selector, { by: 'bucket', width }, aggregate).map(({ grp, ...stats }) => ({
      start: grp as number,
      ...stats,
    }));
  }

  summarize(selector: SeriesSelector, aggregate: Aggregate): ClientSummary[] {
    return this.#query(selector, { by: 'client' }, aggregate).map(({ grp, ...stats }) => ({
      clientId: grp as string,
      ...stats,
    }));
  }

  /**
   * The statements of one answer run in one read transaction: they see one snapshot, so that a merge
   * committing between them (moving windows from the inbox to blocks) can neither hide a window nor count
   * it twice.
   */
  #query(selector: SeriesSelector, grouping: Grouping, aggregate: Aggregate): AggregatedGroup[] {
    return this.#db.transaction(() => aggregateWindows(this.#windows(selector), grouping, aggregate))();
  }

  /** Every selected series' windows in `[from, to)`, the inbox's copy of a window over its block's. */
  #windows(selector: SeriesSelector): SeriesWindows[] {
    const params = selectorParams(selector);
    const series = this.#seriesOf(selector).all(params);
    if (series.length === 0) return [];
    const inbox = this.#inboxWindows(selector, params, new Set(series.map(([id]) => id)));
    return series.map(([id, clientId]) => ({
      clientId,
      windows: newerOver(this.#blocks.readParts(id, selector.from, selector.to), inbox.get(id)),
    }));
  }

  #seriesOf(selector: SeriesSelector): Statement<[Params], [number, string]> {
    const where = seriesWhere(selector);
    let statement = this.#series.get(where);
    if (!statement) {
      statement = this.#db
        .prepare<[Params], [number, string]>(`SELECT s.id, s.client_id FROM series s WHERE ${where}`)
        .raw();
      this.#series.set(where, statement);
    }
    return statement;
  }

  /** The inbox's windows of the series `ids`, by series, in start order. */
  #inboxWindows(selector: SeriesSelector, params: Params, ids: Set<number>): Map<number, number[]> {
    const rows = (selector.clientId !== null ? this.#clientInbox : this.#rangeInbox).all(params);
    const windows = new Map<number, number[]>();
    for (const [start, blob] of rows) {
      if (start < selector.from || start >= selector.to) continue;
      const points = float64s(blob);
      for (let o = 0; o < points.length; o += INBOX_NUMBERS) {
        const id = points[o] as number;
        if (!ids.has(id)) continue;
        let list = windows.get(id);
        if (!list) {
          list = [];
          windows.set(id, list);
        }
        list.push(start);
        for (let k = 1; k < INBOX_NUMBERS; k += 1) list.push(points[o + k] as number);
      }
    }
    return windows;
  }
}

/** The reads of `metrics.db` on `db`. */
export function createMetricReads(db: Db): MetricReads {
  return new SqliteMetricReads(db);
}

/**
 * A series' block windows (as the blocks hold them, in start order) with its inbox windows (sorted) merged
 * in start order, in one array; where both hold a start, the inbox's (written later) wins.
 */
function newerOver(parts: Float64Array[], inbox: number[] | undefined): Float64Array {
  if (parts.length === 1 && !inbox?.length) return parts[0] as Float64Array;
  const stored = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Float64Array(stored + (inbox?.length ?? 0));
  let o = 0;
  let b = 0;
  const next = inbox ?? [];
  for (const part of parts) {
    let a = 0;
    while (a < part.length) {
      // The block windows before the next inbox window, copied as a run (a view per window cost more
      // than all the rest).
      const start = b < next.length ? (next[b] as number) : Number.POSITIVE_INFINITY;
      let end = a;
      while (end < part.length && (part[end] as number) < start) end += WINDOW_NUMBERS;
      out.set(part.subarray(a, end), o);
      o += end - a;
      a = end;
      if (a >= part.length) break;
      if (part[a] === start) a += WINDOW_NUMBERS;
      o = copyWindow(next, b, out, o);
      b += WINDOW_NUMBERS;
    }
  }
  while (b < next.length) {
    o = copyWindow(next, b, out, o);
    b += WINDOW_NUMBERS;
  }
  return out.subarray(0, o);
}

/** Copies the window at `from` of `windows` to `out` at `o`; returns the offset after it. */
function copyWindow(windows: number[], from: number, out: Float64Array, o: number): number {
  for (let k = 0; k < WINDOW_NUMBERS; k += 1) out[o + k] = windows[from + k] as number;
  return o + WINDOW_NUMBERS;
}

/** The name a metric's series are stored under: `kind.field`, shared by overall and per-core CPU. */
const storageNames = new Map(metricNames.map((m) => [m, `${catalogue[m].kind}.${catalogue[m].field}`]));
export function storageName(metric: SeriesPoint['metric']): string {
  return storageNames.get(metric) as string;
}

/** A selector's statement parameters. */
function selectorParams(selector: SeriesSelector): Params {
  const params: Params = { metric: storageName(selector.metric), from: selector.from, to: selector.to };
  if (catalogue[selector.metric].perCore && selector.core !== null) params.core = selector.core;
  if (selector.clientId !== null) params.clientId = selector.clientId;
  return params;
}

/** The conditions on `series s` of the series a selector reads. */
function seriesWhere(selector: SeriesSelector): string {
  const where = ['s.metric = @metric'];
  if (!catalogue[selector.metric].perCore) where.push('s.core = -1');
  else where.push(selector.core === null ? 's.core >= 0' : 's.core = @core');
  if (selector.clientId !== null) where.push('s.client_id = @clientId');
  return where.join(' AND ');
}
