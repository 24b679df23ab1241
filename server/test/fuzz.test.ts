import { metricNames } from '@metrics-collector/common/catalogue';
import { errorRegistry } from '@metrics-collector/schema/errors';
import { aggregates } from '@metrics-collector/schema/metrics/types';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../testing/fixtures.js';
import { graphql, type RawResponse, rawRequest, startTestServer, type TestServer } from './helpers.js';

/**
 * Property: no body, however malformed, makes the server answer 5xx or stop answering. Thousands of random
 * bodies go to one server, sequentially: random JSON, random bytes, the valid original report and the
 * valid GraphQL input with fields deleted or replaced (other types, huge, negative and non-finite numbers,
 * random and over-long strings, deep nesting, long lists), random GraphQL variables and query strings.
 * Afterwards, whatever of it was accepted must still be queryable.
 */

type Json = Record<string, any>;
const RUNS = 1000;
const DAY = 86_400_000;

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(() => srv?.stop());

// ---------------------------------------------------------------------------------------------------------
// Values

/** A JSON token that `JSON.stringify` cannot write (`1e999`, `NaN`, deep nesting), spliced in by `send`. */
const raw = (token: string) => `@@raw:${token}@@`;
const stringify = (value: unknown) => JSON.stringify(value).replace(/"@@raw:([^@]*)@@"/g, '$1');

const extremeNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1,
    0.25,
    0.2500001,
    1.0000001,
    -1e-300,
    5e-324,
    1e308,
    -1e308,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 53 - 1,
    2 ** 53 + 2,
    8.64e15,
    8.64e15 + 1,
    Date.now(),
    Date.now() + DAY - 60_000,
    Date.now() + DAY + 60_000,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);
const nonFinite = fc.constantFrom(raw('1e999'), raw('-1e999'), raw('1e400'), raw('-0.0e-999'));
const notJsonNumber = fc.constantFrom(raw('NaN'), raw('Infinity'), raw('-Infinity'), raw('0x10'), raw('.5'));
const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom(
    '',
    ' ',
    'NaN',
    'Infinity',
    '1e999',
    '-0',
    '0.5',
    '1531402665626',
    '2018-07-12T12:00:00Z',
    '9999-12-31T23:59:59Z',
    '15m',
    'CPU',
    '\u0000',
    '\ud800',
    'x'.repeat(256),
    'x'.repeat(257),
    '"; DROP TABLE points; --',
    '__proto__',
  ),
);
const deepNesting = fc
  .tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom('[]', '{}'))
  .map(([depth, brackets]) =>
    raw(
      brackets === '[]'
        ? `${'['.repeat(depth)}${']'.repeat(depth)}`
        : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
    ),
  );
const longList = fc
  .tuple(fc.integer({ min: 0, max: 1100 }), fc.oneof(extremeNumber, fc.jsonValue({ maxDepth: 1 })))
  .map(([length, item]) => Array(length).fill(item));

/** Anything that can stand where a field's value was. */
const replacement = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: extremeNumber, weight: 3 },
  { arbitrary: nonFinite, weight: 2 },
  { arbitrary: notJsonNumber, weight: 1 },
  { arbitrary: nastyString, weight: 3 },
  { arbitrary: deepNesting, weight: 1 },
  { arbitrary: longList, weight: 1 },
);

// ---------------------------------------------------------------------------------------------------------
// Mutations of a valid body

type Mutation = { path: string[]; op: 'delete' } | { path: string[]; op: 'set'; value: unknown };

/** Every path of `value` (objects and arrays), the root excluded. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    [...prefix, key],
    ...pathsOf(child, [...prefix, key]),
  ]);
}

function apply(body: unknown, mutations: readonly Mutation[]): unknown {
  const copy: Json = structuredClone(body) as Json;
  for (const mutation of mutations) {
    let node: any = copy;
    for (const key of mutation.path.slice(0, -1)) {
      if (typeof node !== 'object' || node === null) break;
      node = node[key];
    }
    if (typeof node !== 'object' || node === null) continue;
    const last = mutation.path.at(-1) as string;
    if (mutation.op === 'delete') delete node[last];
    else node[last] = mutation.value;
  }
  return copy;
}

/** 1 to 4 deletions or replacements at paths of `valid`, plus the odd unknown property. */
function mutationsOf(valid: unknown): fc.Arbitrary<Mutation[]> {
  const paths = [...pathsOf(valid), ['unknown_property'], ['metrics', '1'], ['cpu', 'cores', '7']];
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ path: fc.constantFrom(...paths), op: fc.constant('delete' as const) }),
    fc.record({ path: fc.constantFrom(...paths), op: fc.constant('set' as const), value: replacement }),
  );
  return fc.array(mutation, { minLength: 1, maxLength: 4 });
}

