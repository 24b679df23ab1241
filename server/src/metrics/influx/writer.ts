import { HttpError, RequestTimedOutError } from '@influxdata/influxdb-client';
import { backoffDelay, sleep } from '@metrics-collector/common/backoff';
import { AppError } from '@metrics-collector/schema/errors';
import { type StoreOutcome, storeUnavailable } from '../../store-errors.js';
import type { InfluxConnection } from './connection.js';
import { influxMessage, isMissingDatabase, isRejection, writeOutcome } from './failures.js';

export interface InfluxWriterOptions {
  /** Foreground retries of a write that failed for a retryable reason, before the report fails. */
  writeRetries: number;
  /** The first retry's delay, ms, doubled for each further one; each wait is between half and all of it. */
  retryDelay: number;
  /** Most lines sent in one write request; later reports wait for the next one. */
  maxBatchLines: number;
}

/**
 * Two write requests in flight: influxd parses and indexes one request on one core, so with one in flight
 * the second core idled while the server waited (1,000 clients: 0.77–0.82 of a raw `/write` against 0.61
 * with one in flight, alternating; docs/storage.md).
 */
export const MAX_IN_FLIGHT = 2;

interface Pending {
  /** The report's lines, joined: the WriteApi's buffer takes it as one record. */
  text: string;
  lines: number;
  /** The windows it writes (`windowKeys` in store.ts): no two requests in flight carry the same window. */
  keys: readonly string[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Writes through the WriteApi: one request per group of reports, `MAX_IN_FLIGHT` at once. A window in a
 * request in flight waits for its answer before it is sent again, so two copies of a window reach influxd
 * in the order they were written. A write that failed for a retryable reason is retried in the foreground
 * (`writeRetries`, with backoff); a group InfluxDB refused is sent again report by report, so that each
 * report gets its own verdict.
 */
export class InfluxWriter {
  readonly #connection: InfluxConnection;
  readonly #options: InfluxWriterOptions;
  readonly #queue: Pending[] = [];
  #inFlight = 0;
  /** The windows of the requests in flight, each with how many of them carry it. */
  readonly #flying = new Map<string, number>();
  #scheduled = false;
  #closed = false;
  /** The last write's refusal of our credentials or bucket (401, 403, 404), until a write succeeds. */
  #refusal: HttpError | undefined;
  /** What a failed `send` left behind, by the error it threw. */
  readonly #outcomes = new WeakMap<object, StoreOutcome>();

  constructor(connection: InfluxConnection, options: InfluxWriterOptions) {
    this.#connection = connection;
    this.#options = options;
  }

  /** Whether `close` was called: new writes are refused. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The refusal of the last write, if it was refused for our credentials or bucket. */
  get refusal(): HttpError | undefined {
    return this.#refusal;
  }

  /**
   * Queues a report's lines, which write the windows `keys`; resolves once they are written, rejects with
   * the report's own verdict.
   */
  write(lines: readonly string[], keys: readonly string[]): Promise<void> {
    if (this.#closed) return Promise.reject(storeUnavailable(new Error('store closed'), 'NOT_STORED'));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ text: lines.join('\n'), lines: lines.length, keys, resolve, reject });
      this.#schedule();
    });
  }

  /** Refuses new writes, waits for the queued ones, then disposes of the WriteApi. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#inFlight > 0 || this.#queue.length > 0) await sleep(5);
    this.#connection.writeApi.dispose();
  }

  #schedule(): void {
    if (!this.#scheduled && this.#inFlight < MAX_IN_FLIGHT && this.#queue.length > 0) {
      this.#scheduled = true;
      setImmediate(() => void this.#drain());
    }
  }

  async #drain(): Promise<void> {
    this.#scheduled = false;
    if (this.#inFlight >= MAX_IN_FLIGHT) return;
    const group = this.#take();
    if (group.length === 0) return; // the next report's window is in flight: its answer drains again
    this.#inFlight += 1;
    this.#fly(group, 1);
    this.#schedule(); // what the group left behind goes in the next request, if one more may fly
    try {
      await this.#send(group.map((p) => p.text));
      for (const p of group) p.resolve();
    } catch (error) {
      if (isRejection(error) && group.length > 1) {
        // InfluxDB refused some line of the group: give every report its own verdict.
        for (const p of group) {
          try {
            await this.#send([p.text]);
            p.resolve();
          } catch (own) {
            p.reject(this.#verdict(own));
          }
        }
      } else {
        for (const p of group) p.reject(this.#verdict(error));
      }
    } finally {
      this.#fly(group, -1);
      this.#inFlight -= 1;
      this.#schedule();
    }
  }

  /** The next group: reports from the queue's head, in order, up to `maxBatchLines`, none in flight. */
  #take(): Pending[] {
    const group: Pending[] = [];
    let lines = 0;
    const queue = this.#queue;
    for (;;) {
      const next = queue[0];
      if (next === undefined || (group.length > 0 && lines + next.lines > this.#options.maxBatchLines)) break;
      if (this.#flying.size > 0 && next.keys.some((key) => this.#flying.has(key))) break;
      group.push(queue.shift() as Pending);
      lines += next.lines;
    }
    return group;
  }

  /** Counts the group's windows in (`by` 1) or out of (-1) flight. */
  #fly(group: Pending[], by: 1 | -1): void {
    for (const { keys } of group) {
      for (const key of keys) {
        const n = (this.#flying.get(key) ?? 0) + by;
        if (n === 0) this.#flying.delete(key);
        else this.#flying.set(key, n);
      }
    }
  }

  async #send(records: string[]): Promise<void> {
    const { writeApi } = this.#connection;
    // Once one attempt may have stored the points, the whole write's outcome is unknown.
    let outcome: StoreOutcome = 'NOT_STORED';
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.#connection.ensureDatabase();
        writeApi.writeRecords(records);
        await writeApi.flush();
        this.#refusal = undefined;
        return;
      } catch (error) {
        if (writeOutcome(error) === 'UNKNOWN') outcome = 'UNKNOWN';
        if (typeof error === 'object' && error !== null) this.#outcomes.set(error, outcome);
        if (isRefusal(error)) this.#refusal = error;
        if (isMissingDatabase(error) && attempt === 0) {
          this.#connection.forgetDatabase(); // dropped under us: create it again, once
          continue;
        }
        // A request that timed out already waited `timeout`: answer now rather than wait that long again.
        if (
          isRejection(error) ||
          error instanceof RequestTimedOutError ||
          attempt >= this.#options.writeRetries ||
          this.#closed
        ) {
          throw error;
        }
        await sleep(
          backoffDelay(attempt + 1, { minMs: this.#options.retryDelay, maxMs: Number.POSITIVE_INFINITY }),
        );
      }
    }
  }

  #verdict(error: unknown): AppError {
    if (error instanceof AppError) return error;
    if (isRejection(error)) {
      return new AppError('STORE_REJECTED', `InfluxDB refused the points: ${influxMessage(error)}`, {
        cause: error,
      });
    }
    return storeUnavailable(
      error,
      (typeof error === 'object' && error && this.#outcomes.get(error)) || 'UNKNOWN',
    );
  }
}

/** A refusal of our credentials or bucket (401, 403, 404): the store is not ready until a write passes. */
function isRefusal(error: unknown): error is HttpError {
  return error instanceof HttpError && [401, 403, 404].includes(error.statusCode);
}
