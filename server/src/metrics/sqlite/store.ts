import { join } from 'node:path';
import { type BackgroundTimer, backgroundTimer } from '@metrics-collector/common/timer';
import type {
  Aggregate,
  Bucket,
  ClientSummary,
  MetricStore,
  SeriesPoint,
  SeriesSelector,
} from '@metrics-collector/schema/metrics/types';
import type Database from 'better-sqlite3';
import { type Db, openDatabase } from '../../sqlite/database.js';
import { createGroupCommit } from '../../sqlite/group-commit.js';
import { storeUnavailable } from '../../store-errors.js';
import { type ReadThread, startReadThread, type ThreadReads } from './read-pool.js';
import { createMetricReads, type MetricReads, storageName } from './reads.js';
import { Merger, RECENT_MIGRATION, RecentWriter } from './recent.js';

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
  // Version 2: new windows land in the time-ordered `recent` and are merged into `points` (recent.ts).
  // A file of version 1 keeps its `points` as they are: reads read both tables.
  RECENT_MIGRATION,
];

export interface SqliteMetricStoreOptions {
  dataDir: string;
  /** Keep windows at most this far behind the newest stored window; `null` keeps everything. */
  retention: number | null;
  /** How often retention runs, ms. @default min(1 hour, retention / 10) */
  retentionInterval?: number;
  /** How often `recent` is merged into `points`, ms. @default 5000 */
  mergeInterval?: number;
  /** Called when background retention or a merge fails; it runs again on the next turn. */
  onBackgroundError?: (error: unknown) => void;
  /**
   * Where history and summary queries run: `thread` (a worker thread with a connection of its own) or
   * `inline` (on the caller's thread, blocking it). @default 'thread'
   */
  reads?: 'thread' | 'inline';
}

type Statement<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/** The embedded metric store: `<dataDir>/metrics.db`. */
export class SqliteMetricStore implements MetricStore {
  readonly #options: SqliteMetricStoreOptions;
  readonly #db: Db;
  readonly #submit: (points: readonly SeriesPoint[]) => Promise<void>;
  readonly #retention: Retention;
  readonly #thread: ReadThread | null;
  readonly #reads: MetricReads | ThreadReads;
  readonly #timer: BackgroundTimer;
  readonly #merger: Merger;
  #closed = false;
  readonly #mergeTimer: BackgroundTimer;

  constructor(options: SqliteMetricStoreOptions) {
    this.#options = options;
    const db = openDatabase(options.dataDir, 'metrics', migrations);
    this.#db = db;
    const series = new SeriesIds(db);
    const recent = new RecentWriter(db);
    this.#submit = createGroupCommit<readonly SeriesPoint[]>(
      db,
      (points) => {
        for (const p of points) {
          const id = series.idOf(p.clientId, storageName(p.metric), p.core ?? -1);
          recent.write(id, p.windowStart, p.windowEnd, p.count, p.mean, p.variance, p.min, p.max);
        }
      },
      // Series ids become visible to later groups only once the transaction that made them committed.
      { committed: () => series.commit(), rolledBack: () => series.rollBack() },
    );
    this.#retention = new Retention(db);
    // Reads run in the read thread unless told otherwise: a history scanning days of windows takes tens of
    // milliseconds or more, which would block every other request on the event loop.
    this.#thread = options.reads === 'inline' ? null : startReadThread(join(options.dataDir, 'metrics.db'));
    this.#reads = this.#thread ?? createMetricReads(db);