/**
 * Well-formed reports whose statistics come from the extremes (min <= mean <= max holds, the rest is up to
 * chance): many are accepted, so the queries afterwards pool extreme values that did get stored.
 */
const magnitude = fc.oneof(
  fc.constantFrom(0, 1, 1e6, 4e9, 2 ** 31, 2 ** 53 - 1),
  fc.double({ min: 0, max: 2 ** 53 - 1, noNaN: true }),
);
const variance = fc.oneof(
  fc.constantFrom(0, 1e-300, 0.25, 1, 1e12, 2e31, 1e300, 1e308),
  fc.double({ min: 0, max: 1e308, noNaN: true }),
);
const bytesStat = fc.tuple(magnitude, magnitude, magnitude, variance).map(([a, b, c, v]) => {
  const [min, mean, max] = [a, b, c].sort((x, y) => x - y);
  return { mean, variance: v, min, max };
});
const ratioStat = fc
  .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), variance)
  .map(([a, b, v]) => ({ mean: (a + b) / 2, variance: v, min: Math.min(a, b), max: Math.max(a, b) }));
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 2 });
const extremeInput = fc
  .record({
    clientId: fc.constantFrom('extreme-a', 'extreme-b', 'extreme-c'),
    window: fc.integer({ min: 0, max: 200 }),
    observations: fc.oneof(fc.constantFrom(1, 2 ** 31 - 1), fc.integer({ min: 1, max: 2 ** 31 - 1 })),
    cpu: optional(fc.record({ utilization: ratioStat, cores: fc.array(ratioStat, { maxLength: 4 }) })),
    memory: optional(
      fc.record({
        usedRatio: optional(ratioStat),
        usedBytes: optional(bytesStat),
        totalBytes: optional(magnitude),
      }),
    ),
    load: optional(fc.record({ load1: optional(bytesStat) })),
  })
  .map(({ window, ...input }) => ({
    ...input,
    windowStart: new Date(Date.UTC(2026, 0, 1) + window * 10_000).toISOString(),
    windowEnd: new Date(Date.UTC(2026, 0, 1) + window * 10_000 + 10_000).toISOString(),
  }));

const mutatedReport = mutationsOf(originalReport).map((m) => stringify(apply(originalReport, m)));
const mutatedInput = mutationsOf(reportInput()).map((m) => apply(reportInput(), m));

// ---------------------------------------------------------------------------------------------------------
// Whole bodies

const randomBytes = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes));
const truncated = (valid: string) => fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n));
const randomJson = fc.jsonValue({ maxDepth: 6 }).map((value) => stringify(value));

const restBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  { arbitrary: mutatedReport, weight: 8 },
  { arbitrary: randomJson, weight: 2 },
  { arbitrary: randomBytes, weight: 1 },
  { arbitrary: truncated(JSON.stringify(originalReport)), weight: 1 },
  { arbitrary: deepNesting.map((n) => stringify(n)), weight: 1 },
  { arbitrary: fc.dictionary(fc.string(), replacement).map((d) => stringify(d)), weight: 1 },
);

/** GraphQL-ish tokens, joined at random into query strings that get past the lexer now and then. */
const tokens =
  '{ | } | ( | ) | [ | ] | : | $input | $x | ! | = | @include(if: true) | ... | on | Query | Mutation | fragment F on Query | ...F | query | mutation | subscription | metricHistory | fleetSummary | reportMetrics | clients | client | metrics | points | value | id | __typename | __schema | types | name | metric: | CPU_UTILIZATION | from: | to: | resample: | "15m" | "0s" | "yesterday" | 1e999 | -1 | 9007199254740993 | "\\u0000" | # | ReportMetricsInput! | input: | a:'.split(
    ' | ',
  );
const tokenQuery = fc.array(fc.constantFrom(...tokens), { maxLength: 60 }).map((t) => t.join(' '));
const validQueries = [
  REPORT_MUTATION,
  '{ clients { id hostname } }',
  '{ metrics { metric unit } }',
  '{ metricHistory(metric: CPU_UTILIZATION, resample: "1m") { resample points { time value } } }',
  '{ fleetSummary(metric: LOAD_1, aggregate: P99) { clientId value client { id } } }',
];
const editedQuery = fc
  .tuple(fc.constantFrom(...validQueries), fc.nat(), fc.nat({ max: 10 }), fc.string({ maxLength: 8 }))
  .map(([q, at, cut, insert]) => {
    const i = at % (q.length + 1);
    return q.slice(0, i) + insert + q.slice(i + cut);
  });
