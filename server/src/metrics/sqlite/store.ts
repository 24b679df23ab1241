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
import { type Db, openDatabase } from '../../sqlite/database.js';
import { storeUnavailable } from '../../store-errors.js';
import { migrations } from './migrations.js';
import { type ReadThread, startReadThread, type ThreadReads } from './read-pool.js';
import { createMetricReads, type MetricReads } from './reads.js';
import { type GroupObserver, WriteThread } from './write-pool.js';

export interface SqliteMetricStoreOptions {
  dataDir: string;
  /** Keep windows at most this far behind the newest stored window; `null` keeps everything. */
  retention: number | null;
  /** How often retention runs, ms. @default min(1 hour, retention / 10) */
  retentionInterval?: number;
  /** How often the inbox is merged into `blocks`, ms. @default 5000 */
  mergeInterval?: number;
  /** Called when background retention or a merge fails; it runs again on the next turn. */
  onBackgroundError?: (error: unknown) => void;
  /**
   * Where history and summary queries run: `thread` (a worker thread with a connection of its own) or
   * `inline` (on the caller's thread, blocking it). @default 'thread'
   */
  reads?: 'thread' | 'inline';
  /** Hears each group commit of the write thread (write-pool.ts), for `/metrics`. */
  onGroup?: GroupObserver;
}

/**
 * The embedded metric store: `<dataDir>/metrics.db`. Writes, merges and retention run in the write thread
 * (`WriteThread`), history and summaries in the read thread; this thread's own connection runs the
 * migrations at start, answers `ping`, and serves reads when they are `inline`.
 */
export class SqliteMetricStore implements MetricStore {
  readonly #options: SqliteMetricStoreOptions;
  readonly #db: Db;
  readonly #writer: WriteThread;
  readonly #thread: ReadThread | null;
  readonly #reads: MetricReads | ThreadReads;
  readonly #timer: BackgroundTimer;
  readonly #mergeTimer: BackgroundTimer;

  constructor(options: SqliteMetricStoreOptions) {
    this.#options = options;
    this.#db = openDatabase(options.dataDir, 'metrics', migrations);
    this.#writer = new WriteThread(options.dataDir, options.onGroup);
    // Reads run in the read thread unless told otherwise: a history scanning days of windows takes tens of
    // milliseconds or more, which would block every other request on the event loop.
    this.#thread = options.reads === 'inline' ? null : startReadThread(join(options.dataDir, 'metrics.db'));
    this.#reads = this.#thread ?? createMetricReads(this.#db);

    this.#timer = backgroundTimer({
      intervalMs:
        options.retentionInterval ?? (options.retention ? Math.min(3_600_000, options.retention / 10) : 0),
      run: () => this.enforceRetention(),
      onError: (error) => options.onBackgroundError?.(error),
    });
    this.#timer.start();
    this.#mergeTimer = backgroundTimer({
      intervalMs: options.mergeInterval ?? 5000,
      run: () => this.#writer.merge(false),
      onError: (error) => options.onBackgroundError?.(error),
    });
    this.#mergeTimer.start();
  }

  write(points: readonly SeriesPoint[]): Promise<void> {
    return points.length === 0 ? Promise.resolve() : this.#writer.write(points);
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

  /** Deletes windows outside retention now; resolves with how many. */
  async enforceRetention(): Promise<number> {
    if (this.#options.retention === null) return 0;
    return this.#writer.enforceRetention(this.#options.retention);
  }

  /**
   * Moves every window of the inbox into `blocks` now, a chunk per transaction (in the write thread, with
   * ingest commits in between chunks); resolves with how many moved. The background merge moves only
   * what is due (inbox.ts).
   */
  merge(): Promise<number> {
    return this.#writer.merge(true);
  }

  async close(): Promise<void> {
    this.#mergeTimer.stop();
    this.#timer.stop();
    await this.#writer.close();
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