    this.#timer = backgroundTimer({
      intervalMs:
        options.retentionInterval ?? (options.retention ? Math.min(3_600_000, options.retention / 10) : 0),
      run: () => this.enforceRetention(),
      onError: (error) => options.onBackgroundError?.(error),
    });
    this.#timer.start();
    this.#merger = new Merger(db, recent);
    this.#mergeTimer = backgroundTimer({
      intervalMs: options.mergeInterval ?? 5000,
      run: () => this.merge(),
      onError: (error) => options.onBackgroundError?.(error),
    });
    this.#mergeTimer.start();
  }

  write(points: readonly SeriesPoint[]): Promise<void> {
    return points.length === 0 ? Promise.resolve() : this.#submit(points);
  }

  history(selector: SeriesSelector, width: number, aggregate: Aggregate): Promise<Bucket[]> {
    return this.#read(() => this.#reads.history(selector, width, aggregate));
  }

  summarize(selector: SeriesSelector, aggregate: Aggregate): Promise<ClientSummary[]> {
    return this.#read(() => this.#reads.summarize(selector, aggregate));
  }

  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get();
  }

  /** Deletes windows outside retention now; returns how many. */
  enforceRetention(): number {
    if (this.#options.retention === null) return 0;
    return this.#retention.enforce(this.#options.retention);
  }

  /**
   * Moves every window of `recent` into `points`, a chunk per transaction, yielding to the event loop
   * between chunks so that ingest commits go on; returns how many moved.
   */
  async merge(): Promise<number> {
    let total = 0;
    for (;;) {
      const moved = this.#merger.mergeChunk();
      total += moved;
      if (moved === 0 || this.#closed) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#mergeTimer.stop();
    this.#timer.stop();
    if (this.#thread) await this.#thread.close();
    this.#db.close();
  }

  /** A read's failure (a broken file, a thread that died, too many waiting) is STORE_UNAVAILABLE. */
  async #read<T>(work: () => T | Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw storeUnavailable(error);
    }
  }
}

/** Opens `<dataDir>/metrics.db` (the embedded metric store). */
export function createSqliteMetricStore(options: SqliteMetricStoreOptions): SqliteMetricStore {
  return new SqliteMetricStore(options);
}

/**
 * The id of each series (client, metric, core), inserted on first sight. Ids made by a transaction are
 * `pending` until it commits: a rolled-back one must not leave ids that do not exist.
 */
class SeriesIds {
  readonly #committed = new Map<string, number>();
  readonly #pending = new Map<string, number>();
  readonly #insert: Statement<[string, string, number], { id: number }>;
  readonly #select: Statement<[string, string, number], { id: number }>;

  constructor(db: Db) {
    this.#insert = db.prepare(
      'INSERT INTO series (client_id, metric, core) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING id',
    );
    this.#select = db.prepare('SELECT id FROM series WHERE client_id = ? AND metric = ? AND core = ?');
  }

  idOf(clientId: string, metric: string, core: number): number {
    const key = `${metric}\u0000${core}\u0000${clientId}`;
    const known = this.#committed.get(key) ?? this.#pending.get(key);
    if (known !== undefined) return known;
    const id = (this.#insert.get(clientId, metric, core) ?? this.#select.get(clientId, metric, core))?.id;
    if (id === undefined) throw new Error(`series ${key} was neither inserted nor found`);
    this.#pending.set(key, id);
    return id;
  }

  commit(): void {
    for (const [key, id] of this.#pending) this.#committed.set(key, id);
    this.#pending.clear();
  }

  rollBack(): void {
    this.#pending.clear();
  }
}

/**
 * Retention counts back from the newest stored window (as Prometheus does), not from the wall clock, so
 * replayed history is not deleted just because it is old. Every lookup here walks a primary key.
 */
class Retention {
  readonly #db: Db;
  readonly #seriesList: Statement<[], number>;
  readonly #newestOf: Statement<[number], number | null>;
  readonly #newestRecent: Statement<[], number | null>;
  readonly #deleteBefore: Statement<[number, number]>;
  readonly #deleteRecentBefore: Statement<[number]>;

  constructor(db: Db) {
    this.#db = db;
    this.#seriesList = db.prepare<[], number>('SELECT id FROM series').pluck();
    this.#newestOf = db
      .prepare<[number], number | null>('SELECT max(window_start) FROM points WHERE series_id = ?')
      .pluck();
    this.#newestRecent = db.prepare<[], number | null>('SELECT max(window_start) FROM recent').pluck();
    this.#deleteBefore = db.prepare('DELETE FROM points WHERE series_id = ? AND window_start < ?');
    this.#deleteRecentBefore = db.prepare('DELETE FROM recent WHERE window_start < ?');
  }

  /** Deletes windows more than `retention` ms behind the newest one, in both tables; returns how many. */
  enforce(retention: number): number {
    const ids = this.#seriesList.all();
    const newest = Math.max(
      this.#newestRecent.get() ?? Number.NEGATIVE_INFINITY,
      ...ids.map((id) => this.#newestOf.get(id) ?? Number.NEGATIVE_INFINITY),
    );
    if (!Number.isFinite(newest)) return 0;
    const cutoff = newest - retention;
    return this.#db.transaction(
      () =>
        this.#deleteRecentBefore.run(cutoff).changes +
        ids.reduce((sum, id) => sum + this.#deleteBefore.run(id, cutoff).changes, 0),
    )();
  }
}