const queryString = fc.oneof(tokenQuery, editedQuery, fc.string({ unit: 'binary', maxLength: 200 }));
const variables = fc.oneof(
  fc.constant(undefined),
  fc.dictionary(fc.string({ maxLength: 10 }), replacement, { maxKeys: 4 }),
  replacement,
);

const graphqlBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  // REPORT_MUTATION with a mutated input, random variables, or a random input
  {
    arbitrary: mutatedInput.map((input) => stringify({ query: REPORT_MUTATION, variables: { input } })),
    weight: 8,
  },
  { arbitrary: variables.map((v) => stringify({ query: REPORT_MUTATION, variables: v })), weight: 2 },
  {
    arbitrary: replacement.map((input) => stringify({ query: REPORT_MUTATION, variables: { input } })),
    weight: 2,
  },
  // random query strings, with random variables and the other parameters of random types
  {
    arbitrary: fc
      .record(
        { query: queryString, variables, operationName: replacement, extensions: replacement },
        { requiredKeys: ['query'] },
      )
      .map((body) => stringify(body)),
    weight: 4,
  },
  { arbitrary: randomJson, weight: 2 },
  { arbitrary: randomBytes, weight: 1 },
  {
    arbitrary: truncated(JSON.stringify({ query: REPORT_MUTATION, variables: { input: reportInput() } })),
    weight: 1,
  },
);
const accept = fc.constantFrom(
  undefined,
  'application/json',
  'application/graphql-response+json',
  '*/*',
  'text/html',
  'text/event-stream',
  'multipart/mixed',
);

// ---------------------------------------------------------------------------------------------------------
// Checks

const registryCodes = Object.keys(errorRegistry);

function checkRest(answer: RawResponse, body: string | Buffer) {
  const context = `${answer.status} ${answer.text.slice(0, 300)} for ${body.toString().slice(0, 300)}`;
  expect(answer.status < 300 || (answer.status >= 400 && answer.status < 500), context).toBe(true);
  if (answer.status === 200) return;
  // Every error in the original's shape, with a registry code whose status it answers.
  const json = answer.json as Json;
  expect(json, context).toEqual({ errors: [expect.any(String)], code: expect.any(String) });
  expect(registryCodes, context).toContain(json.code);
  expect(errorRegistry[json.code as keyof typeof errorRegistry].status, context).toBe(answer.status);
}

function checkGraphql(answer: RawResponse, body: string | Buffer) {
  const context = `${answer.status} ${answer.text.slice(0, 300)} for ${body.toString().slice(0, 300)}`;
  expect(answer.status < 300 || (answer.status >= 400 && answer.status < 500), context).toBe(true);
  // No masked unexpected error, even inside a 200 or an event stream.
  expect(answer.text, context).not.toContain('INTERNAL_SERVER_ERROR');
  const json = answer.json as Json | undefined;
  if (!String(answer.headers['content-type']).includes('json')) return; // event stream, multipart, 406
  expect(json, context).toBeDefined();
  if (json === undefined) return;
  expect('data' in json || json.errors?.length > 0, context).toBe(true);
  if (answer.status >= 400) expect(json.errors?.length, context).toBeGreaterThan(0);
}

const send = (path: string, body: string | Buffer, headers: Record<string, string>) =>
  rawRequest(`${srv.url}${path}`, { method: 'POST', headers, body });

// ---------------------------------------------------------------------------------------------------------

