import {
  HttpError,
  InfluxDB,
  RequestTimedOutError,
  setLogger,
  type Transport,
  type WriteApi,
} from '@influxdata/influxdb-client';
import { AppError } from '@metrics-collector/schema/errors';
import { catalogue, type Metric } from '@metrics-collector/schema/metrics/catalogue';
import type {
  Aggregate,
  Bucket,
  ClientSummary,
  MetricStore,
  PooledStats,
  SeriesPoint,
  SeriesSelector,
} from '@metrics-collector/schema/metrics/types';
import { aggregateValue } from '@metrics-collector/schema/metrics/types';
import { type StoreOutcome, storeUnavailable } from './sqlite.js';

/**
 * The InfluxDB metric store. Writes line protocol through the client library's WriteApi (gzip, its
 * transport) to `/api/v2/write` (InfluxDB 2.x, 3.x, 1.8+, VictoriaMetrics) or, with `api: 'v1'`, through a
 * transport that posts the same lines to `/write` (InfluxDB 1.x before 1.8). Reads with InfluxQL on
 * `/query` for every version. Schema and query plan: docs/storage.md.
 */
export interface InfluxMetricStoreOptions {
  url: string;
  api: 'v1' | 'v2';
  /** v2: API token (`Authorization: Token`). */
  token?: string;
  /** v2: organisation (name or id) and bucket written to. */
  org?: string;
  bucket?: string;
  /** Database InfluxQL reads (and, with v1, writes); with v2 the bucket's DBRP mapping, by default its name. */
  database: string;
  /** Retention policy to write to and read from; the database's default when omitted. */
  retentionPolicy?: string;
  /** v1: basic auth. */
  username?: string;
  password?: string;
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
  /** First retry delay, ms; doubled on each retry, with up to 50 % jitter. @default 50 */
  retryDelay?: number;
  /** Most lines sent in one write request; later reports wait for the next one. @default 5000 */
  maxBatchLines?: number;
  /** Every InfluxQL statement before it is sent (debug logging, tests). */
  onQuery?: (influxql: string) => void;
  /** Failures of background work (retention) and the client library's own log lines. */
  onBackgroundError?: (error: unknown) => void;
}

export interface InfluxMetricStore extends MetricStore {
  /** Deletes windows outside retention now (v1 only; a no-op with v2). */
  enforceRetention(): Promise<void>;
  /** The lines a set of points becomes, for tests and benchmarks. */
  toLines(points: readonly SeriesPoint[]): string[];
}

