import type { IncomingMessage } from 'node:http';
import { type OriginalMetricName, originalMetricNames } from '@metrics-collector/common/catalogue';
import { requireScope } from '@metrics-collector/schema/auth';
import type { Context } from '@metrics-collector/schema/context';
import { parseDuration } from '@metrics-collector/schema/duration';
import { AppError, badInput } from '@metrics-collector/schema/errors';
import { metricHistory } from '@metrics-collector/schema/history/service';
import { reportInputNames, reportMetrics } from '@metrics-collector/schema/metrics/service';
import type { ReportFieldNames, ReportInput, Stat } from '@metrics-collector/schema/metrics/types';
import { parseDateTime } from '@metrics-collector/schema/scalars';
import { parseJson, readBody } from './body.js';
import { MethodNotAllowed } from './error-boundary.js';

/**
 * The original 2018 service's REST API, answering as it did (without its bugs). Routed in the
 * `node:http` handler before yoga; it calls the same service functions as the resolvers.
 *
 * - `POST /api/v1/metrics`: one window, snake_case JSON; 200 with an empty body once stored.
 * - `GET /api/v1/metrics/:metric/byUser/:userId`: `start`, `end`, `resample_rate` (default `15m`) from a
 *   JSON body or the query string; `{"entries":[{"date","value"}]}`, mean per bucket, empty buckets omitted.
 *
 * Errors answer the code's status with `{"errors":["field: problem"],"code":"..."}`.
 */
export function createRestV1(options: { bodyLimit: number }): RestV1 {
  return async (req, path, query, ctx) => {
    if (path === '/api/v1/metrics') return postMetrics(req, ctx, options.bodyLimit);
    const match = /^\/api\/v1\/metrics\/([^/]+)\/byUser\/([^/]+)$/.exec(path);
    if (match)
      return metricByUser(req, match[1] as string, match[2] as string, query, ctx, options.bodyLimit);
    throw new AppError('NOT_FOUND', `path: no route ${path}`, { field: 'path' });
  };
}

/** What a REST v1 route answers: a status, and a JSON body unless the answer is empty. */
export interface RestAnswer {
  status: number;
  body?: unknown;
}

/** Serves a request under `/api/v1/`, with `path` and `query` split from its URL, for the caller of `ctx`. */
export type RestV1 = (req: IncomingMessage, path: string, query: string, ctx: Context) => Promise<RestAnswer>;

/** `POST /api/v1/metrics`: one window, stored; an empty 200. */
async function postMetrics(req: IncomingMessage, ctx: Context, bodyLimit: number): Promise<RestAnswer> {
  if (req.method !== 'POST') throw new MethodNotAllowed('POST');
  requireScope(ctx, 'ingest');
  const report = toReport(parseJson(await readBody(req, bodyLimit)));
  await reportMetrics(ctx, report, originalFieldNames);
  return { status: 200 };
}

/** `GET /api/v1/metrics/:metric/byUser/:userId`, the path's segments still percent-encoded. */
async function metricByUser(
  req: IncomingMessage,
  metricSegment: string,
  userSegment: string,
  query: string,
  ctx: Context,
  bodyLimit: number,
): Promise<RestAnswer> {
  if (req.method !== 'GET') throw new MethodNotAllowed('GET');
  requireScope(ctx, 'read');
  const name = decode(metricSegment, 'metric');
  const userId = decode(userSegment, 'userId');
  const original = Object.hasOwn(originalMetricNames, name)
    ? originalMetricNames[name as OriginalMetricName]
    : undefined;
  if (!original) {
    throw new AppError(
      'UNKNOWN_METRIC',
      `metric: unknown metric ${JSON.stringify(name.slice(0, 64))}; known: ${Object.keys(originalMetricNames).join(', ')}`,
      { field: 'metric' },
    );
  }
  const params = rangeParams(parseJson(await readBody(req, bodyLimit)), query);
  const history = await metricHistory(
    ctx,
    { metric: original.metric, clientId: userId, ...params, aggregate: 'MEAN', fill: 'NONE' },
    { from: 'start', to: 'end', resample: 'resample_rate', clientId: 'userId' },
  );
  return {
    status: 200,
    body: {
      entries: history.points.map((p) => ({
        date: p.time.toISOString(),
        value: original.statistic === 'variance' ? p.variance : p.value,
      })),
    },
  };
}