describe('fuzz: malformed bodies never give a 5xx', () => {
  it(`REST POST /api/v1/metrics: ${RUNS} random bodies`, async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(restBody, async (body) => {
        const answer = await send('/api/v1/metrics', body, { 'content-type': 'application/json' });
        checkRest(answer, body);
        if (answer.status === 200) accepted += 1;
      }),
      { numRuns: RUNS },
    );
    // The mutations are near misses: some must still be valid reports, or they explore too little.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(RUNS);
  });

  it(`REST GET /api/v1/metrics/:metric/byUser/:userId: ${RUNS / 2} random paths, queries and bodies`, async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        'cpuLoadAvg',
        'cpuLoadVar',
        'cpuCoreLoadMinMin',
        'constructor',
        '__proto__',
        '%',
        '%E0%A4%A',
        '..',
      ),
      fc.string({ maxLength: 20 }).map(encodeURIComponent),
      fc.string({ maxLength: 300 }).map(encodeURIComponent),
    );
    const range = fc.record(
      {
        start: fc.oneof(fc.constant('2018-07-12T00:00:00Z'), replacement),
        end: fc.oneof(fc.constant('2018-07-13T00:00:00Z'), replacement),
        resample_rate: fc.oneof(fc.constantFrom('15m', '1s', '1ms', '0m', '999999999999w'), replacement),
      },
      { requiredKeys: [] },
    );
    const request = fc.record({
      metric: segment,
      user: segment,
      query: fc.oneof(
        fc.constant(''),
        range.map((r) => `?${new URLSearchParams(Object.entries(r).map(([k, v]) => [k, asText(v)]))}`),
      ),
      body: fc.oneof(
        fc.constant(undefined),
        range.map((r) => stringify(r)),
        randomJson,
        randomBytes,
      ),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ metric, user, query, body }) => {
        const answer = await rawRequest(`${srv.url}/api/v1/metrics/${metric}/byUser/${user}${query}`, {
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body,
        });
        const context = `${metric}/${user}${query} ${body?.toString().slice(0, 200)}`;
        if (answer.status === 200) expect(answer.json, context).toEqual({ entries: expect.any(Array) });
        // node:http itself refuses a request line over 16 KiB before the app sees it.
        else if (answer.status !== 431) checkRest(answer, context);
      }),
      { numRuns: RUNS / 2 },
    );
  });

  it(`GraphQL POST /graphql: ${RUNS} random bodies, variables and query strings`, async () => {
    let reported = 0;
    await fc.assert(
      fc.asyncProperty(graphqlBody, accept, async (body, mediaType) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (mediaType) headers.accept = mediaType;
        const answer = await send('/graphql', body, headers);
        checkGraphql(answer, body);
        if ((answer.json as Json | undefined)?.data?.reportMetrics) reported += 1;
      }),
      { numRuns: RUNS },
    );
    expect(reported).toBeGreaterThan(0);
  });

  it(`GraphQL reportMetrics: ${RUNS} mutated inputs`, async () => {
    await fc.assert(
      fc.asyncProperty(mutatedInput, async (input) => {
        const body = stringify({ query: REPORT_MUTATION, variables: { input } });
        checkGraphql(await send('/graphql', body, { 'content-type': 'application/json' }), body);
      }),
      { numRuns: RUNS },
    );
  });

  it(`GraphQL reportMetrics: ${RUNS} well-formed inputs with extreme statistics`, async () => {
    let reported = 0;
    await fc.assert(
      fc.asyncProperty(extremeInput, async (input) => {
        const body = stringify({ query: REPORT_MUTATION, variables: { input } });
        const answer = await send('/graphql', body, { 'content-type': 'application/json' });
        checkGraphql(answer, body);
        if ((answer.json as Json).data?.reportMetrics) reported += 1;
      }),
      { numRuns: RUNS },
    );

    expect(reported).toBeGreaterThan(RUNS / 10);
  });

  it('still answers /health, and every metric stored by the fuzzing can be queried without an error', async () => {
    const health = await rawRequest(`${srv.url}/health`);
    expect(health.status).toBe(200);
    const clients = await graphql(
      srv.url,
      '{ clients { id hostname osType osVersion coreCount firstSeen lastSeen } }',
    );
    expect(clients.status).toBe(200);
    expect(clients.body.errors).toBeUndefined();
    expect(clients.body.data.clients.length).toBeGreaterThan(0);
    const to = new Date(Date.now() + 2 * DAY).toISOString();
    for (const aggregate of aggregates) {
      const fields = metricNames.map(
        (
          m,
        ) => `${m}: metricHistory(metric: ${m}, from: "1970-01-01T00:00:00Z", to: "${to}", resample: "3650d",
          aggregate: ${aggregate}) { points { time value count mean variance min max } }
        ${m}_fleet: fleetSummary(metric: ${m}, from: "1970-01-01T00:00:00Z", to: "${to}", aggregate: ${aggregate}) {
          clientId value count mean variance min max }`,
      );
      for (const half of [fields.slice(0, 7), fields.slice(7)]) {
        const answer = await graphql(srv.url, `{ ${half.join('\n')} }`);
        expect(answer.body.errors, `${aggregate}: ${JSON.stringify(answer.body.errors)}`).toBeUndefined();
        expect(answer.status).toBe(200);
      }
    }
  });
});

/** Any generated value as query-string text; objects without a prototype have no `toString`. */
function asText(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
