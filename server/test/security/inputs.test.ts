import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { type Listening, listen } from '../../src/listen.js';
import { createLogger } from '../../src/logger.js';
import {
  graphql,
  rawRequest,
  startTestApp,
  startTestServer,
  type TestApp,
  type TestServer,
} from '../helpers.js';
import { collect, waitFor, wsClient } from '../ws-helpers.js';

/** The smaller ways in: malformed GET parameters, ill-formed UTF-16, introspection, a wrong WebSocket token. */
const LONE = '\ud800';
const SPEC = { accept: 'application/graphql-response+json' };

describe('GET /graphql parameters', () => {
  let srv: TestApp;
  beforeAll(async () => {
    srv = await startTestApp();
  });
  afterAll(async () => {
    await srv.stop();
  });

  const get = (params: string) => rawRequest(`${srv.url}/graphql?${params}`, { headers: SPEC });
  const q = encodeURIComponent('query Q($id: ID!) { client(id: $id) { id } }');

  it.each([
    ['variables that are not JSON', `query=${q}&variables=%7B`, 'variables', /is not valid JSON/],
    ['variables that are a list', `query=${q}&variables=%5B%5D`, 'variables', /must be a JSON object/],
    ['extensions that are not JSON', `query=${q}&extensions=nope`, 'extensions', /is not valid JSON/],
    ['no query', 'variables=%7B%7D', 'query', /is required/],
  ])('answers %s with 400 naming the parameter', async (_label, params, field, message) => {
    const answer = await get(params);
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ errors: [{ extensions: { field } }] });
    expect((answer.json as { errors: { message: string }[] }).errors[0]?.message).toMatch(message);
  });

  it('answers an empty query as a document that does not parse', async () => {
    const answer = await get('query=');
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ errors: [{ extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] });
  });

  it('answers an unknown operationName with OPERATION_RESOLUTION_FAILURE and a GET mutation with 405', async () => {
    const unknown = await get(`query=${encodeURIComponent('query A { __typename }')}&operationName=B`);
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({
      errors: [{ extensions: { code: 'OPERATION_RESOLUTION_FAILURE', field: 'operationName' } }],
    });
    const mutation = await get(`query=${encodeURIComponent('mutation { deleteAlertRule(id: "x") { id } }')}`);
    expect(mutation.status).toBe(405);
    expect(mutation.headers.allow).toBe('POST');
    expect(mutation.json).toMatchObject({ errors: [{ extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
  });

  it('serves a well-formed GET query, variables included', async () => {
    const answer = await get(`query=${q}&variables=${encodeURIComponent('{"id":"nobody"}')}`);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ data: { client: null } });
  });
});

describe('strings that are not well-formed UTF-16', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  const clients = async () => (await graphql(srv.url, '{ clients { id } }')).body.data.clients as unknown[];

  it('refuses a lone surrogate with 400 naming the field, on every transport, storing nothing', async () => {
    const rest = await rawRequest(`${srv.url}/api/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...originalReport, user_id: `host${LONE}` }),
    });
    expect(rest.status).toBe(400);
    expect(rest.json).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect((rest.json as { errors: string[] }).errors[0]).toMatch(/^user_id: is not well-formed UTF-16/);

    const variables = await graphql(srv.url, REPORT_MUTATION, {
      input: reportInput({ clientId: `host${LONE}` }),
    });
    expect(variables.status).toBe(400);
    expect(variables.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.clientId',
    });

    const literal = await graphql(srv.url, `{ client(id: "a${LONE}") { id } }`);
    expect(literal.status).toBe(400);
    expect(literal.body.errors?.[0]?.extensions).toMatchObject({ field: 'query' });

    const key = await rawRequest(`${srv.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: REPORT_MUTATION,
        variables: { input: { ...reportInput(), [`x${LONE}`]: 1 } },
      }),
    });
    expect(key.status).toBe(400);
    expect(key.json).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'input' } }] });

    const get = await rawRequest(
      `${srv.url}/graphql?query=${encodeURIComponent('query Q($id: ID!) { client(id: $id) { id } }')}&variables=${encodeURIComponent(JSON.stringify({ id: `a${LONE}` }))}`,
    );
    expect(get.status).toBe(400);
    expect(get.json).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'id' } }] });

    const client = wsClient(srv.url);
    const ws = collect(client, REPORT_MUTATION, { input: reportInput({ clientId: `ws${LONE}` }) });
    await ws.until(1);
    expect(ws.errors).toMatchObject([{ extensions: { code: 'BAD_USER_INPUT', field: 'input.clientId' } }]);
    await client.dispose();

    expect(await clients()).toEqual([]);
    // A surrogate pair (an emoji) is well-formed, and stored as sent.
    const emoji = await graphql(srv.url, REPORT_MUTATION, { input: reportInput({ clientId: 'host-😀' }) });
    expect(emoji.body.errors).toBeUndefined();
    expect(await clients()).toEqual([{ id: 'host-😀' }]);
  });
});

