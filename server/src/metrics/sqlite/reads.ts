import { catalogue, metricNames } from '@metrics-collector/common/catalogue';
import type {
  Aggregate,
  Bucket,
  ClientSummary,
  PooledStats,
  SeriesPoint,
  SeriesSelector,
} from '@metrics-collector/schema/metrics/types';
import { aggregateValue } from '@metrics-collector/schema/metrics/types';
import type { Db } from '../../sqlite/database.js';
import { RECENT_STARTS } from './recent.js';

type Grouping = 'bucket' | 'client';
interface GroupRow {
  grp: number | string;
  count: number;
  mean: number;
  variance: number;
  min: number;
  max: number;
}

/** The embedded store's reads, synchronous on `db`: in the read worker, or inline (`reads: 'inline'`). */
export interface MetricReads {
  history(selector: SeriesSelector, width: number, aggregate: Aggregate): Bucket[];
  summarize(selector: SeriesSelector, aggregate: Aggregate): ClientSummary[];
}

/** The reads of `metrics.db` on a connection of its own (`db`). */
export class SqliteMetricReads implements MetricReads {
  readonly #db: Db;
  readonly #statements = new Map<string, ReturnType<Db['prepare']>>();
  readonly #bucketLoopMax: number;

  /** `bucketLoopMax`: see `BUCKET_LOOP_MAX` (0 reads every history by the grouped statement). */
  constructor(db: Db, options: { bucketLoopMax?: number } = {}) {
    this.#db = db;
    this.#bucketLoopMax = options.bucketLoopMax ?? BUCKET_LOOP_MAX;
  }

