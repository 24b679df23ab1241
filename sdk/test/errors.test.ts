import { createServer, request as httpRequest, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../../server/test/helpers.js';
import { createClient, SdkError } from '../src/index.js';
import { report } from './helpers.js';

/**
 * A proxy in front of the real server that answers the first `failures` requests itself with `fail`,
 * then passes the rest through; `requests` counts every request.
 */
async function startProxy(target: string, failures: number, fail: ((res: ServerResponse) => void) | null) {
  const state = { requests: 0 };
  const server = createServer((req, res) => {
    state.requests += 1;
    if (state.requests <= failures && fail) {
      req.resume();
      req.on('end', () => fail(res));
      return;
    }
    const upstream = httpRequest(
      `${target}${req.url}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port with nothing listening. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv?.stop();
});

const retry = { attempts: 3, minDelayMs: 1, maxDelayMs: 20 };

describe('errors and retries', () => {
  it('retries a 503 with Retry-After, and the report succeeds', async () => {
    const proxy = await startProxy(srv.url, 1, (res) => {
      res.writeHead(503, { 'retry-after': '0', 'content-type': 'text/plain' });
      res.end('busy');
    });
    try {
      const sdk = createClient({ url: proxy.url, retry });
      const ack = await sdk.reportMetrics(report({ clientId: 'retry-503' }));
      expect(ack.clientId).toBe('retry-503');
      expect(proxy.requests).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('retries a STORE_UNAVAILABLE answer, even for a mutation that is not idempotent', async () => {
    const proxy = await startProxy(srv.url, 1, (res) => {
      res.writeHead(503, { 'content-type': 'application/graphql-response+json' });
      res.end(
        JSON.stringify({
          data: null,
          errors: [
            {
              message: 'The store could not commit.',
              extensions: { code: 'STORE_UNAVAILABLE', retryable: true },
            },
          ],
        }),
      );
    });
    try {
      const sdk = createClient({ url: proxy.url, retry });
      const sent = await sdk.setSamplingInterval({ clientId: 'retry-store', intervalMs: 1_000 });
      expect(sent.status).toBe('PENDING');
      expect(proxy.requests).toBe(2);
      expect(await sdk.agentCommands({ clientId: 'retry-store' })).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('gives up after the configured attempts, keeping request and response', async () => {
    const proxy = await startProxy(srv.url, 10, (res) => {
      res.writeHead(503, { 'retry-after': '0' });
      res.end('still busy');
    });
    try {
      const sdk = createClient({ url: proxy.url, retry: { ...retry, attempts: 2 } });
      const error = await sdk.clients().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SdkError);
      expect(error).toMatchObject({ kind: 'http', status: 503, retryable: true, retryAfterMs: 0 });
      expect((error as SdkError).response?.body).toBe('still busy');
      expect((error as SdkError).request.operationName).toBe('Clients');
      expect(proxy.requests).toBe(2);

      const once = createClient({ url: proxy.url, retry: false });
      await expect(once.clients()).rejects.toMatchObject({ kind: 'http', status: 503 });
      expect(proxy.requests).toBe(3);
    } finally {
      await proxy.close();
    }
  });

  it('surfaces a validation error at once as kind graphql with its code and field', async () => {
    const proxy = await startProxy(srv.url, 0, null);
    try {
      const sdk = createClient({ url: proxy.url, retry });
      const bad = report({ cpu: { utilization: { mean: 1.5, variance: 0, min: 0, max: 2 } } });
      const error = await sdk.reportMetrics(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SdkError);
      expect(error).toMatchObject({
        kind: 'graphql',
        code: 'BAD_USER_INPUT',
        field: 'input.cpu.utilization.mean',
        retryable: false,
        status: 400,
      });
      expect((error as SdkError).request.variables).toEqual({ input: bad });
      expect((error as SdkError).errors[0]?.message).toMatch(/^input\.cpu\.utilization\.mean: /);
      expect(proxy.requests).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('reports a network error (nothing listening) after the configured attempts', async () => {
    const port = await closedPort();
    let calls = 0;
    const sdk = createClient({
      url: `http://127.0.0.1:${port}/graphql`,
      retry: { ...retry, attempts: 4 },
      fetch: (input, init) => {
        calls += 1;
        return fetch(input, init);
      },
    });
    const error = await sdk.metrics().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SdkError);
    expect(error).toMatchObject({
      kind: 'network',
      retryable: true,
      response: undefined,
      notProcessed: true,
    });
    expect(calls).toBe(4);
  });

  it('says why a WebSocket could not connect (ws reports it as an ErrorEvent, not an Error)', async () => {
    const port = await closedPort();
    const sdk = createClient({
      url: `http://127.0.0.1:${port}/graphql`,
      webSocketImpl: WebSocket,
      transport: 'ws',
      retry: false,
      ws: { retryAttempts: 0 },
    });
    try {
      const error = await sdk.metrics().catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'network', retryable: true });
      expect((error as SdkError).message).toBe(`WebSocket: connect ECONNREFUSED 127.0.0.1:${port}`);
    } finally {
      await sdk.close();
    }
  });

  it('close() ends a retry wait at once', async () => {
    const port = await closedPort();
    const sdk = createClient({
      url: `http://127.0.0.1:${port}/graphql`,
      retry: { attempts: 5, minDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    const pending = sdk.metrics().catch((e: unknown) => e);
    await sdk.close();
    expect(await pending).toMatchObject({ kind: 'network' });
  });

  it('keeps no listener per reconnection attempt on the client', async () => {
    const port = await closedPort();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    let waits = 0;
    const sdk = createClient({
      url: `http://127.0.0.1:${port}/graphql`,
      webSocketImpl: WebSocket,
      ws: {
        retryAttempts: Number.POSITIVE_INFINITY,
        retryWait: async () => {
          waits += 1;
        },
      },
    });
    try {
      const next = sdk.subscriptions
        .alertEvents()
        .next()
        .catch(() => undefined);
      while (waits < 30) await new Promise((resolve) => setTimeout(resolve, 10));
      await sdk.close();
      await next;
      // A warning is emitted on a later turn.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('close() resolves while the WebSocket waits to connect again, however long the wait', async () => {
    const port = await closedPort();
    let waiting: () => void = () => {};
    const waitStarted = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const sdk = createClient({
      url: `http://127.0.0.1:${port}/graphql`,
      webSocketImpl: WebSocket,
      ws: {
        retryAttempts: Number.POSITIVE_INFINITY,
        // A wait that does not end by itself within the test, as the agent's backoff may not.
        retryWait: () => {
          waiting();
          return new Promise((resolve) => setTimeout(resolve, 600_000).unref());
        },
      },
    });
    const events = sdk.subscriptions.alertEvents();
    const next = events.next().catch((e: unknown) => e);
    await waitStarted;
    // graphql-ws's dispose() awaits the connection attempt in progress, which rejects when it fails.
    await expect(sdk.close()).resolves.toBeUndefined();
    // The subscription ends, as close() promises.
    expect(await next).toEqual({ done: true, value: undefined });
  });
});
