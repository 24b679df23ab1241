import { catalogue, metricNames } from '@metrics-collector/schema/catalogue';
import type {
  Aggregate,
  Bucket,
  ClientSummary,
  MetricStore,
  PooledStats,
  SeriesPoint,
  SeriesSelector,
} from '@metrics-collector/schema/context';
import { aggregateValue } from '@metrics-collector/schema/context';
import { attempt, createGroupCommit, type Db, openDatabase } from './sqlite.js';

const migrations = [
  // A series is one (client, metric, core); core -1 marks series that are not per core.
  `CREATE TABLE series (
     id         INTEGER PRIMARY KEY,
     client_id  TEXT NOT NULL,
     metric     TEXT NOT NULL,
     core       INTEGER NOT NULL,
     UNIQUE (metric, core, client_id)
   );
   CREATE TABLE points (
     series_id     INTEGER NOT NULL REFERENCES series (id),
     window_start  INTEGER NOT NULL,
     window_end    INTEGER NOT NULL,
     count         INTEGER NOT NULL,
     mean          REAL NOT NULL,
     variance      REAL NOT NULL,
     min           REAL NOT NULL,
     max           REAL NOT NULL,
     PRIMARY KEY (series_id, window_start)
   ) WITHOUT ROWID;`,
];

export interface SqliteMetricStoreOptions {
  dataDir: string;
  /** Keep windows at most this far behind the newest stored window; `null` keeps everything. */
  retention: number | null;
  /** How often retention runs, ms. @default min(1 hour, retention / 10) */
  retentionInterval?: number;
  /** Called when background retention fails; it runs again on the next turn. */
  onBackgroundError?: (error: unknown) => void;
}

export interface SqliteMetricStore extends MetricStore {
  /** Deletes windows outside retention now; returns how many. */
  enforceRetention(): number;
}

type Grouping = 'bucket' | 'client';
interface GroupRow {
  grp: number | string;
  count: number;
  mean: number;
  variance: number;
  min: number;
  max: number;
}