  history(selector: SeriesSelector, width: number, aggregate: Aggregate): Bucket[] {
    return this.#query(selector, 'bucket', width, aggregate).map(({ grp, ...stats }) => ({
      start: grp as number,
      ...stats,
    }));
  }

  summarize(selector: SeriesSelector, aggregate: Aggregate): ClientSummary[] {
    return this.#query(selector, 'client', 1, aggregate).map(({ grp, ...stats }) => ({
      clientId: grp as string,
      ...stats,
    }));
  }

  #prepared(sql: string) {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * The statements of one answer run in one read transaction: they see one snapshot, so that a merge
   * committing between them (moving windows from `recent` to `points`) can neither hide a window nor
   * count it twice.
   */
  #query(selector: SeriesSelector, grouping: Grouping, width: number, aggregate: Aggregate) {
    return this.#db.transaction(() => this.#queryOnce(selector, grouping, width, aggregate))();
  }

  #queryOnce(selector: SeriesSelector, grouping: Grouping, width: number, aggregate: Aggregate) {
    const { where, params } = selectorSql(selector);
    const grp = grouping === 'bucket' ? 'p.window_start - p.window_start % @width' : 's.client_id';
    // A window is in `points` (merged) or in `recent` (not yet), never both: read both (recent.ts).
    // `recent` is keyed time-first: one client's windows are read by seeking each distinct start (`st`,
    // RECENT_STARTS) rather than scanning every client's rows in the range.
    const seek = selector.clientId !== null;
    const part = (table: string) => `SELECT ${grp} AS grp, p.window_start AS ws, p.count AS n, p.mean AS m,
                            p.variance AS v, p.min AS lo, p.max AS hi
                     FROM ${table === 'recent' && seek ? 'st JOIN series s JOIN recent p ON p.window_start = st.ws AND' : `series s JOIN ${table} p ON`}
                          p.series_id = s.id WHERE ${where}`;
    const allParams = { ...params, width };
    // Pooled mean and variance in two passes (law of total variance), stable for large values. A group
    // of one window returns that window's own numbers, untouched by rounding. Each table is grouped on
    // its own and the groups found in both are pooled by `poolGroups`: over a UNION ALL of the two,
    // SQLite first copied every window into a temporary table (a week of one client among 1,000: 73 ms
    // against 48 ms for `points` alone).
    const grouped = (table: 'points' | 'recent') =>
      this.#prepared(`
      WITH RECURSIVE ${RECENT_STARTS}, w AS (${part(table)}),
           g AS (SELECT grp, sum(n) AS n, sum(n * m) / sum(n) AS m, count(*) AS k FROM w GROUP BY grp)
      SELECT g.grp AS grp, g.n AS count,
             CASE WHEN g.k = 1 THEN max(w.m) ELSE g.m END AS mean,
             CASE WHEN g.k = 1 THEN max(w.v) ELSE sum(w.n * (w.v + (w.m - g.m) * (w.m - g.m))) / g.n END AS variance,
             min(w.lo) AS min, max(w.hi) AS max
      FROM w JOIN g ON g.grp = w.grp GROUP BY g.grp ORDER BY g.grp`).all(allParams) as GroupRow[];
    const merged = this.#pointsByBucket(selector, grouping, width, params) ?? grouped('points');
    const recent = grouped('recent');
    const stats = poolGroups(merged, recent);
    const windows = `${part('points')} UNION ALL ${part('recent')}`;
    const values = this.#valuesFor(aggregate, windows, allParams);
    return stats.map((row) => ({ grp: row.grp, ...pooled(row, aggregate, values?.get(row.grp)) }));
  }

  /**
   * The groups of `points` for one series' history, a statement per bucket, or `null` where the grouped
   * statement serves better (several series, a summary, more than `bucketLoopMax` buckets). Each bucket is
   * a range of the series' windows in key order; the grouped statement sorted every window of the range by
   * its bucket instead (a week of 10-s windows at 15 m: 30 ms this way against 115 ms, the same numbers).
   */
  #pointsByBucket(
    selector: SeriesSelector,
    grouping: Grouping,
    width: number,
    params: Record<string, unknown>,
  ): GroupRow[] | null {
    if (grouping !== 'bucket' || selector.clientId === null) return null;
    // Bucket starts as SQL's `%` makes them (integers, truncated toward zero) only for these.
    if (!Number.isSafeInteger(width) || !Number.isSafeInteger(selector.from) || selector.from < 0)
      return null;
    const first = selector.from - (selector.from % width);
    if ((selector.to - first) / width > this.#bucketLoopMax) return null;
    const series = this.#prepared(`SELECT s.id AS id FROM series s WHERE ${seriesWhere(selector)}`)
      .raw()
      .all(params) as [number][];
    if (series.length !== 1) return series.length === 0 ? [] : null;
    const [[id]] = series as [[number]];
    const range = 'p.series_id = @series AND p.window_start >= @start AND p.window_start < @end';
    // The same numbers as the grouped statement: two passes, a bucket of one window untouched.
    const bucket = this.#prepared(`
      WITH b AS (SELECT sum(p.count) AS n, sum(p.count * p.mean) / sum(p.count) AS m, count(*) AS k,
                        min(p.min) AS lo, max(p.max) AS hi, max(p.mean) AS m1, max(p.variance) AS v1
                 FROM points p WHERE ${range})
      SELECT @grp AS grp, b.n AS count, CASE WHEN b.k = 1 THEN b.m1 ELSE b.m END AS mean,
             CASE WHEN b.k = 1 THEN b.v1
                  ELSE (SELECT sum(p.count * (p.variance + (p.mean - b.m) * (p.mean - b.m)))
                        FROM points p WHERE ${range}) / b.n END AS variance,
             b.lo AS min, b.hi AS max
      FROM b WHERE b.n IS NOT NULL`);
    const rows: GroupRow[] = [];
    for (let grp = first; grp < selector.to; grp += width) {
      const start = Math.max(grp, selector.from);
      const row = bucket.get({ series: id, grp, start, end: Math.min(grp + width, selector.to) });
      if (row) rows.push(row as GroupRow);
    }
    return rows;
  }

  #valuesFor(aggregate: Aggregate, windows: string, params: object) {
    if (aggregate === 'LAST') {
      // The mean of the window that starts last; among windows starting together (clients or cores
      // pooled), the largest, as InfluxQL's last() breaks ties.
      const rows = this.#prepared(
        `WITH RECURSIVE ${RECENT_STARTS}, w AS (${windows})
         SELECT w.grp AS grp, max(w.m) AS m FROM w
         JOIN (SELECT grp, max(ws) AS ws FROM w GROUP BY grp) l ON l.grp = w.grp AND l.ws = w.ws
         GROUP BY w.grp`,
      ).all(params) as { grp: number | string; m: number }[];
      return new Map(rows.map((r) => [r.grp, r.m]));
    }
    const rank = RANKED[aggregate];
    if (!rank) return undefined;
    const rows = this.#prepared(
      `WITH RECURSIVE ${RECENT_STARTS} SELECT grp, m FROM (${windows}) ORDER BY grp, m`,
    )
      .raw()
      .all(params) as [number | string, number][];
    const result = new Map<number | string, number>();
    let begin = 0;
    for (let i = 1; i <= rows.length; i += 1) {
      if (i === rows.length || rows[i]?.[0] !== rows[begin]?.[0]) {
        const sorted = rows.slice(begin, i).map((r) => r[1]);
        result.set(rows[begin]?.[0] as number | string, rank(sorted));
        begin = i;
      }
    }
    return result;
  }
}

/** The reads of `metrics.db` on `db`. */
export function createMetricReads(db: Db): MetricReads {
  return new SqliteMetricReads(db);
}

/**
 * One series' history is read from `points` a bucket at a time when it has at most this many buckets
 * (`#pointsByBucket`): each costs a statement (about 15 µs), and past a thousand or so buckets of few
 * windows each the grouped statement is as fast.
 */
