import { HttpError, InfluxDB, type Transport, type WriteApi } from '@influxdata/influxdb-client';
import { AppError } from '@metrics-collector/schema/errors';
import { storeUnavailable } from '../../store-errors.js';
import { influxMessage } from './failures.js';
import { createDatabaseStatement } from './influxql.js';

/** Where and how to reach InfluxDB (the store's options, less what the store itself does). */
export interface InfluxConnectionOptions {
  url: string;
  api: 'v1' | 'v2';
  token?: string;
  org?: string;
  bucket?: string;
  database: string;
  retentionPolicy?: string;
  username?: string;
  password?: string;
  /** Socket timeout for each request, ms. */
  timeout: number;
  /** Gzip write bodies over 1,000 bytes. */
  gzip?: boolean;
  onQuery?: (influxql: string) => void;
  onBackgroundError: (error: unknown) => void;
}

/** One row of a statement's series, by column. */
export interface Row {
  [column: string]: number | string | null;
}

/** One statement's series: each with its tags and rows. */
export type StatementResult = { tags: Record<string, string>; rows: Row[] }[];

interface QueryResponse {
  error?: string;
  results: {
    error?: string;
    series?: { tags?: Record<string, string>; columns: string[]; values: unknown[][] }[];
  }[];
}

/**
 * The HTTP side of the store: the client library's transport (v1 or v2 authentication and write path),
 * its WriteApi, InfluxQL over `/query`, and (v1) creating the database on first use.
 */
export class InfluxConnection {
  readonly transport: Transport;
  readonly writeApi: WriteApi;
  readonly #options: InfluxConnectionOptions;
  #databaseReady: Promise<void> | undefined;

  constructor(options: InfluxConnectionOptions) {
    this.#options = options;
    const headers: Record<string, string> = {};
    if (options.api === 'v1' && options.username !== undefined) {
      const credentials = `${options.username}:${options.password ?? ''}`;
      headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    const base = new InfluxDB({
      url: options.url,
      token: options.api === 'v2' ? options.token : undefined,
      timeout: options.timeout,
      headers,
    }).transport;
    const transport =
      options.api === 'v1' ? v1Transport(base, options.database, options.retentionPolicy) : base;
    this.transport = transport;
    this.writeApi = new InfluxDB({ url: options.url, transport }).getWriteApi(
      options.org ?? '',
      options.bucket ?? options.database,
      'ms',
      {
        // Batching is ours (writer.ts): the buffer must never flush by itself, or a report could be
        // acknowledged while some of its lines failed in a flush nobody awaited.
        batchSize: 1_000_000,
        maxBatchBytes: Number.POSITIVE_INFINITY,
        flushInterval: 0,
        // The library's retry buffer retries in the background after the write already failed; an old copy
        // retried late could overwrite a newer copy of the same window. We retry in the foreground instead.
        maxRetries: 0,
        // On loopback gzip costs both processes more CPU than it saves (see docs/benchmarks.md).
        gzipThreshold: options.gzip === false ? Number.MAX_SAFE_INTEGER : 1_000,
      },
    );
  }

  /**
   * Runs statements and returns each one's series. "database not found" reads as no series (nothing was
   * written yet); an unreachable or failing server is STORE_UNAVAILABLE; any other error is ours.
   */
  async query(q: string, useDb = true): Promise<StatementResult[]> {
    this.#options.onQuery?.(q);
    const params = this.#queryParams(useDb);
    params.set('q', q);
    let body: QueryResponse;
    try {
      body = (await this.transport.request('/query', params.toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      })) as QueryResponse;
    } catch (error) {
      if (error instanceof HttpError && error.statusCode === 400) body = (error.json ?? {}) as QueryResponse;
      else throw storeUnavailable(error);
    }
    const failure = body.error ?? body.results?.find((r) => r.error)?.error;
    if (failure && /database not found/i.test(failure)) return (body.results ?? []).map(() => []);
    if (failure || !body.results) throw new Error(`InfluxDB could not run ${q}: ${failure ?? 'no results'}`);
    return body.results.map((result) =>
      (result.series ?? []).map((series) => ({
        tags: series.tags ?? {},
        rows: series.values.map((values) =>
          Object.fromEntries(
            series.columns.map((column, i) => [column, values[i] as number | string | null]),
          ),
        ),
      })),
    );
  }

  /**
   * v1: creates the database if missing (CREATE DATABASE is idempotent). A user without the admin
   * privilege it needs is refused; the database is then assumed to exist and writes say otherwise.
   */
  ensureDatabase(): Promise<void> {
    const options = this.#options;
    if (options.api !== 'v1') return Promise.resolve();
    this.#databaseReady ??= this.query(createDatabaseStatement(options.database), false).then(
      () => undefined,
      (error) => {
        if (error instanceof AppError) {
          const cause = error.originalError;
          if (cause instanceof HttpError && (cause.statusCode === 401 || cause.statusCode === 403)) {
            options.onBackgroundError(
              new Error(`cannot create database ${options.database}: ${influxMessage(cause)}`),
            );
            return;
          }
        }
        this.#databaseReady = undefined;
        throw error;
      },
    );
    return this.#databaseReady;
  }

  /** The database was dropped under us: the next `ensureDatabase` creates it again. */
  forgetDatabase(): void {
    this.#databaseReady = undefined;
  }

  /** `/ping`, which needs no credentials; a failure is STORE_UNAVAILABLE. */
  async ping(): Promise<void> {
    try {
      await this.transport.request('/ping', '', { method: 'GET' });
    } catch (error) {
      throw storeUnavailable(error);
    }
  }

  #queryParams(db: boolean): URLSearchParams {
    const params = new URLSearchParams({ epoch: 'ms' });
    if (db) params.set('db', this.#options.database);
    if (db && this.#options.retentionPolicy) params.set('rp', this.#options.retentionPolicy);
    return params;
  }
}

/** Posts the WriteApi's lines to InfluxDB 1.x `/write?db=&rp=` instead of `/api/v2/write`. */
function v1Transport(base: Transport, database: string, retentionPolicy: string | undefined): Transport {
  const params = new URLSearchParams({ db: database, precision: 'ms' });
  if (retentionPolicy) params.set('rp', retentionPolicy);
  const writePath = `/write?${params}`;
  return {
    send: (path, body, options, callbacks) =>
      base.send(path.startsWith('/api/v2/write') ? writePath : path, body, options, callbacks),
    request: (path, body, options, responseStarted) => base.request(path, body, options, responseStarted),
    iterate: (path, body, options) => base.iterate(path, body, options),
    chunkCombiner: base.chunkCombiner,
  };
}
