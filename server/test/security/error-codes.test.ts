import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorRegistry } from '@metrics-collector/schema/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import {
  hasBinary,
  influxdBinary,
  influxQuery,
  type RealServer,
  startInfluxd,
} from '../../../testing/real-servers.js';
import { createSqliteMetricStore } from '../../src/metrics/sqlite/store.js';
import { graphql, type RawResponse, rawRequest, startTestServer, type TestServer } from '../helpers.js';
import { collect, wsClient } from '../ws-helpers.js';

/**
 * Every code the server answers is in the registry (and so in docs/errors.md, which docs.test.ts holds to
 * it), and every code of the registry is answered by some request here: the list cannot grow on one side.
 */
const available = hasBinary(influxdBinary);
const admin = 'admin-secret-0123456789';
const agent = 'agent-secret-0123456789';
let offset = 0;
const clock = { now: () => Date.now() + offset };

let open: TestServer;
let authed: TestServer;
let closed: TestServer;
let broken: TestServer;
let brokenDir: string;
let influx: TestServer | undefined;
let influxd: RealServer | undefined;

beforeAll(async () => {
  open = await startTestServer({ clock, env: { MAX_RESPONSE_BYTES: '65536' } });
  authed = await startTestServer({ env: { API_TOKENS: `admin:admin:${admin},agent:ingest:${agent}` } });
  closed = await startTestServer();
  await closed.app.metrics.close();
  brokenDir = mkdtempSync(join(tmpdir(), 'mc-broken-'));
  const store = createSqliteMetricStore({ dataDir: brokenDir, retention: null });
  broken = await startTestServer({
    metrics: {
      ...store,
      write: (points) => store.write(points),
      history: () => Promise.reject(new Error('a bug in a store')),
      summarize: (...args) => store.summarize(...args),
      ping: () => store.ping(),
      close: () => store.close(),
    },
  });
  if (available) {
    influxd = await startInfluxd();
    await influxQuery(influxd.url, 'CREATE DATABASE "short" WITH DURATION 1h');
    influx = await startTestServer({
      env: { STORE: 'influxdb', INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DATABASE: 'short' },
    });
  }
});

afterAll(async () => {
  for (const srv of [open, authed, closed, broken, influx]) await srv?.stop();
  await influxd?.stop();
  rmSync(brokenDir, { recursive: true, force: true });
});

/** The codes of an answer, GraphQL or REST. */
function codes(answer: RawResponse | { body: { errors?: { extensions?: { code?: string } }[] } }): string[] {
  if ('body' in answer) return (answer.body.errors ?? []).map((e) => e.extensions?.code ?? '?');
  const json = answer.json as { code?: string; errors?: { extensions?: { code?: string } }[] } | undefined;
  if (json?.code) return [json.code];
  return (json?.errors ?? []).map((e) => e.extensions?.code ?? '?');
}

