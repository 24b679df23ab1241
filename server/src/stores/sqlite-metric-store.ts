import { join } from 'node:path';
import type { MetricStore, SeriesPoint } from '@metrics-collector/schema/metrics/types';
import { createGroupCommit, type Db, openDatabase, storeUnavailable } from './sqlite.js';
import { createMetricReads, type MetricReads, storageName } from './sqlite-metric-reads.js';
import { startReadThread, type ThreadReads } from './sqlite-read-pool.js';

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
  /**
   * Where history and summary queries run: `thread` (a worker thread with a connection of its own) or
   * `inline` (on the caller's thread, blocking it). @default 'thread'
   */
  reads?: 'thread' | 'inline';
}

export interface SqliteMetricStore extends MetricStore {
  /** Deletes windows outside retention now; returns how many. */
  enforceRetention(): number;
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
  // Reads run in the read thread unless told otherwise: a history scanning days of windows takes tens of
  // milliseconds or more, which would block every other request on the event loop.
  const thread = options.reads === 'inline' ? null : startReadThread(join(options.dataDir, 'metrics.db'));
  const reads: MetricReads | ThreadReads = thread ?? createMetricReads(db);
  /** A read's failure (a broken file, a thread that died, too many waiting) is STORE_UNAVAILABLE. */
  const read = async <T>(work: () => T | Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw storeUnavailable(error);
    }
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
    history: (selector, width, aggregate) => read(() => reads.history(selector, width, aggregate)),
    summarize: (selector, aggregate) => read(() => reads.summarize(selector, aggregate)),
    ping: async () => {
      db.prepare('SELECT 1').get();
    },
    enforceRetention,
    close: async () => {
      if (timer) clearInterval(timer);
      if (thread) await thread.close();
      db.close();
    },
  };
}
