import type { ErrorCode } from '@metrics-collector/schema/errors';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { type RawResponse, rawRequest } from '../helpers.js';
import { stringify } from '../raw-json.js';

/**
 * Every kind of bad input, on the original REST API and on GraphQL, in tables: one a topic, in the test
 * files of this folder, each run by `describeBadInput` (`suite.ts`). Each row names what is wrong, how it
 * is sent, and the answer it must get: the registry's status and code, and the field at fault (REST: the
 * start of `errors[0]`, as the original service wrote it; GraphQL: `extensions.field` or the message).
 * After each row nothing may have been stored and no client registered. Here: the rows' builders and the
 * expected answers.
 */

export type Json = Record<string, any>;

interface Expected {
  status: number;
  code: ErrorCode;
  /** REST: `errors[0]` starts with `<field>: `. GraphQL: `extensions.field` is it or the message names it. */
  field: string;
  /** The whole REST message, or a pattern the message must match. */
  message?: string | RegExp;
}

export interface Row extends Expected {
  transport: string;
  input: string;
  send: (url: string) => Promise<RawResponse>;
  /** The client the bad report names, which must stay unknown. */
  clientId?: string;
}

export const JSON_TYPE = { 'content-type': 'application/json' };
/** GraphQL-over-HTTP's own media type: request errors answer 4xx (legacy `application/json` gets 200). */
export const GQL_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/graphql-response+json',
};
export const DAY = 86_400_000;
export const MiB = 1 << 20;
export const now = Date.now();

// ---------------------------------------------------------------------------------------------------------
// Row builders

export const post =
  (path: string, body: string | Buffer, headers: Record<string, string> = JSON_TYPE) =>
  (url: string) =>
    rawRequest(`${url}${path}`, { method: 'POST', headers, body });

/** The original README's report with its own user id, changed by `change`. */
export function restReport(input: string, change: Change, expected: Expected): Row {
  const report: Json = structuredClone(originalReport);
  report.user_id = `rest-${input.replace(/\W+/g, '-')}`.slice(0, 200);
  change(report);
  return {
    transport: 'REST POST /api/v1/metrics',
    input,
    send: post('/api/v1/metrics', stringify(report)),
    clientId: typeof report.user_id === 'string' ? report.user_id : undefined,
    ...expected,
  };
}

/** A change to a body: `set('metrics.0.type', 'GPU')`, `drop('user_id')`. */
type Change = (body: Json) => void;
function parentOf(body: Json, path: string): [Json, string] {
  const keys = path.split('.');
  const last = keys.pop() as string;
  return [keys.reduce((node, key) => node[key], body), last];
}
export const set =
  (path: string, value: unknown): Change =>
  (body) => {
    const [parent, key] = parentOf(body, path);
    parent[key] = value;
  };
export const drop =
  (path: string): Change =>
  (body) => {
    const [parent, key] = parentOf(body, path);
    delete parent[key];
  };
export const all =
  (...changes: Change[]): Change =>
  (body) => {
    for (const change of changes) change(body);
  };

export function restRaw(input: string, body: string | Buffer, expected: Expected): Row {
  return { transport: 'REST POST /api/v1/metrics', input, send: post('/api/v1/metrics', body), ...expected };
}

export const RANGE = { start: '2018-07-12T12:00:00Z', end: '2018-07-12T18:00:00Z', resample_rate: '15m' };

/** `GET /api/v1/metrics/:metric/byUser/:userId` with a JSON body (as the original's clients sent it). */
export function restGet(
  input: string,
  expected: Expected,
  options: { metric?: string; user?: string; body?: unknown; query?: string },
): Row {
  const { metric = 'cpuLoadAvg', user = 'someone', query = '' } = options;
  // `body: undefined` sends no body at all.
  const body = 'body' in options ? options.body : RANGE;
  return {
    transport: 'REST GET /api/v1/metrics/:metric/byUser/:userId',
    input,
    send: (url) =>
      rawRequest(`${url}/api/v1/metrics/${metric}/byUser/${user}${query}`, {
        headers: body === undefined ? {} : JSON_TYPE,
        body: body === undefined ? undefined : typeof body === 'string' ? body : stringify(body),
      }),
    ...expected,
  };
}

export function restRoute(input: string, method: string, path: string, expected: Expected): Row {
  return {
    transport: `REST ${method} ${path}`,
    input,
    send: (url) =>
      rawRequest(`${url}${path}`, {
        method,
        headers: JSON_TYPE,
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: stringify(originalReport) }),
      }),
    ...expected,
  };
}

/** `reportMetrics` with the helpers' valid input, its own client id, changed by `change`. */
export function gqlReport(input: string, change: Change, expected: Expected): Row {
  const variables: Json = {
    input: reportInput({ clientId: `gql-${input.replace(/\W+/g, '-')}`.slice(0, 200) }),
  };
  change(variables.input);
  return {
    transport: 'GraphQL reportMetrics',
    input,
    send: post('/graphql', stringify({ query: REPORT_MUTATION, variables }), GQL_HEADERS),
    clientId: typeof variables.input.clientId === 'string' ? variables.input.clientId : undefined,
    ...expected,
  };
}