const BUCKET_LOOP_MAX = 1_024;

/** The name a metric's series are stored under: `kind.field`, shared by overall and per-core CPU. */
const storageNames = new Map(metricNames.map((m) => [m, `${catalogue[m].kind}.${catalogue[m].field}`]));
export function storageName(metric: SeriesPoint['metric']): string {
  return storageNames.get(metric) as string;
}

/** A history's statements' conditions on `series s` and `p` (either table), and their parameters. */
function selectorSql(selector: SeriesSelector): { where: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = {
    metric: storageName(selector.metric),
    from: selector.from,
    to: selector.to,
  };
  if (catalogue[selector.metric].perCore && selector.core !== null) params.core = selector.core;
  if (selector.clientId !== null) params.clientId = selector.clientId;
  return { where: `${seriesWhere(selector)} AND p.window_start >= @from AND p.window_start < @to`, params };
}

/** The conditions on `series s` of the series a selector reads. */
function seriesWhere(selector: SeriesSelector): string {
  const where = ['s.metric = @metric'];
  if (!catalogue[selector.metric].perCore) where.push('s.core = -1');
  else where.push(selector.core === null ? 's.core >= 0' : 's.core = @core');
  if (selector.clientId !== null) where.push('s.client_id = @clientId');
  return where.join(' AND ');
}

/**
 * The groups of both tables in SQL's order (`ORDER BY grp`), a group found in both pooled as the query
 * pools windows: counts add up, the mean is count-weighted, the variance is the law of total variance.
 */
function poolGroups(merged: GroupRow[], recent: GroupRow[]): GroupRow[] {
  if (recent.length === 0) return merged;
  if (merged.length === 0) return recent;
  const groups = new Map(merged.map((row) => [row.grp, row]));
  for (const row of recent) {
    const other = groups.get(row.grp);
    if (!other) {
      groups.set(row.grp, row);
      continue;
    }
    const count = other.count + row.count;
    const mean = (other.count * other.mean + row.count * row.mean) / count;
    const spread = (g: GroupRow) => g.count * (g.variance + (g.mean - mean) * (g.mean - mean));
    groups.set(row.grp, {
      grp: row.grp,
      count,
      mean,
      variance: (spread(other) + spread(row)) / count,
      min: Math.min(other.min, row.min),
      max: Math.max(other.max, row.max),
    });
  }
  return [...groups.values()].sort((a, b) => compareGroups(a.grp, b.grp));
}

/** SQLite's order of group keys: numbers ascending, text by UTF-8 bytes (its BINARY collation). */
function compareGroups(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return Buffer.compare(Buffer.from(String(a)), Buffer.from(String(b)));
}

/** Nearest-rank percentile and median over sorted window means, exactly as InfluxQL computes them. */
const percentile = (p: number) => (sorted: number[]) => {
  const i = Math.floor((sorted.length * p) / 100 + 0.5) - 1;
  return sorted[Math.min(Math.max(i, 0), sorted.length - 1)] as number;
};
const RANKED: Partial<Record<Aggregate, (sorted: number[]) => number>> = {
  MEDIAN: (sorted) => {
    const mid = sorted.length >> 1;
    if (sorted.length % 2 === 1) return sorted[mid] as number;
    // low + (high − low) / 2, as InfluxQL's median() computes it, so that both stores agree to the bit.
    const low = sorted[mid - 1] as number;
    return low + ((sorted[mid] as number) - low) / 2;
  },
  P90: percentile(90),
  P95: percentile(95),
  P99: percentile(99),
};

function pooled(row: GroupRow, aggregate: Aggregate, ranked: number | undefined): PooledStats {
  const stats = {
    count: row.count,
    mean: row.mean,
    variance: Math.max(0, row.variance),
    min: row.min,
    max: row.max,
  };
  return { ...stats, value: aggregateValue(stats, aggregate, ranked) };
}
