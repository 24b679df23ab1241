import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { originalReport } from '../../../testing/fixtures.js';
import { graphql, rawRequest, startTestServer, type TestServer } from '../helpers.js';
import { healthOnNewConnection } from './harness.js';

/**
 * What a web page the user visits can make the default server do (auth off, loopback): nothing. Bodies
 * a page may send cross-origin without a preflight are refused, foreign origins are refused whatever the
 * method, no CORS headers go to anyone not listed, and a DNS-rebinding host name is refused.
 */
const CREATE_RULE = JSON.stringify({
  query:
    'mutation { createAlertRule(input: { name: "evil", metric: CPU_UTILIZATION, comparator: ABOVE, threshold: 0.1, forSeconds: 0 }) { id } }',
});
const RULES = '{ alertRules { id name } }';

const upgrade = (url: string, headers: Record<string, string>) =>
  new Promise<{ opened: boolean; status?: number }>((resolve) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', {
      headers,
    });
    socket.once('open', () => {
      socket.close();
      resolve({ opened: true });
    });
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ opened: false, status: res.statusCode });
    });
    socket.once('error', () => resolve({ opened: false }));
  });

describe('cross-site requests to the default server (auth off)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  const rules = async () => (await graphql(srv.url, RULES)).body.data.alertRules as unknown[];

  it.each([
    ['text/plain', 'text/plain;charset=UTF-8'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['no content type', undefined],
  ])('refuses a mutation sent as %s with 415, creating nothing', async (_label, type) => {
    const answer = await rawRequest(`${srv.url}/graphql`, {
      method: 'POST',
      headers: type ? { 'content-type': type } : {},
      body: CREATE_RULE,
    });
    expect(answer.status).toBe(415);
    expect(answer.json).toMatchObject({
      errors: [{ extensions: { code: 'UNSUPPORTED_MEDIA_TYPE', field: 'content-type' } }],
    });
    expect(await rules()).toEqual([]);
  });

  it('refuses a text/plain report on the REST route with 415, storing nothing', async () => {
    const answer = await rawRequest(`${srv.url}/api/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(originalReport),
    });
    expect(answer.status).toBe(415);
    expect(answer.json).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect((await graphql(srv.url, '{ clients { id } }')).body.data.clients).toEqual([]);
  });

  it('refuses any method from a foreign Origin, JSON included, with no CORS headers', async () => {
    const origin = { origin: 'https://evil.example' };
    const post = await rawRequest(`${srv.url}/graphql`, {
      method: 'POST',
      headers: { ...origin, 'content-type': 'application/json' },
      body: CREATE_RULE,
    });
    const get = await rawRequest(`${srv.url}/graphql?query=${encodeURIComponent(RULES)}`, {
      headers: origin,
    });
    const sse = await rawRequest(
      `${srv.url}/graphql?query=${encodeURIComponent('subscription { agentCommands(clientId: "x") { id } }')}`,
      { headers: { ...origin, accept: 'text/event-stream' } },
    );
    const rest = await rawRequest(
      `${srv.url}/api/v1/metrics/cpuLoadAvg/byUser/x?start=0&end=1&resample_rate=1s`,
      {
        headers: origin,
      },
    );
    const preflight = await rawRequest(`${srv.url}/graphql`, {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'POST' },
    });
    for (const answer of [post, get, sse, rest, preflight]) {
      expect(answer.status).toBe(403);
      expect(JSON.stringify(answer.json)).toContain('ORIGIN_NOT_ALLOWED');
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
      expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
    }
    expect(await rules()).toEqual([]);
    // `Origin: null` (a sandboxed frame, a file) is foreign too.
    const sandboxed = await rawRequest(`${srv.url}/graphql?query=${encodeURIComponent(RULES)}`, {
      headers: { origin: 'null' },
    });
    expect(sandboxed.status).toBe(403);
  });

  it("serves the server's own origin (GraphiQL's requests) without CORS headers", async () => {
    const host = new URL(srv.url).host;
    const answer = await rawRequest(`${srv.url}/graphql`, {
      method: 'POST',
      headers: { origin: `http://${host}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: RULES }),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a WebSocket upgrade from a foreign Origin and accepts one without or from its own', async () => {
    expect(await upgrade(srv.url, { origin: 'https://evil.example' })).toEqual({
      opened: false,
      status: 403,
    });
    expect(await upgrade(srv.url, {})).toEqual({ opened: true });
    expect(await upgrade(srv.url, { origin: `http://${new URL(srv.url).host}` })).toEqual({ opened: true });
  });

  it('refuses a Host that is not loopback or configured (DNS rebinding), on HTTP and WebSocket', async () => {
    const port = new URL(srv.url).port;
    for (const host of [`evil.example:${port}`, `0.0.0.0:${port}`, `192.168.1.10:${port}`]) {
      const answer = await rawRequest(`${srv.url}/graphql?query=${encodeURIComponent(RULES)}`, {
        headers: { host },
      });
      expect(answer.status, host).toBe(403);
      expect(answer.json).toMatchObject({
        errors: [{ extensions: { code: 'HOST_NOT_ALLOWED', field: 'host' } }],
      });
      // A page on that name sends its own origin; it is refused for the host first.
      expect(await upgrade(srv.url, { host })).toEqual({ opened: false, status: 403 });
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `LOCALHOST:${port}`, `127.0.0.1`]) {
      const answer = await rawRequest(`${srv.url}/graphql?query=${encodeURIComponent(RULES)}`, {
        headers: { host },
      });
      expect(answer.status, host).toBe(200);
    }
    // /health answers whatever the host: it reveals nothing.
    expect(await healthOnNewConnection(srv.url)).toBe(200);
  });

  it('refuses an HTTP/1.1 request without a Host header (Node answers 400 before any route)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${srv.url}/graphql?query=${encodeURIComponent(RULES)}`,
        { setHost: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
  });
});

