import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../testing/fixtures.js';
import { checkTokens, createAuthenticator } from '../src/auth.js';
import { ConfigError, loadConfig } from '../src/config.js';
import {
  graphql,
  type RawResponse,
  rawRequest,
  startTestApp,
  startTestServer,
  type TestApp,
  type TestServer,
} from './helpers.js';

type Json = Record<string, any>;

const SECRETS = {
  agent: 'agent-secret-0123456789',
  viewer: 'viewer-secret-0123456789',
  root: 'admin-secret-0123456789',
};
const API_TOKENS = `agent:ingest:${SECRETS.agent},viewer:read:${SECRETS.viewer},root:admin:${SECRETS.root}`;

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

// ---------------------------------------------------------------------------------------------------------

/** The problems `loadConfig` reports for `env`; fails when it accepts it. */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('configuration of auth (loadConfig)', () => {
  it.each(['0.0.0.0', '::', '192.168.1.10', 'metrics.example.com'])(
    'refuses HOST=%s without tokens, naming HOST',
    (host) => {
      expect(problems({ HOST: host })).toEqual([
        `HOST: ${host} is not a loopback address and no API token is configured; set API_TOKENS, or AUTH=off to serve without auth`,
      ]);
    },
  );

  it.each(['127.0.0.1', '127.0.0.53', 'localhost', '::1'])(
    'accepts loopback HOST=%s without tokens, auth off',
    (host) => {
      const config = loadConfig({ HOST: host });
      expect(config).toMatchObject({ host, authEnabled: false, tokens: [] });
    },
  );

  it('accepts a public HOST with AUTH=off, auth off', () => {
    expect(loadConfig({ HOST: '0.0.0.0', AUTH: 'off' })).toMatchObject({
      host: '0.0.0.0',
      authEnabled: false,
      tokens: [],
    });
  });

  it('accepts a public HOST with tokens, keeping only hashes of the secrets', () => {
    const config = loadConfig({ HOST: '0.0.0.0', API_TOKENS });
    expect(config.authEnabled).toBe(true);
    expect(config.tokens.map((t) => [t.name, [...t.scopes]])).toEqual([
      ['agent', ['ingest']],
      ['viewer', ['read']],
      ['root', ['admin']],
    ]);
    const dump = inspect(config, { depth: 10, showHidden: true });
    for (const secret of Object.values(SECRETS)) expect(dump).not.toContain(secret);
    for (const token of config.tokens) expect(token.secretHash).toHaveLength(32);
  });

  it('reads tokens from API_TOKENS_FILE, with comments and one entry per line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-auth-'));
    try {
      const file = join(dir, 'tokens');
      writeFileSync(
        file,
        `# agents\nagent:ingest:${SECRETS.agent}\n\nviewer:read+ingest:${SECRETS.viewer} # both\n`,
      );
      const config = loadConfig({ HOST: '0.0.0.0', API_TOKENS_FILE: file });
      expect(config.tokens.map((t) => [t.name, [...t.scopes]])).toEqual([
        ['agent', ['ingest']],
        ['viewer', ['read', 'ingest']],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses AUTH=on without tokens', () => {
    expect(problems({ AUTH: 'on' })).toEqual([
      'AUTH: is "on" but no token is configured in API_TOKENS or API_TOKENS_FILE',
    ]);
  });

  it.each([
    [
      'an unknown scope',
      'bad:write:secret-0123456789abcdef',
      /^API_TOKENS: entry 1 \(bad\) has unknown scope "write"/,
    ],
    [
      'an empty scope',
      'bad:read+:secret-0123456789abcdef',
      /^API_TOKENS: entry 1 \(bad\) has unknown scope ""/,
    ],
    [
      'a short secret',
      'short:read:tooshort',
      /^API_TOKENS: entry 1 \(short\) has a secret shorter than 16 characters/,
    ],
    [
      'a secret with a space',
      'spaced:read:secret with spaces 0123',
      /^API_TOKENS: entry 1 \(spaced\) has whitespace in its secret/,
    ],
    [
      'a duplicate name',
      `a:read:${SECRETS.viewer},a:ingest:${SECRETS.agent}`,
      /^API_TOKENS: entry 2 \(a\) repeats the token name of API_TOKENS: entry 1 \(a\)/,
    ],
    [
      'a duplicate secret',
      `a:read:${SECRETS.viewer},b:admin:${SECRETS.viewer}`,
      /^API_TOKENS: entry 2 \(b\) repeats the secret of API_TOKENS: entry 1 \(a\)/,
    ],
    [
      'a missing secret',
      'lonely:read',
      /^API_TOKENS: entry 1 \(lonely\) is not of the form name:scope1\+scope2:secret/,
    ],
    ['a missing name', `:read:${SECRETS.viewer}`, /^API_TOKENS: entry 1 \(\?\) is not of the form/],
  ])('refuses %s, naming the entry', (_name, tokens, message) => {
    const found = problems({ API_TOKENS: tokens });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('refuses a token name used in both API_TOKENS and API_TOKENS_FILE, naming both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-auth-'));
    try {
      const file = join(dir, 'tokens');
      writeFileSync(file, `agent:ingest:${SECRETS.root}\n`);
      expect(problems({ API_TOKENS: `agent:ingest:${SECRETS.agent}`, API_TOKENS_FILE: file })).toEqual([
        `${file}: entry 1 (agent) repeats the token name of API_TOKENS: entry 1 (agent)`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an API_TOKENS_FILE that cannot be read, naming it', () => {
    const found = problems({ API_TOKENS_FILE: '/nonexistent/tokens' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^API_TOKENS_FILE: cannot read \/nonexistent\/tokens/);
  });

  it('reports several problems at once: every bad entry and every bad variable', () => {
    const found = problems({
      PORT: 'eighty',
      HOST: '0.0.0.0',
      API_TOKENS: [
        `a:write:${SECRETS.agent}`,
        'b:read:short',
        `c:read:${SECRETS.viewer}`,
        `c:ingest:${SECRETS.root}`,
      ].join(','),
    });
    expect(found).toHaveLength(4);
    expect(found[0]).toMatch(/^PORT: /);
    expect(found.slice(1)).toEqual([
      expect.stringMatching(/^API_TOKENS: entry 1 \(a\) has unknown scope "write"/),
      expect.stringMatching(/^API_TOKENS: entry 2 \(b\) has a secret shorter/),
      expect.stringMatching(/^API_TOKENS: entry 4 \(c\) repeats the token name/),
    ]);
    // The configured-but-malformed tokens are the problem, not a missing token: no HOST complaint.
    expect(found.some((p) => p.startsWith('HOST'))).toBe(false);
    // One entry with several faults names them all.
    expect(problems({ API_TOKENS: 'x:write+root:short' })).toEqual([
      'API_TOKENS: entry 1 (x) has unknown scope "write", "root"; scopes are ingest, read, admin; has a secret shorter than 16 characters',
    ]);
  });

  it('lists every problem on its own line in the error message', () => {
    try {
      loadConfig({ HOST: '0.0.0.0', API_TOKENS: 'a:read:short-1,b:nope:short-2' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe(
        [
          'Invalid configuration:',
          '  - API_TOKENS: entry 1 (a) has a secret shorter than 16 characters',
          '  - API_TOKENS: entry 2 (b) has unknown scope "nope"; scopes are ingest, read, admin; has a secret shorter than 16 characters',
        ].join('\n'),
      );
    }
  });
});

describe('tokens bound to client ids (clients=)', () => {
  const RACK = 'rack12-secret-0123456789';
  const tokensOf = (text: string) => checkTokens([{ source: 'API_TOKENS', text }]);

  it('reads the patterns after the secret; an entry without them is unbound', () => {
    const { tokens, problems } = tokensOf(
      `rack12:ingest:${RACK} clients=rack12-*|02:fc:*\nagent:ingest:${SECRETS.agent}\n` +
        `tabs:ingest+read:${SECRETS.viewer}\tclients=a # comment\n`,
    );
    expect(problems).toEqual([]);
    expect(tokens.map((t) => [t.name, [...t.scopes], t.clients])).toEqual([
      ['rack12', ['ingest'], ['rack12-*', '02:fc:*']],
      ['agent', ['ingest'], null],
      ['tabs', ['ingest', 'read'], ['a']],
    ]);
    // The secret ends at the whitespace: the pattern is not part of it.
    const authenticate = createAuthenticator(tokens, true);
    expect(authenticate(`Bearer ${RACK}`)).toMatchObject({
      name: 'rack12',
      clientPatterns: ['rack12-*', '02:fc:*'],
    });
  });

  it('matches whole ids, * as any run of characters (none too), everything else literally', () => {
    const { tokens } = tokensOf(`rack12:ingest:${RACK} clients=rack12-*|02:fc:*|a.b?[c]|*-x-*`);
    const matches = createAuthenticator(tokens, true)(`Bearer ${RACK}`).clients as (id: string) => boolean;
    const allowed = ['rack12-a', 'rack12-', '02:fc:7a:11:00:01', 'a.b?[c]', '-x-', 'p-x-q-x-r'];
    const refused = ['rack13-a', 'xrack12-a', 'RACK12-a', '02:fc', '02:FC:7a', 'aab?[c]', 'a.b?c', 'p-x', ''];
    expect(allowed.filter(matches)).toEqual(allowed);
    expect(refused.filter(matches)).toEqual([]);
    // No backtracking blow-up: a long id against a pattern of many stars answers at once.
    const { tokens: stars } = tokensOf(`s:ingest:${RACK} clients=${'*a'.repeat(100)}b`);
    const many = createAuthenticator(stars, true)(`Bearer ${RACK}`).clients as (id: string) => boolean;
    expect(many('a'.repeat(256))).toBe(false);
    expect(many(`${'a'.repeat(99)}b`)).toBe(false);
    expect(many(`${'a'.repeat(255)}b`)).toBe(true);
  });

  it('leaves anonymous callers, auth-off callers and unbound tokens unbound', () => {
    const { tokens } = tokensOf(`agent:ingest:${SECRETS.agent}`);
    const on = createAuthenticator(tokens, true);
    expect(on(undefined)).toMatchObject({ clients: null, clientPatterns: null });
    expect(on(`Bearer ${SECRETS.agent}`)).toMatchObject({ clients: null, clientPatterns: null });
    expect(createAuthenticator(tokens, false)(undefined)).toMatchObject({
      clients: null,
      clientPatterns: null,
    });
  });

  it.each([
    ['an empty binding', `rack12:ingest:${RACK} clients=`, 'has an empty client pattern'],
    ['an empty pattern between two', `rack12:ingest:${RACK} clients=a||b`, 'has an empty client pattern'],
    ['a trailing |', `rack12:ingest:${RACK} clients=a|`, 'has an empty client pattern'],
    [
      'an unknown option',
      `rack12:ingest:${RACK} client=rack12-*`,
      'has an unknown option after its secret; the only option is clients=',
    ],
    [
      'a word after the binding',
      `rack12:ingest:${RACK} clients=a extra`,
      'has an unknown option after its secret; the only option is clients=',
    ],
    [
      'two bindings',
      `rack12:ingest:${RACK} clients=a clients=b`,
      'has more than one clients= option; list every pattern in one, separated by |',
    ],
    [
      'a pattern longer than 256 characters',
      `rack12:ingest:${RACK} clients=a|${'x'.repeat(257)}`,
      'has a client pattern longer than 256 characters',
    ],
  ])('refuses %s, naming the entry', (_name, entry, problem) => {
    expect(problems({ API_TOKENS: entry })).toEqual([`API_TOKENS: entry 1 (rack12) ${problem}`]);
  });

  it('accepts a pattern of 256 characters', () => {
    const { tokens, problems: found } = tokensOf(`rack12:ingest:${RACK} clients=${'x'.repeat(256)}`);
    expect(found).toEqual([]);
    expect(tokens[0]?.clients).toEqual(['x'.repeat(256)]);
  });

  it('names every problem of one entry', () => {
    expect(problems({ API_TOKENS: `rack12:ingest:short clients=|a mode=x clients=b` })).toEqual([
      'API_TOKENS: entry 1 (rack12) has a secret shorter than 16 characters; has an empty client pattern; has an unknown option after its secret; the only option is clients=; has more than one clients= option; list every pattern in one, separated by |',
    ]);
  });

  it('does not quote the words after a secret, which may be part of a secret written with spaces', () => {
    const found = problems({ API_TOKENS: 'spaced:read:my-long-secret-0123 with=spaces 0123 clients=a' });
    expect(found).toEqual([
      'API_TOKENS: entry 1 (spaced) has an unknown option after its secret; the only option is clients=',
    ]);
  });
});