interface Pending {
  /** The report's lines, joined: the WriteApi's buffer takes it as one record. */
  text: string;
  lines: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Row {
  [column: string]: number | string | null;
}

const STATS = ['mean', 'variance', 'min', 'max'] as const;

export function createInfluxMetricStore(options: InfluxMetricStoreOptions): InfluxMetricStore {
  const timeout = options.timeout ?? 5_000;
  const writeRetries = options.writeRetries ?? 2;
  const retryDelay = options.retryDelay ?? 50;
  const maxBatchLines = options.maxBatchLines ?? 5_000;
  const onBackgroundError = options.onBackgroundError ?? (() => {});
  // The library logs every failed write itself; our callers get the error, so its lines go to debug.
  setLogger({ error: () => {}, warn: () => {} });

  const headers: Record<string, string> = {};
  if (options.api === 'v1' && options.username !== undefined) {
    const credentials = `${options.username}:${options.password ?? ''}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const base = new InfluxDB({
    url: options.url,
    token: options.api === 'v2' ? options.token : undefined,
    timeout,
    headers,
  }).transport;
  const transport =
    options.api === 'v1' ? v1Transport(base, options.database, options.retentionPolicy) : base;
  const writeApi: WriteApi = new InfluxDB({ url: options.url, transport }).getWriteApi(
    options.org ?? '',
    options.bucket ?? options.database,
    'ms',
    {
      // Batching is ours (one request per group of reports, below): the buffer must never flush by itself,
      // or a report could be acknowledged while some of its lines failed in a flush nobody awaited.
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

  // ---- InfluxQL over /query ----

  const queryParams = (db: boolean) => {
    const params = new URLSearchParams({ epoch: 'ms' });
    if (db) params.set('db', options.database);
    if (db && options.retentionPolicy) params.set('rp', options.retentionPolicy);
    return params;
  };

  /**
   * Runs statements and returns each one's series. "database not found" reads as no series (nothing was
   * written yet); an unreachable or failing server is STORE_UNAVAILABLE; any other error is ours.
   */
  const influxql = async (q: string, useDb = true): Promise<StatementResult[]> => {
    options.onQuery?.(q);
    const params = queryParams(useDb);
    params.set('q', q);
    let body: QueryResponse;
    try {
      body = (await transport.request('/query', params.toString(), {
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
  };

  let databaseReady: Promise<void> | undefined;
  /**
   * v1: creates the database if missing (CREATE DATABASE is idempotent). A user without the admin
   * privilege it needs is refused; the database is then assumed to exist and writes say otherwise.
   */
  const ensureDatabase = (): Promise<void> => {
    if (options.api !== 'v1') return Promise.resolve();
    databaseReady ??= influxql(`CREATE DATABASE ${identifier(options.database)}`, false).then(
      () => undefined,
      (error) => {
        if (error instanceof AppError) {
          const cause = error.originalError;
          if (cause instanceof HttpError && (cause.statusCode === 401 || cause.statusCode === 403)) {
            onBackgroundError(
              new Error(`cannot create database ${options.database}: ${influxMessage(cause)}`),
            );
            return;
          }
        }
        databaseReady = undefined;
        throw error;
      },
    );
    return databaseReady;
  };

  // ---- writes: one request per group of reports, one in flight ----

  const queue: Pending[] = [];
  let inFlight = false;
  let scheduled = false;
  let closed = false;

  /** The last write's refusal of our credentials or bucket (401, 403, 404), until a write succeeds. */
  let refusal: HttpError | undefined;
  /** What a failed `send` left behind, by the error it threw. */
  const outcomes = new WeakMap<object, StoreOutcome>();
  const send = async (records: string[]): Promise<void> => {
    // Once one attempt may have stored the points, the whole write's outcome is unknown.
    let outcome: StoreOutcome = 'NOT_STORED';
    for (let attempt = 0; ; attempt += 1) {
      try {
        await ensureDatabase();
        writeApi.writeRecords(records);
        await writeApi.flush();
        refusal = undefined;
        return;
      } catch (error) {
        if (writeOutcome(error) === 'UNKNOWN') outcome = 'UNKNOWN';
        if (typeof error === 'object' && error !== null) outcomes.set(error, outcome);
        if (error instanceof HttpError && [401, 403, 404].includes(error.statusCode)) refusal = error;
        if (isMissingDatabase(error) && attempt === 0) {
          databaseReady = undefined; // dropped under us: create it again, once
          continue;
        }
        // A request that timed out already waited `timeout`: answer now rather than wait that long again.
        if (
          isRejection(error) ||
          error instanceof RequestTimedOutError ||
          attempt >= writeRetries ||
          closed
        ) {
          throw error;
        }
        await sleep(retryDelay * 2 ** attempt * (1 + Math.random() / 2));
      }
    }
  };

  const verdict = (error: unknown): AppError =>
    error instanceof AppError
      ? error
      : isRejection(error)
        ? new AppError('STORE_REJECTED', `InfluxDB refused the points: ${influxMessage(error)}`, {
            cause: error,
          })
        : storeUnavailable(error, (typeof error === 'object' && error && outcomes.get(error)) || 'UNKNOWN');

  const drain = async () => {
    scheduled = false;
    if (inFlight || queue.length === 0) return;
    inFlight = true;
    const group: Pending[] = [];
    let lines = 0;
    while (queue.length > 0 && (group.length === 0 || lines + (queue[0]?.lines ?? 0) <= maxBatchLines)) {
      const next = queue.shift() as Pending;
      group.push(next);
      lines += next.lines;
    }
    try {
      await send(group.map((p) => p.text));
      for (const p of group) p.resolve();
    } catch (error) {
      if (isRejection(error) && group.length > 1) {
        // InfluxDB refused some line of the group: give every report its own verdict.
        for (const p of group) {
          try {
            await send([p.text]);
            p.resolve();
          } catch (own) {
            p.reject(verdict(own));
          }
        }
      } else {
        for (const p of group) p.reject(verdict(error));
      }
    } finally {
      inFlight = false;
      schedule();
    }
  };
  const schedule = () => {
    if (!scheduled && !inFlight && queue.length > 0) {
      scheduled = true;
      setImmediate(drain);
    }
  };

  // ---- reads ----

  /**
   * One group's pooled statistics. A flat InfluxQL aggregation over the stored sums answers most groups;
   * those where Σx²/N − M² would lose digits to cancellation get a second, shifted pass (docs/storage.md).
   */
  const pooledQuery = async (
    selector: SeriesSelector,
    grouping: { width: number } | 'client',
    aggregate: Aggregate,
  ): Promise<{ time: number; clientId: string; stats: PooledStats }[]> => {
    if (!storable(selector.clientId)) return [];
    await ensureDatabase();
    const [result] = await influxql(flatStatement(selector, grouping, aggregate));
    const groups: { time: number; clientId: string; row: Row; stats: PooledStats }[] = [];
    for (const series of result ?? []) {
      for (const row of series.rows) {
        const stats = pooledStats(row, aggregate);
        if (stats)
          groups.push({ time: row.time as number, clientId: series.tags.client_id ?? '', row, stats });
      }
    }
    const unstable = groups.filter((g) => !wellConditioned(g.row, g.stats));
    if (unstable.length > 0) await refine(selector, grouping, aggregate, unstable);
    return groups;
  };

  /**
   * The second pass for ill-conditioned groups: Σn(m − c) and Σn(v + (m − c)²) with c the median of their
   * pooled means, over just their time span (history) or clients (summary).
   */
  const refine = async (
    selector: SeriesSelector,
    grouping: { width: number } | 'client',
    aggregate: Aggregate,
    unstable: { time: number; clientId: string; stats: PooledStats }[],
  ) => {
    const means = unstable.map((g) => g.stats.mean).sort((x, y) => x - y);
    const shift = means[means.length >> 1] as number;
    let narrowed = selector;
    let clients: string[] | null = null;
    if (grouping === 'client') {
      if (selector.clientId === null && unstable.length <= 100) clients = unstable.map((g) => g.clientId);
    } else {
      const starts = unstable.map((g) => g.time);
      narrowed = {
        ...selector,
        from: Math.max(selector.from, Math.min(...starts)),
        to: Math.min(selector.to, Math.max(...starts) + grouping.width),
      };
    }
    const [result] = await influxql(shiftedStatement(narrowed, shift, grouping, clients));
    const sums = new Map<string, Row>();
    for (const series of result ?? []) {
      for (const row of series.rows) {
        sums.set(grouping === 'client' ? (series.tags.client_id ?? '') : String(row.time), row);
      }
    }
    for (const group of unstable) {
      const row = sums.get(grouping === 'client' ? group.clientId : String(group.time));
      if (!row || typeof row.s !== 'number' || typeof row.q !== 'number') continue;
      const n = group.stats.count;
      const offset = row.s / n;
      const variance = Math.max(0, row.q / n - offset * offset);
      const mean = shift + offset;
      group.stats.variance = variance;
      group.stats.mean = mean;
      if (aggregate === 'MEAN') group.stats.value = mean;
    }
  };

  // ---- retention (v1) ----

  const enforceRetention = async (): Promise<void> => {
    if (options.retention === null || options.api !== 'v1') return;
    await ensureDatabase();
    const measurements = [...new Set(Object.values(catalogue).map((spec) => spec.kind))];
    const [newest] = await influxql(
      `SELECT * FROM ${measurements.map(identifier).join(',')} ORDER BY time DESC LIMIT 1`,
    );
    const times = (newest ?? []).flatMap((s) => s.rows.map((r) => r.time as number));
    if (times.length === 0) return;
    const cutoff = Math.max(...times) - options.retention;
    await influxql(`DELETE WHERE time < ${integer(cutoff)}ms`);
  };
  const retentionInterval =
    options.retentionInterval ??
    (options.retention && options.api === 'v1' ? Math.min(3_600_000, options.retention / 10) : 0);
  const timer =
    retentionInterval > 0
      ? setInterval(() => enforceRetention().catch(onBackgroundError), retentionInterval)
      : undefined;
  timer?.unref();

  return {
    write: (points) => {
      if (points.length === 0) return Promise.resolve();
      if (closed) return Promise.reject(storeUnavailable(new Error('store closed'), 'NOT_STORED'));
      let lines: string[];
      try {
        lines = toLines(points);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ text: lines.join('\n'), lines: lines.length, resolve, reject });
        schedule();
      });
    },
    history: async (selector, width, aggregate) => {
      const groups = await pooledQuery(selector, { width }, aggregate);
      return groups.map(({ time, stats }) => ({ start: time, ...stats })) satisfies Bucket[];
    },
    summarize: async (selector, aggregate) => {
      const groups = await pooledQuery(selector, 'client', aggregate);
      return groups
        .map(({ clientId, stats }) => ({ clientId, ...stats }) satisfies ClientSummary)
        .sort((a, b) => compareBytes(a.clientId, b.clientId));
    },
    ping: async () => {
      try {
        await transport.request('/ping', '', { method: 'GET' });
      } catch (error) {
        throw storeUnavailable(error);
      }
      // /ping needs no credentials: a store that answers it but refuses ours is not ready either.
      if (refusal) throw storeUnavailable(refusal);
    },
    enforceRetention,
    toLines,
    close: async () => {
      closed = true;
      if (timer) clearInterval(timer);
      while (inFlight || queue.length > 0) await sleep(5);
      writeApi.dispose();
    },
  };
}

// ---- line protocol ----

/**
 * One line per measurement, series and window: `cpu,client_id=a,core=0 utilization_mean=…,… <start ms>`.
 * Metrics of the same kind and window share a line (fields `<field>_<stat>`).
 */
function toLines(points: readonly SeriesPoint[]): string[] {
  const lines = new Map<string, string[]>();
  for (const p of points) {
    if (!storable(p.clientId)) {
      throw new AppError('BAD_USER_INPUT', 'clientId: must not contain backslashes or control characters', {
        field: 'clientId',
      });
    }
    const spec = catalogue[p.metric];
    const key = `${spec.kind},client_id=${tagValue(p.clientId)}${p.core === null ? '' : `,core=${integer(p.core)}`} ${integer(p.windowStart)}`;
    let fields = lines.get(key);
    if (!fields) {
      fields = [];
      lines.set(key, fields);
    }
    for (const stat of STATS) fields.push(`${spec.field}_${stat}=${float(p[stat])}`);
    fields.push(`${spec.field}_count=${integer(p.count)}i`);
    // Σx and Σx² of the window's observations, so that InfluxQL can pool windows with plain sum().
    fields.push(`${spec.field}_sum=${float(p.count * p.mean)}`);
    fields.push(`${spec.field}_sum_squares=${float(p.count * (p.variance + p.mean * p.mean))}`);
  }
  return [...lines].map(([key, fields]) => {
    const space = key.lastIndexOf(' ');
    return `${key.slice(0, space)} ${fields.join(',')}${key.slice(space)}`;
  });
}

/** Tag values escape comma, equals sign and space; backslashes and control characters cannot be stored. */
function tagValue(value: string): string {
  return value.replace(/[,= ]/g, (c) => `\\${c}`);
}

function float(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return String(value);
}

function integer(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return String(value);
}

/**
 * Whether a client id survives line protocol unchanged: InfluxDB reads a backslash in a tag value as an
 * escape, so ids with one are refused at ingest (docs/api.md) and can have no stored windows.
 */
function storable(clientId: string | null): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects
  return clientId === null || !/[\\\u0000-\u001f\u007f]/.test(clientId);
}

// ---- InfluxQL ----

/** A double-quoted InfluxQL identifier. */
export function identifier(name: string): string {
  return `"${name.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

/** A single-quoted InfluxQL string literal. */
export function stringLiteral(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}'`;
}

/** A number literal InfluxQL parses (no exponent notation). */
function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  const text = String(value);
  return /e/i.test(text) ? value.toFixed(20).replace(/\.?0+$/, '') : text;
}

/** The WHERE clause of a selector: time range, overall or per-core series, client. */
export function whereClause(selector: SeriesSelector): string {
  const spec = catalogue[selector.metric];
  const parts = [`time >= ${integer(selector.from)}ms`, `time < ${integer(selector.to)}ms`];
  if (!spec.perCore) parts.push(`"core" = ''`);
  else if (selector.core === null) parts.push(`"core" != ''`);
  else parts.push(`"core" = '${integer(selector.core)}'`);
  if (selector.clientId !== null) parts.push(`"client_id" = ${stringLiteral(selector.clientId)}`);
  return parts.join(' AND ');
}

const RANKED: Partial<Record<Aggregate, (mean: string) => string>> = {
  MEDIAN: (mean) => `median(${mean})`,
  P90: (mean) => `percentile(${mean}, 90)`,
  P95: (mean) => `percentile(${mean}, 95)`,
  P99: (mean) => `percentile(${mean}, 99)`,
  LAST: (mean) => `last(${mean})`,
};

const groupBy = (grouping: { width: number } | 'client') =>
  grouping === 'client' ? 'GROUP BY "client_id"' : `GROUP BY time(${integer(grouping.width)}ms) fill(none)`;

/**
 * The statement behind `history` (grouping by time) and `summarize` (grouping by client): InfluxQL's own
 * aggregates over the stored fields, no subquery. `s` and `q` are Σx and Σx² over the observations, from
 * the fields `_sum` and `_sum_squares` every window carries.
 */
export function flatStatement(
  selector: SeriesSelector,
  grouping: { width: number } | 'client',
  aggregate: Aggregate,
): string {
  const spec = catalogue[selector.metric as Metric];
  const f = (stat: string) => identifier(`${spec.field}_${stat}`);
  const ranked = RANKED[aggregate];
  return (
    `SELECT sum(${f('count')}) AS "n", sum(${f('sum')}) AS "s", sum(${f('sum_squares')}) AS "q", ` +
    `min(${f('min')}) AS "lo", max(${f('max')}) AS "hi", count(${f('mean')}) AS "k", ` +
    `max(${f('mean')}) AS "m1", max(${f('variance')}) AS "v1"${ranked ? `, ${ranked(f('mean'))} AS "r"` : ''} ` +
    `FROM ${identifier(spec.kind)} WHERE ${whereClause(selector)} ${groupBy(grouping)}`
  );
}

/**
 * The precise pass: per group Σn(m − c) and Σn(v + (m − c)²) for a shift c near the groups' means, which
 * InfluxQL can only compute per window in a subquery. `clients` narrows a fleet summary to those clients.
 */
export function shiftedStatement(
  selector: SeriesSelector,
  shift: number,
  grouping: { width: number } | 'client',
  clients: string[] | null,
): string {
  const spec = catalogue[selector.metric as Metric];
  const f = (stat: string) => identifier(`${spec.field}_${stat}`);
  const deviation = `(${f('mean')} - ${numberLiteral(shift)})`;
  const only = clients
    ? ` AND (${clients.map((c) => `"client_id" = ${stringLiteral(c)}`).join(' OR ')})`
    : '';
  const inner =
    `SELECT ${f('count')} * ${deviation} AS "s", ${f('count')} * (${f('variance')} + ${deviation} * ${deviation}) AS "q" ` +
    `FROM ${identifier(spec.kind)} WHERE ${whereClause(selector)}${only}${grouping === 'client' ? ' GROUP BY "client_id"' : ''}`;
  return (
    `SELECT sum("s") AS "s", sum("q") AS "q" FROM (${inner}) ` +
    `WHERE time >= ${integer(selector.from)}ms AND time < ${integer(selector.to)}ms ${groupBy(grouping)}`
  );
}

/** One group's pooled statistics from the flat statement's row; `null` for a group without windows. */
function pooledStats(row: Row, aggregate: Aggregate): PooledStats | null {
  const n = row.n as number | null;
  const k = row.k as number | null;
  if (!n || !k) return null;
  // A group of one window returns that window's own numbers, untouched by rounding (as the embedded store).
  const mean = k === 1 ? (row.m1 as number) : (row.s as number) / n;
  const variance = k === 1 ? (row.v1 as number) : Math.max(0, (row.q as number) / n - mean * mean);
  const stats = { count: n, mean, variance, min: row.lo as number, max: row.hi as number };
  return { ...stats, value: aggregateValue(stats, aggregate, row.r as number) };
}

/**
 * Whether Σx²/N − M² kept at least 9 significant digits: its rounding error grows with the number of
 * windows summed and with Σx²/N, about ε·(k + 2)·Σx²/N.
 */
function wellConditioned(row: Row, stats: PooledStats): boolean {
  const k = row.k as number;
  if (k === 1) return true;
  const meanSquare = (row.q as number) / stats.count;
  return (k + 2) * Number.EPSILON * meanSquare <= 1e-9 * stats.variance;
}

// ---- transport and errors ----

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

/**
 * InfluxDB refused the points themselves (400 bad or partial write, 413, 422): retrying the same lines
 * cannot help. Authentication, a missing bucket, 429 and 5xx are the server's state, and retryable.
 */
function isRejection(error: unknown): error is HttpError {
  return error instanceof HttpError && [400, 413, 422].includes(error.statusCode);
}

function isMissingDatabase(error: unknown): boolean {
  return (
    error instanceof HttpError && error.statusCode === 404 && /database not found/i.test(influxMessage(error))
  );
}

function influxMessage(error: HttpError): string {
  const json = error.json as { error?: unknown; message?: unknown } | undefined;
  const message = json?.error ?? json?.message ?? error.body ?? error.message;
  return String(message).trim();
}

/** SQLite's order for client ids (byte order of UTF-8), so that both stores sort summaries alike. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface QueryResponse {
  error?: string;
  results: {
    error?: string;
    series?: { tags?: Record<string, string>; columns: string[]; values: unknown[][] }[];
  }[];
}

type StatementResult = { tags: Record<string, string>; rows: Row[] }[];

/** Error codes of a connection that never carried the request: nothing reached InfluxDB. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * What one failed write request left behind: an answer below 500 (a refusal, a throttle) stored
 * nothing, nor did a connection that was never made; a timeout, a 5xx or a connection lost midway may
 * have stored some or all of the points.
 */
function writeOutcome(error: unknown): StoreOutcome {
  if (error instanceof HttpError) return error.statusCode < 500 ? 'NOT_STORED' : 'UNKNOWN';
  const code =
    (error as { code?: unknown }).code ?? ((error as { cause?: { code?: unknown } }).cause?.code as unknown);
  return typeof code === 'string' && NOT_SENT.has(code) ? 'NOT_STORED' : 'UNKNOWN';
}
