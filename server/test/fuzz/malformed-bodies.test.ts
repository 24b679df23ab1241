import { metricNames } from '@metrics-collector/common/catalogue';
import { aggregates } from '@metrics-collector/schema/metrics/types';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MUTATION } from '../../../testing/fixtures.js';
import { graphql, rawRequest, startTestServer, type TestServer } from '../helpers.js';
import { stringify } from '../raw-json.js';
import { accept, graphqlBody, randomBytes, randomJson, restBody } from './bodies.js';
import { asText, checkGraphql, checkRest } from './checks.js';
import { DAY, extremeInput, mutatedInput, replacement } from './values.js';

/**
 * Property: no body, however malformed, makes the server answer 5xx or stop answering. Thousands of random
 * bodies go to one server, sequentially: random JSON, random bytes, the valid original report and the
 * valid GraphQL input with fields deleted or replaced (other types, huge, negative and non-finite numbers,
 * random and over-long strings, deep nesting, long lists), random GraphQL variables and query strings.
 * Afterwards, whatever of it was accepted must still be queryable.
 */

type Json = Record<string, any>;
const RUNS = 1000;

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(() => srv?.stop());

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