export const HISTORY = `query History($metric: Metric!, $clientId: ID, $core: Int, $from: DateTime, $to: DateTime,
  $resample: Duration, $aggregate: Aggregate, $fill: Fill) {
  metricHistory(metric: $metric, clientId: $clientId, core: $core, from: $from, to: $to, resample: $resample,
    aggregate: $aggregate, fill: $fill) { resample points { time value } }
}`;

const FLEET = `query Fleet($metric: Metric!, $from: DateTime, $to: DateTime, $aggregate: Aggregate) {
  fleetSummary(metric: $metric, from: $from, to: $to, aggregate: $aggregate) { clientId value }
}`;

export const HISTORY_ARGS = {
  metric: 'CPU_UTILIZATION',
  from: '2026-01-01T00:00:00Z',
  to: '2026-01-02T00:00:00Z',
};

export function gqlQuery(
  transport: string,
  input: string,
  query: string,
  variables: Json | undefined,
  expected: Expected,
) {
  return {
    transport: `GraphQL ${transport}`,
    input,
    send: post('/graphql', stringify({ query, variables }), GQL_HEADERS),
    ...expected,
  } satisfies Row;
}

export const history = (input: string, variables: Json, expected: Expected) =>
  gqlQuery('metricHistory', input, HISTORY, { ...HISTORY_ARGS, ...variables }, expected);
export const fleet = (input: string, variables: Json, expected: Expected) =>
  gqlQuery('fleetSummary', input, FLEET, { ...HISTORY_ARGS, aggregate: 'P95', ...variables }, expected);

export function gqlRaw(input: string, body: string | Buffer, expected: Expected): Row {
  return {
    transport: 'GraphQL POST /graphql',
    input,
    send: post('/graphql', body, GQL_HEADERS),
    ...expected,
  };
}

// Expected answers, by registry code.
export const bad = (field: string, message?: string | RegExp): Expected => ({
  status: 400,
  code: 'BAD_USER_INPUT',
  field,
  ...(message === undefined ? {} : { message }),
});
export const required = (field: string): Expected => bad(field, `${field}: field is required`);
export const invalidJson: Expected = { status: 400, code: 'INVALID_JSON', field: 'body' };
export const notObject: Expected = bad('body');
export const timeRange = (field: string): Expected => ({ status: 400, code: 'INVALID_TIME_RANGE', field });
export const duration = (field: string): Expected => ({ status: 400, code: 'INVALID_DURATION', field });
export const buckets = (field: string): Expected => ({ status: 400, code: 'TOO_MANY_BUCKETS', field });
export const unknownMetric: Expected = { status: 404, code: 'UNKNOWN_METRIC', field: 'metric' };
export const validation = (named: string): Expected => ({
  status: 400,
  code: 'GRAPHQL_VALIDATION_FAILED',
  field: named,
});
export const tooLarge: Expected = { status: 413, code: 'PAYLOAD_TOO_LARGE', field: 'body' };
export const tooDeep: Expected = { status: 400, code: 'QUERY_TOO_DEEP', field: 'query' };
export const tooComplex: Expected = { status: 400, code: 'QUERY_TOO_COMPLEX', field: 'query' };
export const notFound: Expected = { status: 404, code: 'NOT_FOUND', field: 'path' };
export const notAllowed: Expected = { status: 405, code: 'METHOD_NOT_ALLOWED', field: 'method' };

// ---------------------------------------------------------------------------------------------------------
// Queries that are too deep or too complex (defaults: depth 15, 1,000 fields)

/** `__type { ofType { ... { name } } }`: `levels` fields deep. */
export function typeChain(levels: number): string {
  let selection = 'name';
  for (let i = 0; i < levels - 2; i++) selection = `ofType { ${selection} }`;
  return `{ __type(name: "Query") { ${selection} } }`;
}

/** The same depth through a chain of fragments, one level each. */
export function fragmentChain(levels: number): string {
  const fragments = [`fragment T${levels - 2} on __Type { name }`];
  for (let i = levels - 3; i >= 0; i--)
    fragments.push(`fragment T${i} on __Type { ofType { ...T${i + 1} } }`);
  return `{ __type(name: "Query") { ...T0 } } ${fragments.join(' ')}`;
}

export const aliases = (count: number) =>
  Array.from({ length: count }, (_, i) => `a${i}: __typename`).join(' ');

/** A fragment of ten fields (the same one, unaliased) spread `spreads` times in one selection. */
export const spreadMany = (spreads: number) =>
  `{ metrics { ${'...Ten '.repeat(spreads)} } } fragment Ten on MetricInfo { ${'unit '.repeat(10)}}`;

/** F0 selects one field; F(n) spreads F(n-1) twice: 2^n fields from a query of a few hundred bytes. */
export function doubling(levels: number): string {
  const fragments = ['fragment F0 on Query { __typename }'];
  for (let i = 1; i <= levels; i++) fragments.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
  return `{ ...F${levels} } ${fragments.join(' ')}`;
}

/** `n` per-core statistics, all at 0.5. */
export const thousandCores = (n: number) =>
  Array.from({ length: n }, () => ({ mean: 0.5, variance: 0, min: 0.5, max: 0.5 }));
