import { setLogger } from '@influxdata/influxdb-client';
import { catalogue } from '@metrics-collector/common/catalogue';
import { type BackgroundTimer, backgroundTimer } from '@metrics-collector/common/timer';
import type {
  Aggregate,
  Bucket,
  ClientSummary,
  MetricStore,
  SeriesPoint,
  SeriesSelector,
} from '@metrics-collector/schema/metrics/types';
import { storeUnavailable } from '../../store-errors.js';
import { type InfluxAddress, InfluxConnection } from './connection.js';
import { deleteBeforeStatement, newestStatement } from './influxql.js';
import { toLines } from './line-protocol.js';
import { InfluxReads } from './reads.js';
import { InfluxWriter } from './writer.js';

/**
 * The InfluxDB metric store. Writes line protocol through the client library's WriteApi (gzip, its
 * transport) to `/api/v2/write` (InfluxDB 2.x, 3.x, 1.8+, VictoriaMetrics) or, with `api: 'v1'`, through a
 * transport that posts the same lines to `/write` (InfluxDB 1.x before 1.8). Reads with InfluxQL on
 * `/query` for every version. Schema and query plan: docs/storage.md.
 */
export interface InfluxMetricStoreOptions extends InfluxAddress {
  /**
   * v1 only: windows further than this behind the newest stored window are deleted (the embedded store's
   * rule). With v2 retention belongs to the bucket. `null` keeps everything.
   */
  retention: number | null;
  /** How often retention runs, ms. @default min(1 hour, retention / 10) */
  retentionInterval?: number;
  /** Gzip write bodies over 1,000 bytes. @default true */
  gzip?: boolean;
  /** Socket timeout for each request, ms. @default 5000 */
  timeout?: number;
  /** Foreground retries of a write that failed for a retryable reason, before the report fails. @default 2 */
  writeRetries?: number;
  /**
   * The first retry's delay, ms, doubled for each further one; each wait is drawn between half and all of
   * it (`backoffDelay`). @default 50
   */
  retryDelay?: number;
  /** Most lines sent in one write request; later reports wait for the next one. @default 5000 */
  maxBatchLines?: number;
  /** Every InfluxQL statement before it is sent (debug logging, tests). */
  onQuery?: (influxql: string) => void;
  /** Failures of background work (retention) and the client library's own log lines. */
  onBackgroundError?: (error: unknown) => void;
}

/**
 * The InfluxDB metric store: line protocol (line-protocol.ts) written in batches by the writer
 * (writer.ts), InfluxQL reads (influxql.ts, reads.ts) and, with v1, retention on a timer.
 */
export class InfluxMetricStore implements MetricStore {
  readonly #options: InfluxMetricStoreOptions;
  readonly #connection: InfluxConnection;
  readonly #writer: InfluxWriter;
  readonly #reads: InfluxReads;
  readonly #timer: BackgroundTimer;

  constructor(options: InfluxMetricStoreOptions) {
    this.#options = options;
    const onBackgroundError = options.onBackgroundError ?? (() => {});
    // The library logs every failed write itself; our callers get the error, so its lines go to debug.
    setLogger({ error: () => {}, warn: () => {} });
    this.#connection = new InfluxConnection({
      ...options,
      timeout: options.timeout ?? 5_000,
      onBackgroundError,
    });
    this.#writer = new InfluxWriter(this.#connection, {
      writeRetries: options.writeRetries ?? 2,
      retryDelay: options.retryDelay ?? 50,
      maxBatchLines: options.maxBatchLines ?? 5_000,
    });
    this.#reads = new InfluxReads(this.#connection);
    this.#timer = backgroundTimer({
      intervalMs:
        options.retentionInterval ??
        (options.retention && options.api === 'v1' ? Math.min(3_600_000, options.retention / 10) : 0),
      run: () => this.enforceRetention(),
      onError: onBackgroundError,
    });
    this.#timer.start();
  }

  async write(points: readonly SeriesPoint[]): Promise<void> {
    if (points.length === 0) return;
    if (this.#writer.closed) throw storeUnavailable(new Error('store closed'), 'NOT_STORED');
    // A point `toLines` cannot write rejects the promise; the lines are queued before `write` returns.
    return this.#writer.write(toLines(points), windowKeys(points));
  }

  history(selector: SeriesSelector, width: number, aggregate: Aggregate): Promise<Bucket[]> {
    return this.#reads.history(selector, width, aggregate);
  }

  summarize(selector: SeriesSelector, aggregate: Aggregate): Promise<ClientSummary[]> {
    return this.#reads.summarize(selector, aggregate);
  }

  async ping(): Promise<void> {
    await this.#connection.ping();
    // /ping needs no credentials: a store that answers it but refuses ours is not ready either.
    const refusal = this.#writer.refusal;
    if (refusal) throw storeUnavailable(refusal);
  }

  /** Deletes windows outside retention now (v1 only; a no-op with v2). */
  async enforceRetention(): Promise<void> {
    const { retention, api } = this.#options;
    if (retention === null || api !== 'v1') return;
    await this.#connection.ensureDatabase();
    const measurements = [...new Set(Object.values(catalogue).map((spec) => spec.kind))];
    const [newest] = await this.#connection.query(newestStatement(measurements));
    const times = (newest ?? []).flatMap((s) => s.rows.map((r) => r.time as number));
    if (times.length === 0) return;
    const cutoff = Math.max(...times) - retention;
    await this.#connection.query(deleteBeforeStatement(cutoff));
  }

  /** The lines a set of points becomes, for tests and benchmarks. */
  toLines(points: readonly SeriesPoint[]): string[] {
    return toLines(points);
  }

  async close(): Promise<void> {
    this.#timer.stop();
    await this.#writer.close();
  }
}

/** The InfluxDB metric store; nothing is sent until the first write or read. */
export function createInfluxMetricStore(options: InfluxMetricStoreOptions): InfluxMetricStore {
  return new InfluxMetricStore(options);
}

/** The distinct windows (client and start) of `points`; a report's points are usually all one window. */
function windowKeys(points: readonly SeriesPoint[]): string[] {
  const key = (p: SeriesPoint) => `${p.windowStart} ${p.clientId}`;
  const [head] = points as [SeriesPoint];
  const one = points.every((p) => p.windowStart === head.windowStart && p.clientId === head.clientId);
  return one ? [key(head)] : [...new Set(points.map(key))];
}
