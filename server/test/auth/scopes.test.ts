import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import {
  graphql,
  type RawResponse,
  rawRequest,
  startTestApp,
  startTestServer,
  type TestApp,
  type TestServer,
} from '../helpers.js';
import { API_TOKENS, SECRETS } from './cases.js';

type Json = Record<string, any>;

/** Who calls, as the Authorization header they send. */
const callers: Record<string, Record<string, string>> = {
  'no token': {},
  'an unknown token': { authorization: 'Bearer not-a-configured-secret-0123' },
  'a token that extends a real one': { authorization: `Bearer ${SECRETS.root}x` },
  'a prefix of a real token': { authorization: `Bearer ${SECRETS.root.slice(0, -1)}` },
  'Basic credentials': { authorization: `Basic ${Buffer.from(`root:${SECRETS.root}`).toString('base64')}` },
  'a bare secret without "Bearer"': { authorization: SECRETS.root },
  'an empty Bearer': { authorization: 'Bearer ' },
  'agent (ingest)': { authorization: `Bearer ${SECRETS.agent}` },
  'agent, "bearer" in lower case': { authorization: `bearer ${SECRETS.agent}` },
  'viewer (read)': { authorization: `Bearer ${SECRETS.viewer}` },
  'root (admin)': { authorization: `Bearer ${SECRETS.root}` },
};

const MARCH = { windowStart: '2026-03-01T00:00:00.000Z', windowEnd: '2026-03-01T00:00:10.000Z' };
const HISTORY_RANGE = { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', resample: '1d' };
const REST_RANGE = { start: '2018-07-12T00:00:00Z', end: '2018-07-13T00:00:00Z', resample_rate: '1d' };

/** The data a reader must see: stored by `seed`. */
const SEEDED = {
  history: [{ time: '2026-01-01T00:00:00.000Z', value: 0.5 }],
  fleet: [{ clientId: 'seed-gql', value: 0.5 }],
  entries: [{ date: '2018-07-12T00:00:00.000Z', value: originalReport.metrics[0]?.avg_utilization }],
};

interface Operation {
  scope: 'ingest' | 'read';
  api: 'GraphQL' | 'REST';
  /** Sends the operation; `id` is a client id of its own, for operations that write. */
  send(url: string, headers: Record<string, string>, id: string): Promise<RawResponse>;
  /** What a caller allowed to run it gets back (REST POST: an empty 200). */
  answer(id: string): unknown;
}

const gql = (query: string, variables: Json) => (url: string, headers: Record<string, string>) =>
  rawRequest(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });

const operations: Record<string, Operation> = {
  'GraphQL reportMetrics': {
    scope: 'ingest',
    api: 'GraphQL',
    // In March, away from the seeded January window that the reads below look at.
    send: (url, headers, id) =>
      gql(REPORT_MUTATION, { input: reportInput({ clientId: id, ...MARCH }) })(url, headers),
    answer: (id) => ({
      data: {
        reportMetrics: {
          clientId: id,
          windowStart: MARCH.windowStart,
          windowEnd: MARCH.windowEnd,
          points: 11,
        },
      },
    }),
  },
  'GraphQL metricHistory': {
    scope: 'read',
    api: 'GraphQL',
    send: gql(
      'query ($from: DateTime, $to: DateTime, $resample: Duration) { metricHistory(metric: CPU_UTILIZATION, clientId: "seed-gql", from: $from, to: $to, resample: $resample) { points { time value } } }',
      HISTORY_RANGE,
    ),
    answer: () => ({ data: { metricHistory: { points: SEEDED.history } } }),
  },
  'GraphQL fleetSummary': {
    scope: 'read',
    api: 'GraphQL',
    send: gql(
      'query ($from: DateTime, $to: DateTime) { fleetSummary(metric: CPU_UTILIZATION, from: $from, to: $to, aggregate: MEAN) { clientId value } }',
      HISTORY_RANGE,
    ),
    answer: () => ({ data: { fleetSummary: SEEDED.fleet } }),
  },
  'GraphQL client': {
    scope: 'read',
    api: 'GraphQL',
    send: gql('{ client(id: "seed-gql") { id hostname } }', {}),
    answer: () => ({ data: { client: { id: 'seed-gql', hostname: 'a.example' } } }),
  },
  'REST POST /api/v1/metrics': {
    scope: 'ingest',
    api: 'REST',
    send: (url, headers, id) =>
      rawRequest(`${url}/api/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ ...originalReport, user_id: id }),
      }),
    answer: () => undefined,
  },
  'REST GET /api/v1/metrics/:metric/byUser/:userId': {
    scope: 'read',
    api: 'REST',
    send: (url, headers) =>
      rawRequest(`${url}/api/v1/metrics/cpuLoadAvg/byUser/seed-rest`, {
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(REST_RANGE),
      }),
    answer: () => ({ entries: SEEDED.entries }),
  },
};

/** One report on each API, which the read operations must find. */
async function seed(url: string, headers: Record<string, string>) {
  const rest = await rawRequest(`${url}/api/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ ...originalReport, user_id: 'seed-rest' }),
  });
  expect(rest.status, rest.text).toBe(200);
  const gqlSeed = await graphql(
    url,
    REPORT_MUTATION,
    { input: reportInput({ clientId: 'seed-gql' }) },
    headers,
  );
  expect(gqlSeed.body.errors).toBeUndefined();
}

