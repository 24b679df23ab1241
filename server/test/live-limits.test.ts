import { once } from 'node:events';
import type { Socket } from 'node:net';
import type { ReportedWindow } from '@metrics-collector/schema/live/types';
import type { SeriesPoint } from '@metrics-collector/schema/metrics/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { REPORT_MUTATION, reportInput } from '../../testing/fixtures.js';
import { SLOW_CONSUMER_CLOSE_CODE, TOO_MANY_SUBSCRIPTIONS } from '../src/http/error-boundary.js';
import { graphql, rawRequest, startTestServer, type TestServer } from './helpers.js';
import { collect, waitFor, wsClient } from './ws-helpers.js';

const METRIC_REPORTED = `subscription ($clientId: ID) {
  metricReported(clientId: $clientId) { clientId windowEnd stats { metric core mean } }
}`;

/** A graphql-transport-ws connection by hand, with one subscription: lets a test stop reading. */
async function rawSubscriber(url: string, query: string, variables?: Record<string, unknown>) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const messages: { type: string; id?: string; payload?: unknown }[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  // A terminated socket resets the connection; the test reads the close code instead.
  ws.on('error', () => {});
  await once(ws, 'open');
  ws.send(JSON.stringify({ type: 'connection_init' }));
  await waitFor(() => messages.some((m) => m.type === 'connection_ack'), 'connection_ack');
  ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
  const socket = (ws as unknown as { _socket: Socket })._socket;
  return {
    ws,
    messages,
    closed,
    /** Stops reading from the TCP socket: the server's sends pile up. */
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}

/** A report window with `points` per-core series: about 100 bytes of JSON per point once resolved. */
function bigWindow(clientId: string, points: number): ReportedWindow {
  const point = (core: number): SeriesPoint => ({
    clientId,
    metric: 'CPU_CORE_UTILIZATION',
    core,
    windowStart: 0,
    windowEnd: 10_000,
    count: 10,
    mean: 0.123456789,
    variance: 0.01,
    min: 0.01,
    max: 0.99,
  });
  return {
    clientId,
    windowStart: 0,
    windowEnd: 10_000,
    observations: 10,
    points: Array.from({ length: points }, (_, i) => point(i)),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('limits of graphql-ws subscribers', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv.stop());

  it(`closes a subscriber that stops reading with ${SLOW_CONSUMER_CLOSE_CODE}; others keep being served`, async () => {
    const healthyClient = wsClient(srv.url);
    const healthy = collect(healthyClient, METRIC_REPORTED, { clientId: 'healthy' });
    const slow = await rawSubscriber(srv.url, METRIC_REPORTED);
    // Registered once a small event arrives.
    await waitFor(() => {
      srv.app.live.pubsub.publish('metricReported', bigWindow('probe', 1));
      return slow.messages.some((m) => m.type === 'next');
    }, 'the slow subscription');
    slow.pause();
    // ~200 kB per event: 300 of them are far more than the kernel's socket buffers and the 1 MiB limit.
    for (let i = 0; i < 300; i++) {
      srv.app.live.pubsub.publish('metricReported', bigWindow('flood', 2_000));
      await tick();
    }
    slow.resume();
    const { code, reason } = await slow.closed;
    expect(code).toBe(SLOW_CONSUMER_CLOSE_CODE);
    expect(reason).toMatch(/slow consumer/i);
    // It got what was sent before the limit, not everything.
    const flood = slow.messages.filter((m) => m.type === 'next').length;
    expect(flood).toBeGreaterThan(1);
    expect(flood).toBeLessThan(300);

    await waitFor(async () => {
      await graphql(srv.url, REPORT_MUTATION, { input: reportInput({ clientId: 'healthy' }) });
      return healthy.events.length > 0;
    }, 'the healthy subscriber');
    expect(healthy.events[0].metricReported.clientId).toBe('healthy');
    expect((await rawRequest(`${srv.url}/health`)).status).toBe(200);
    healthy.close();
    await healthyClient.dispose();
  });

  it(`answers the 101st operation on one connection with ${TOO_MANY_SUBSCRIPTIONS}; completing one frees a place`, async () => {
    const client = wsClient(srv.url);
    const subs = Array.from({ length: 101 }, () => collect(client, METRIC_REPORTED, { clientId: 'limit' }));
    const last = subs[100] as (typeof subs)[number];
    await waitFor(() => last.errors.length > 0, 'the error');
    expect(last.errors).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('the limit is 100'),
        extensions: { code: TOO_MANY_SUBSCRIPTIONS, limit: 100 },
      }),
    ]);
    expect(subs.slice(0, 100).every((s) => s.errors.length === 0)).toBe(true);

    subs[0]?.close();
    const again = collect(client, METRIC_REPORTED, { clientId: 'limit' });
    await waitFor(async () => {
      await graphql(srv.url, REPORT_MUTATION, { input: reportInput({ clientId: 'limit' }) });
      return again.events.length > 0 || again.errors.length > 0;
    }, 'the new subscription');
    expect(again.errors).toEqual([]);
    for (const s of [...subs, again]) s.close();
    await client.dispose();
  });
});