describe('introspection', () => {
  let authed: TestApp;
  let opened: TestApp;
  const reader = 'reader-secret-0123456789';
  const agent = 'agent-secret-01234567890';
  const INTROSPECT = '{ __schema { queryType { name } } }';
  beforeAll(async () => {
    const API_TOKENS = `reader:read:${reader},agent:ingest:${agent}`;
    authed = await startTestApp({ env: { API_TOKENS } });
    opened = await startTestApp({ env: { API_TOKENS, INTROSPECTION: 'on' } });
  });
  afterAll(async () => {
    await authed.stop();
    await opened.stop();
  });

  it('needs scope read while auth is on, unless INTROSPECTION=on', async () => {
    const as = (secret?: string) => (secret ? { ...SPEC, authorization: `Bearer ${secret}` } : SPEC);
    const anonymous = await graphql(authed.url, INTROSPECT, undefined, as());
    expect(anonymous.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', field: 'query' });
    expect(anonymous.body.data).toBeUndefined();
    const typeQuery = await graphql(authed.url, '{ __type(name: "Query") { name } }', undefined, as(agent));
    expect(typeQuery.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await graphql(authed.url, INTROSPECT, undefined, as(reader))).body.data).toEqual({
      __schema: { queryType: { name: 'Query' } },
    });
    // __typename is not introspection.
    expect((await graphql(authed.url, '{ __typename }', undefined, as())).body.data).toEqual({
      __typename: 'Query',
    });
    expect((await graphql(opened.url, INTROSPECT, undefined, as())).body.data).toEqual({
      __schema: { queryType: { name: 'Query' } },
    });
  });
});

describe('a wrong token over graphql-ws', () => {
  const logs: Record<string, unknown>[] = [];
  let server: Listening;
  let url: string;
  let dataDir: string;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
        done();
      },
    });
    dataDir = mkdtempSync(join(tmpdir(), 'mc-ws-token-'));
    const config = loadConfig({
      PORT: '0',
      DATA_DIR: dataDir,
      API_TOKENS: 'agent:ingest:agent-secret-0123456789',
    });
    server = await listen(buildApp(config, { logger: createLogger('debug', sink) }), config);
    url = server.url;
  });
  afterAll(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('closes the socket with 4403 at connection_init, and logs no error or stack', async () => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    socket.once('open', () =>
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer not-a-token-at-all' } }),
      ),
    );
    expect(await closed).toEqual({ code: 4403, reason: 'Forbidden' });
    await waitFor(
      () => logs.some((l) => l.msg === 'websocket refused: the token is not valid'),
      'the refusal log',
    );
    const loud = logs.filter((l) => (l.level as number) >= 40);
    expect(loud).toEqual([]);
    expect(JSON.stringify(logs)).not.toContain('stack');
  });
});