function decode(segment: string, field: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badInput(field, 'is not valid percent-encoding');
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field<T>(
  body: Json,
  key: string,
  path: string,
  check: (value: unknown) => value is T,
  expected: string,
): T {
  const value = body[key];
  if (value === undefined || value === null) throw badInput(path, 'field is required');
  if (!check(value)) throw badInput(path, `must be ${expected}`);
  return value;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isTime = (v: unknown): v is number | string => typeof v === 'number' || typeof v === 'string';
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isInteger = (v: unknown): v is number => Number.isSafeInteger(v);

/** Turns the original POST body into a report; unknown properties are ignored, as they were. */
export function toReport(body: unknown): ReportInput {
  if (!isObject(body)) throw badInput('body', 'expected a JSON object');
  const optionalString = (key: string) => {
    const value = body[key];
    if (value == null) return null;
    if (!isString(value)) throw badInput(key, 'must be a string');
    return value;
  };
  const clientId = field(body, 'user_id', 'user_id', isString, 'a string');
  const start = field(body, 'start_timestamp', 'start_timestamp', isTime, 'epoch milliseconds');
  const end = field(body, 'end_timestamp', 'end_timestamp', isTime, 'epoch milliseconds');
  const observations = field(
    body,
    'observations_per_metric',
    'observations_per_metric',
    isInteger,
    'a whole number',
  );
  const metrics = field(body, 'metrics', 'metrics', isArray, 'an array');
  const report: ReportInput = {
    clientId,
    windowStart: parseDateTime(start, 'start_timestamp'),
    windowEnd: parseDateTime(end, 'end_timestamp'),
    observations,
    osType: optionalString('os_type'),
    osVersion: optionalString('os_version'),
    hostname: optionalString('hostname'),
  };
  for (const [index, entry] of metrics.entries()) {
    const at = `metrics[${index}]`;
    if (!isObject(entry)) throw badInput(at, 'must be an object');
    const type = field(entry, 'type', `${at}.type`, isString, 'a string');
    if (type !== 'CPU')
      throw badInput(`${at}.type`, `unknown metric type ${JSON.stringify(type.slice(0, 32))}; known: CPU`);
    if (report.cpu) throw badInput(`${at}.type`, 'a report carries at most one CPU metric');
    const mean = field(entry, 'avg_utilization', `${at}.avg_utilization`, isNumber, 'a finite number');
    const variance = field(entry, 'var_utilization', `${at}.var_utilization`, isNumber, 'a finite number');
    const coreMeans = numbers(entry, 'avg_utilization_by_core', at);
    const coreVariances = numbers(entry, 'var_utilization_by_core', at);
    if (coreMeans.length !== coreVariances.length) {
      throw badInput(`${at}.var_utilization_by_core`, 'must have as many entries as avg_utilization_by_core');
    }
    report.cpu = {
      utilization: windowStat(mean, variance),
      cores: coreMeans.map((m, core) => windowStat(m, coreVariances[core] as number)),
    };
  }
  return report;
}

/** The original protocol carries no window extremes; a window's min and max are taken as its mean. */
function windowStat(mean: number, variance: number): Stat {
  return { mean, variance, min: mean, max: mean };
}

const MAX_LIST = 1024;

function numbers(entry: Json, key: string, at: string): number[] {
  const list = field(entry, key, `${at}.${key}`, isArray, 'an array of numbers');
  if (list.length > MAX_LIST)
    throw badInput(`${at}.${key}`, `has ${list.length} entries, more than the ${MAX_LIST} allowed`);
  list.forEach((value, i) => {
    if (!isNumber(value)) throw badInput(`${at}.${key}[${i}]`, 'must be a finite number');
  });
  return list as number[];
}

/**
 * Where the ingest service's fields are in the original snake_case body. It carries CPU only, as
 * `metrics[0]` (`toReport` refuses a second CPU entry): a mean (a window's min and max are taken from
 * it) and a variance, overall and per core.
 */
const originalFieldNames: ReportFieldNames = {
  clientId: 'user_id',
  windowStart: 'start_timestamp',
  windowEnd: 'end_timestamp',
  observations: 'observations_per_metric',
  hostname: 'hostname',
  osType: 'os_type',
  osVersion: 'os_version',
  series: (field) => {
    const utilization = field.stat === 'variance' ? 'var_utilization' : 'avg_utilization';
    if (field.path === 'cpu.utilization') return `metrics[0].${utilization}`;
    if (field.path !== 'cpu.cores') return reportInputNames.series(field);
    if (field.core !== undefined) return `metrics[0].${utilization}_by_core[${field.core}]`;
    // The list as a whole (too many cores, or a series derived from it).
    return `metrics[0].avg_utilization_by_core${field.stat === undefined ? '' : `.${field.stat}`}`;
  },
};

/**
 * The original's `MetricTimeQuery(start, end, resampleRate = "15m")`: a `resample_rate` sent in neither the
 * body nor the query string is 15 minutes, as it was (GraphQL's `resample` keeps its own default).
 */
const ORIGINAL_RESAMPLE_RATE = '15m';

/** `start`, `end` and `resample_rate` from the JSON body, else from the query string. */
function rangeParams(body: unknown, query: string) {
  if (body !== undefined && !isObject(body)) throw badInput('body', 'expected a JSON object');
  const search = new URLSearchParams(query);
  const pick = (key: string, fallback?: string): unknown => {
    const fromBody = body?.[key];
    if (fromBody !== undefined && fromBody !== null) return fromBody;
    const fromQuery = search.get(key);
    if (fromQuery === null || fromQuery === '') {
      if (fallback !== undefined) return fallback;
      throw badInput(key, 'field is required');
    }
    return /^\d+$/.test(fromQuery) ? Number(fromQuery) : fromQuery;
  };
  return {
    from: parseDateTime(pick('start'), 'start'),
    to: parseDateTime(pick('end'), 'end'),
    resample: parseDuration(pick('resample_rate', ORIGINAL_RESAMPLE_RATE), 'resample_rate'),
  };
}