describe('CORS_ORIGINS and ALLOWED_HOSTS', () => {
  let srv: TestServer;
  const console = 'https://console.example.com';
  beforeAll(async () => {
    srv = await startTestServer({
      env: { CORS_ORIGINS: `${console}, http://localhost:5173`, ALLOWED_HOSTS: 'metrics.internal' },
    });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('answers a listed origin with its own name in the CORS headers, never with credentials', async () => {
    const answer = await rawRequest(`${srv.url}/graphql`, {
      method: 'POST',
      headers: { origin: console, 'content-type': 'application/json' },
      body: JSON.stringify({ query: RULES }),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(console);
    expect(answer.headers.vary).toMatch(/Origin/);
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
    const preflight = await rawRequest(`${srv.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: console, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': console,
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'authorization, content-type, accept',
    });
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    // Another origin still gets nothing.
    const other = await rawRequest(`${srv.url}/graphql?query=${encodeURIComponent(RULES)}`, {
      headers: { origin: 'https://console.example.com.evil.example' },
    });
    expect(other.status).toBe(403);
  });

  it('serves a host name listed in ALLOWED_HOSTS', async () => {
    const answer = await rawRequest(`${srv.url}/graphql?query=${encodeURIComponent(RULES)}`, {
      headers: { host: 'metrics.internal' },
    });
    expect(answer.status).toBe(200);
  });

  it('refuses a malformed CORS_ORIGINS entry at start, naming it', async () => {
    await expect(
      startTestServer({ env: { CORS_ORIGINS: 'https://ok.example, https://x.example/path' } }),
    ).rejects.toThrow(/CORS_ORIGINS: "https:\/\/x.example\/path" is not an origin/);
  });
});

describe('with auth on', () => {
  let srv: TestServer;
  const secret = 'admin-secret-0123456789';
  beforeAll(async () => {
    srv = await startTestServer({ env: { API_TOKENS: `admin:admin:${secret}` } });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('serves any Host (a token is needed anyway) but still refuses foreign origins and text/plain', async () => {
    const bearer = { authorization: `Bearer ${secret}` };
    const named = await rawRequest(`${srv.url}/graphql?query=${encodeURIComponent(RULES)}`, {
      headers: { ...bearer, host: 'metrics.example.com' },
    });
    expect(named.status).toBe(200);
    const foreign = await rawRequest(`${srv.url}/graphql?query=${encodeURIComponent(RULES)}`, {
      headers: { ...bearer, origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    const plain = await rawRequest(`${srv.url}/graphql`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'text/plain' },
      body: CREATE_RULE,
    });
    expect(plain.status).toBe(415);
  });
});