/** The embedded metric store: `<dataDir>/metrics.db`. */
export function createSqliteMetricStore(options: SqliteMetricStoreOptions): SqliteMetricStore {
  const db: Db = openDatabase(options.dataDir, 'metrics', migrations);
  const seriesIds = new Map<string, number>();
  const newSeriesIds = new Map<string, number>();
  const insertSeries = db.prepare<[string, string, number], { id: number }>(
    'INSERT INTO series (client_id, metric, core) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING id',
  );
  const selectSeries = db.prepare<[string, string, number], { id: number }>(
    'SELECT id FROM series WHERE client_id = ? AND metric = ? AND core = ?',
  );
  const upsertPoint = db.prepare(
    `INSERT OR REPLACE INTO points (series_id, window_start, window_end, count, mean, variance, min, max)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );

  const seriesId = (clientId: string, metric: string, core: number): number => {
    const key = `${metric}\u0000${core}\u0000${clientId}`;
    const known = seriesIds.get(key) ?? newSeriesIds.get(key);
    if (known !== undefined) return known;
    const id = (insertSeries.get(clientId, metric, core) ?? selectSeries.get(clientId, metric, core))?.id;
    if (id === undefined) throw new Error(`series ${key} was neither inserted nor found`);
    newSeriesIds.set(key, id);
    return id;
  };

  const submit = createGroupCommit<readonly SeriesPoint[]>(
    db,
    (points) => {
      for (const p of points) {
        const id = seriesId(p.clientId, storageName(p.metric), p.core ?? -1);
        upsertPoint.run(id, p.windowStart, p.windowEnd, p.count, p.mean, p.variance, p.min, p.max);
      }
    },
    {
      // Series ids become visible to later groups only once the transaction that made them committed.
      committed: () => {
        for (const [key, id] of newSeriesIds) seriesIds.set(key, id);
        newSeriesIds.clear();
      },
      rolledBack: () => newSeriesIds.clear(),
    },
  );

  const statements = new Map<string, ReturnType<Db['prepare']>>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  const query = (selector: SeriesSelector, grouping: Grouping, width: number, aggregate: Aggregate) => {
    const { where, params } = selectorSql(selector);
    const grp = grouping === 'bucket' ? 'p.window_start - p.window_start % @width' : 's.client_id';
    const windows = `SELECT ${grp} AS grp, p.window_start AS ws, p.count AS n, p.mean AS m, p.variance AS v,
                            p.min AS lo, p.max AS hi
                     FROM series s JOIN points p ON p.series_id = s.id WHERE ${where}`;
    const allParams = { ...params, width };
    // Pooled mean and variance in two passes (law of total variance), stable for large values. A group
    // of one window returns that window's own numbers, untouched by rounding.
    const stats = prepared(`
      WITH w AS (${windows}),
           g AS (SELECT grp, sum(n) AS n, sum(n * m) / sum(n) AS m, count(*) AS k FROM w GROUP BY grp)
      SELECT g.grp AS grp, g.n AS count,
             CASE WHEN g.k = 1 THEN max(w.m) ELSE g.m END AS mean,
             CASE WHEN g.k = 1 THEN max(w.v) ELSE sum(w.n * (w.v + (w.m - g.m) * (w.m - g.m))) / g.n END AS variance,
             min(w.lo) AS min, max(w.hi) AS max
      FROM w JOIN g ON g.grp = w.grp GROUP BY g.grp ORDER BY g.grp`).all(allParams) as GroupRow[];
    const values = valuesFor(aggregate, windows, allParams);
    return stats.map((row) => ({ grp: row.grp, ...pooled(row, aggregate, values?.get(row.grp)) }));
  };

  const valuesFor = (aggregate: Aggregate, windows: string, params: object) => {
    if (aggregate === 'LAST') {
      // The mean of the window that starts last; among windows starting together (clients or cores
      // pooled), the largest, as InfluxQL's last() breaks ties.
      const rows = prepared(
        `WITH w AS (${windows})
         SELECT w.grp AS grp, max(w.m) AS m FROM w
         JOIN (SELECT grp, max(ws) AS ws FROM w GROUP BY grp) l ON l.grp = w.grp AND l.ws = w.ws
         GROUP BY w.grp`,
      ).all(params) as { grp: number | string; m: number }[];
      return new Map(rows.map((r) => [r.grp, r.m]));
    }
    const rank = RANKED[aggregate];
    if (!rank) return undefined;
    const rows = prepared(`SELECT grp, m FROM (${windows}) ORDER BY grp, m`).raw().all(params) as [
      number | string,
      number,
    ][];
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
  };

  const retentionInterval =
    options.retentionInterval ?? (options.retention ? Math.min(3_600_000, options.retention / 10) : 0);
  const seriesList = db.prepare('SELECT id FROM series').pluck();
  const newestOf = db.prepare('SELECT max(window_start) FROM points WHERE series_id = ?').pluck();
  const deleteBefore = db.prepare('DELETE FROM points WHERE series_id = ? AND window_start < ?');
  // Retention counts back from the newest stored window (as Prometheus does), not from the wall clock,
  // so replayed history is not deleted just because it is old. Every lookup here walks a primary key.
  const enforceRetention = (): number => {
    if (options.retention === null) return 0;
    const ids = seriesList.all() as number[];
    const newest = Math.max(
      ...ids.map((id) => (newestOf.get(id) as number | null) ?? Number.NEGATIVE_INFINITY),
    );
    if (!Number.isFinite(newest)) return 0;
    const cutoff = newest - options.retention;
    return db.transaction(() => ids.reduce((sum, id) => sum + deleteBefore.run(id, cutoff).changes, 0))();
  };
  const timer =
    retentionInterval > 0
      ? setInterval(() => {
          try {
            enforceRetention();
          } catch (error) {
            options.onBackgroundError?.(error);
          }
        }, retentionInterval)
      : undefined;
  timer?.unref();

  return {
    write: (points) => (points.length === 0 ? Promise.resolve() : submit(points)),
    history: async (selector, width, aggregate) =>
      attempt(() =>
        query(selector, 'bucket', width, aggregate).map(({ grp, ...stats }) => ({
          start: grp as number,
          ...stats,
        })),
      ) satisfies Bucket[],
    summarize: async (selector, aggregate) =>
      attempt(() =>
        query(selector, 'client', 1, aggregate).map(({ grp, ...stats }) => ({
          clientId: grp as string,
          ...stats,
        })),
      ) satisfies ClientSummary[],
    ping: async () => {
      db.prepare('SELECT 1').get();
    },
    enforceRetention,
    close: async () => {
      if (timer) clearInterval(timer);
      db.close();
    },
  };
}

/** The name a metric's series are stored under: `kind.field`, shared by overall and per-core CPU. */
const storageNames = new Map(metricNames.map((m) => [m, `${catalogue[m].kind}.${catalogue[m].field}`]));
function storageName(metric: SeriesPoint['metric']): string {
  return storageNames.get(metric) as string;
}

function selectorSql(selector: SeriesSelector): { where: string; params: Record<string, unknown> } {
  const spec = catalogue[selector.metric];
  const where = ['s.metric = @metric', 'p.window_start >= @from', 'p.window_start < @to'];
  const params: Record<string, unknown> = {
    metric: storageName(selector.metric),
    from: selector.from,
    to: selector.to,
  };
  if (!spec.perCore) where.push('s.core = -1');
  else if (selector.core === null) where.push('s.core >= 0');
  else {
    where.push('s.core = @core');
    params.core = selector.core;
  }
  if (selector.clientId !== null) {
    where.push('s.client_id = @clientId');
    params.clientId = selector.clientId;
  }
  return { where: where.join(' AND '), params };
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
