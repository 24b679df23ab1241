import { HttpError, RequestTimedOutError } from '@influxdata/influxdb-client';
import { AppError } from '@metrics-collector/schema/errors';
import { type StoreOutcome, storeUnavailable } from '../../store-errors.js';
import type { InfluxConnection } from './connection.js';
import { influxMessage, isMissingDatabase, isRejection, writeOutcome } from './failures.js';

export interface InfluxWriterOptions {
  /** Foreground retries of a write that failed for a retryable reason, before the report fails. */
  writeRetries: number;
  /** First retry delay, ms; doubled on each retry, with up to 50 % jitter. */
  retryDelay: number;
  /** Most lines sent in one write request; later reports wait for the next one. */
  maxBatchLines: number;
}

interface Pending {
  /** The report's lines, joined: the WriteApi's buffer takes it as one record. */
  text: string;
  lines: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Writes through the WriteApi: one request per group of reports, one in flight. A write that failed for
 * a retryable reason is retried in the foreground (`writeRetries`, with backoff); a group InfluxDB
 * refused is sent again report by report, so that each report gets its own verdict.
 */
export class InfluxWriter {
  readonly #connection: InfluxConnection;
  readonly #options: InfluxWriterOptions;
  readonly #queue: Pending[] = [];
  #inFlight = false;
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

  /** Queues a report's lines; resolves once they are written, rejects with the report's own verdict. */
  write(lines: readonly string[]): Promise<void> {
    if (this.#closed) return Promise.reject(storeUnavailable(new Error('store closed'), 'NOT_STORED'));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ text: lines.join('\n'), lines: lines.length, resolve, reject });
      this.#schedule();
    });
  }

  /** Refuses new writes, waits for the queued ones, then disposes of the WriteApi. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#inFlight || this.#queue.length > 0) await sleep(5);
    this.#connection.writeApi.dispose();
  }

  #schedule(): void {
    if (!this.#scheduled && !this.#inFlight && this.#queue.length > 0) {
      this.#scheduled = true;
      setImmediate(() => void this.#drain());
    }
  }

  async #drain(): Promise<void> {
    this.#scheduled = false;
    if (this.#inFlight || this.#queue.length === 0) return;
    this.#inFlight = true;
    const group: Pending[] = [];
    let lines = 0;
    const queue = this.#queue;
    while (
      queue.length > 0 &&
      (group.length === 0 || lines + (queue[0]?.lines ?? 0) <= this.#options.maxBatchLines)
    ) {
      const next = queue.shift() as Pending;
      group.push(next);
      lines += next.lines;
    }
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
      this.#inFlight = false;
      this.#schedule();
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
        await sleep(this.#options.retryDelay * 2 ** attempt * (1 + Math.random() / 2));
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