const post = (srv: TestServer, body: string, headers: Record<string, string> = {}) =>
  rawRequest(`${srv.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
const query = (q: string) => JSON.stringify({ query: q });
const history = (args: string) => `{ metricHistory(metric: CPU_UTILIZATION, ${args}) { points { value } } }`;
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

const SEND = `mutation S($ttl: Int) { sendAgentCommand(clientId: "c", command: { type: SET_SAMPLING_INTERVAL, intervalMs: 500, ttlSeconds: $ttl }) { id } }`;
const ACK = 'mutation A($id: ID!) { acknowledgeAgentCommand(id: $id, status: APPLIED) { status } }';

/** For each code, requests that must answer it. */
const cases: Record<keyof typeof errorRegistry, () => Promise<string[]>> = {
  INVALID_JSON: async () => codes(await post(open, '{')),
  BAD_USER_INPUT: async () =>
    codes(
      await rawRequest(`${open.url}/api/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...originalReport, user_id: undefined }),
      }),
    ),
  GRAPHQL_PARSE_FAILED: async () => codes(await post(open, query('{'))),
  GRAPHQL_VALIDATION_FAILED: async () => codes(await post(open, query('{ nope }'))),
  OPERATION_RESOLUTION_FAILURE: async () =>
    codes(await post(open, query('query A { __typename } query B { __typename }'))),
  QUERY_TOO_DEEP: async () =>
    codes(
      await post(
        open,
        query(`{ __type(name: "Query") { ${'ofType { '.repeat(20)}name${' }'.repeat(20)} } }`),
      ),
    ),
  QUERY_TOO_COMPLEX: async () =>
    codes(
      await post(
        open,
        query(`{ ${Array.from({ length: 1_001 }, (_, i) => `a${i}: __typename`).join(' ')} }`),
      ),
    ),
  RESPONSE_TOO_LARGE: async () =>
    codes(
      await post(
        open,
        query(
          `{ ${Array.from({ length: 40 }, (_, i) => `m${i}: metrics { description unit kind }`).join(' ')} }`,
        ),
      ),
    ),
  INVALID_DURATION: async () => codes(await post(open, query(history('resample: "15x"')))),
  INVALID_TIME_RANGE: async () =>
    codes(await post(open, query(history('from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z"')))),
  TOO_MANY_BUCKETS: async () =>
    codes(
      await post(
        open,
        query(history('from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z", resample: "1s"')),
      ),
    ),
  UNKNOWN_METRIC: async () =>
    codes(await rawRequest(`${open.url}/api/v1/metrics/nope/byUser/x?start=0&end=1`)),
  NOT_FOUND: async () => codes(await rawRequest(`${open.url}/nope`)),
  COMMAND_ALREADY_ACKNOWLEDGED: async () => {
    const sent = await graphql(open.url, SEND, {});
    const id = sent.body.data.sendAgentCommand.id;
    expect((await graphql(open.url, ACK, { id })).body.errors).toBeUndefined();
    return codes(await graphql(open.url, ACK, { id }));
  },
  COMMAND_EXPIRED: async () => {
    const sent = await graphql(open.url, SEND, { ttl: 1 });
    offset += 2_000;
    return codes(await graphql(open.url, ACK, { id: sent.body.data.sendAgentCommand.id }));
  },
  METHOD_NOT_ALLOWED: async () => [
    ...codes(await rawRequest(`${open.url}/api/v1/metrics`)),
    ...codes(
      await rawRequest(
        `${open.url}/graphql?query=${encodeURIComponent('mutation { deleteAlertRule(id: "x") { id } }')}`,
      ),
    ),
  ],
  UNSUPPORTED_MEDIA_TYPE: async () =>
    codes(await post(open, query('{ __typename }'), { 'content-type': 'text/plain' })),
  HOST_NOT_ALLOWED: async () => codes(await post(open, query('{ __typename }'), { host: 'evil.example' })),
  ORIGIN_NOT_ALLOWED: async () =>
    codes(await post(open, query('{ __typename }'), { origin: 'https://evil.example' })),
  PAYLOAD_TOO_LARGE: async () => codes(await post(open, `{"query":"${' '.repeat(1_100_000)}"}`)),
  TOO_MANY_SUBSCRIPTIONS: async () => {
    const client = wsClient(open.url);
    const subscriptions = Array.from({ length: 101 }, () =>
      collect(client, 'subscription { metricReported { clientId } }'),
    );
    const last = subscriptions[100] as ReturnType<typeof collect>;
    await last.until(1);
    const found = last.errors.map((e) => (e as { extensions?: { code?: string } }).extensions?.code ?? '?');
    await client.dispose();
    return found;
  },
  UNAUTHENTICATED: async () => codes(await graphql(authed.url, '{ clients { id } }')),
  FORBIDDEN: async () => codes(await graphql(authed.url, '{ clients { id } }', undefined, bearer(agent))),
  STORE_UNAVAILABLE: async () => codes(await graphql(closed.url, REPORT_MUTATION, { input: reportInput() })),
  STORE_REJECTED: async () => {
    if (!influx) throw new Error('influxd is needed (Debian package influxdb)');
    return codes(await graphql(influx.url, REPORT_MUTATION, { input: reportInput() }));
  },
  INTERNAL_SERVER_ERROR: async () => codes(await post(broken, query(history('clientId: "x"')))),
};

describe('the error registry', () => {
  const seen = new Set<string>();

  it.skipIf(!available).each(Object.keys(cases))('%s is answered', async (code) => {
    const answered = await cases[code as keyof typeof cases]();
    for (const c of answered) seen.add(c);
    expect(answered).toContain(code);
  });

  it.skipIf(!available)(
    'every code answered is in the registry, and every registry code was answered',
    () => {
      expect([...seen].sort()).toEqual(Object.keys(errorRegistry).sort());
    },
  );
});