type Outcome = 'ok' | 401 | 403;
function outcome(caller: string, scope: Operation['scope']): Outcome {
  if (caller.startsWith('root')) return 'ok';
  if (caller.startsWith('agent')) return scope === 'ingest' ? 'ok' : 403;
  if (caller.startsWith('viewer')) return scope === 'read' ? 'ok' : 403;
  return 401;
}

const table = Object.entries(callers).flatMap(([caller, headers]) =>
  Object.entries(operations).map(([name, operation]) => ({
    caller,
    headers,
    name,
    operation,
    expected: outcome(caller, operation.scope),
  })),
);

// In-process: every caller against every operation, where only the Authorization header matters.
describe('auth on: API_TOKENS with scopes', () => {
  let srv: TestApp;
  const root = { authorization: `Bearer ${SECRETS.root}` };
  /** The client as root reads it, or null. */
  const clientSeen = async (id: string) =>
    (await graphql(srv.url, 'query ($id: ID!) { client(id: $id) { id } }', { id }, root)).body.data?.client;

  beforeAll(async () => {
    srv = await startTestApp({ env: { API_TOKENS } });
    await seed(srv.url, root);
  });
  afterAll(() => srv?.stop());

  let n = 0;
  it.each(table)('$caller → $name: $expected', async ({ caller, headers, operation, expected }) => {
    n += 1;
    const id = `${operation.api.toLowerCase()}-${n}`;
    const answer = await operation.send(srv.url, headers, id);
    const body = answer.json as Json | undefined;
    if (expected === 'ok') {
      expect(answer.status, answer.text).toBe(200);
      expect(body).toEqual(operation.answer(id));
      // A report really was stored, under its own client.
      if (operation.scope === 'ingest') expect(await clientSeen(id)).toEqual({ id });
      return;
    }
    const code = expected === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN';
    expect(answer.status, answer.text).toBe(expected);
    if (operation.api === 'REST') {
      expect(body).toEqual({ errors: [expect.any(String)], code });
      if (expected === 401) expect(answer.headers['www-authenticate']).toBe('Bearer');
    } else {
      // No data: `data` is null, or (for a nullable field) the field is.
      expect(Object.values(body?.data ?? {})).toEqual(Object.values(body?.data ?? {}).map(() => null));
      expect(body?.errors?.[0]?.extensions?.code).toBe(code);
    }
    if (expected === 403) {
      // The refusal names the token and the scope it lacks.
      const message: string = operation.api === 'REST' ? body?.errors[0] : body?.errors[0].message;
      expect(message).toContain(`'${operation.scope}'`);
      expect(message).toContain(caller.startsWith('agent') ? "'agent'" : "'viewer'");
    }
    // A refused report stored nothing.
    if (operation.scope === 'ingest') expect(await clientSeen(id)).toBeNull();
    // Nothing leaks: no data, no token secrets in the answer.
    for (const secret of Object.values(SECRETS)) expect(answer.text).not.toContain(secret);
    expect(answer.text).not.toContain('0.5');
  });

  it('refuses every read of the client registry without a read scope', async () => {
    const refused: Record<string, string>[] = [{}, { authorization: `Bearer ${SECRETS.agent}` }];
    for (const headers of refused) {
      const answer = await graphql(srv.url, '{ clients { id } }', undefined, headers);
      expect(answer.body.data ?? null).toBeNull();
      expect(['UNAUTHENTICATED', 'FORBIDDEN']).toContain(answer.body.errors?.[0].extensions.code);
    }
    const viewer = await graphql(srv.url, '{ clients { id } }', undefined, {
      authorization: `Bearer ${SECRETS.viewer}`,
    });
    expect(viewer.body.data.clients.map((c: Json) => c.id)).toContain('seed-rest');
  });

  it.each([
    ['no token', {}],
    ['an unknown token', { authorization: 'Bearer not-a-configured-secret-0123' }],
  ])('answers /health and /ready with %s', async (_name, headers) => {
    for (const path of ['/health', '/ready']) {
      const answer = await rawRequest(`${srv.url}${path}`, { headers });
      expect(answer.status, path).toBe(200);
    }
  });
});

describe('auth off: no token configured, loopback only', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv?.stop());

  it('serves every operation without a token, on both APIs', async () => {
    expect(srv.app.server.address()).toMatchObject({ address: '127.0.0.1' });
    await seed(srv.url, {});
    for (const [name, operation] of Object.entries(operations)) {
      const answer = await operation.send(srv.url, {}, `off-${operation.api}`);
      expect(answer.status, `${name}: ${answer.text}`).toBe(200);
      expect(answer.json, name).toEqual(operation.answer(`off-${operation.api}`));
    }
    const clients = await graphql(srv.url, '{ clients { id } }');
    expect(clients.body.data.clients.map((c: Json) => c.id)).toEqual([
      'off-GraphQL',
      'off-REST',
      'seed-gql',
      'seed-rest',
    ]);
  });
});