describe('subscriptions over SSE (yoga)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv.stop());

  it('streams metricReported as text/event-stream', async () => {
    const abort = new AbortController();
    const res = await fetch(`${srv.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: METRIC_REPORTED, variables: { clientId: 'sse-a' } }),
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    let text = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
      }
    })().catch(() => {});
    await waitFor(async () => {
      await graphql(srv.url, REPORT_MUTATION, { input: reportInput({ clientId: 'sse-a' }) });
      return text.includes('event: next');
    }, 'an SSE event');
    const data = /event: next\ndata: (.*)\n/.exec(text)?.[1] as string;
    expect(JSON.parse(data).data.metricReported).toMatchObject({
      clientId: 'sse-a',
      windowEnd: '2026-01-01T00:00:10.000Z',
    });
    abort.abort();
    await reading;
  });
});

describe('subscriptions with auth on', () => {
  const secret = 'viewer-secret-0123456789';
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { API_TOKENS: `viewer:read:${secret}` } });
  });
  afterAll(() => srv.stop());

  it('refuses an anonymous graphql-ws subscriber with UNAUTHENTICATED', async () => {
    const client = wsClient(srv.url);
    const sub = collect(client, METRIC_REPORTED);
    await sub.until(1);
    expect(sub.errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
    ]);
    await client.dispose();
  });

  it('refuses an anonymous SSE subscriber with UNAUTHENTICATED', async () => {
    const res = await rawRequest(`${srv.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: METRIC_REPORTED }),
    });
    expect(res.text).toContain('UNAUTHENTICATED');
  });

  it('accepts the token from connectionParams', async () => {
    const client = wsClient(srv.url, secret);
    const sub = collect(client, 'subscription { clientStatusChanged { clientId } }');
    const probe = { clientId: 'auth-probe', status: 'ONLINE' as const, previous: null, at: 0 };
    await waitFor(() => {
      srv.app.live.pubsub.publish('clientStatusChanged', probe);
      return sub.events.length > 0 || sub.errors.length > 0;
    }, 'an event');
    expect(sub.errors).toEqual([]);
    sub.close();
    await client.dispose();
  });
});

describe('stop()', () => {
  it('closes every socket, a reading one with 1001 and one that stopped reading too, and resolves', async () => {
    const srv = await startTestServer();
    const reading = await rawSubscriber(srv.url, METRIC_REPORTED);
    const stalled = await rawSubscriber(srv.url, METRIC_REPORTED);
    await waitFor(() => {
      srv.app.live.pubsub.publish('metricReported', bigWindow('probe', 1));
      return [reading, stalled].every((s) => s.messages.some((m) => m.type === 'next'));
    }, 'both subscriptions');
    stalled.pause();
    for (let i = 0; i < 50; i++) {
      srv.app.live.pubsub.publish('metricReported', bigWindow('flood', 2_000));
      await tick();
    }
    const started = Date.now();
    await srv.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await reading.closed).code).toBe(1001);
    stalled.resume();
    expect([1001, 1006, SLOW_CONSUMER_CLOSE_CODE]).toContain((await stalled.closed).code);
  });
});
