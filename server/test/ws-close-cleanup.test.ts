/**
 * graphql-ws's cleanup of closed sockets runs a chunk per turn of the event loop (server/src/http/ws.ts,
 * `TurnQueue`): sockets closing by the thousand no longer hold the loop all at once. Every closed socket's
 * subscriptions still end, and the server goes on serving.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TurnQueue } from '../src/http/ws.js';
import { startTestServer, type TestServer } from './helpers.js';
import { scrape } from './self-metrics/scrape.js';
import { waitFor } from './ws-helpers.js';

const SUBSCRIBE = JSON.stringify({
  id: '1',
  type: 'subscribe',
  payload: { query: 'subscription { metricReported { clientId } }' },
});

/** A graphql-transport-ws connection with one `metricReported` subscription, once acknowledged. */
async function subscriber(url: string): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  ws.on('error', () => {});
  await once(ws, 'open');
  const acked = new Promise<void>((resolve) =>
    ws.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') resolve();
    }),
  );
  ws.send(JSON.stringify({ type: 'connection_init' }));
  await acked;
  ws.send(SUBSCRIBE);
  return ws;
}

const running = async (url: string) =>
  (await scrape(url)).value('metrics_collector_subscriptions', { field: 'metricReported' });

describe('TurnQueue', () => {
  it('runs its tasks in order, perTurn of them per turn of the event loop', async () => {
    const queue = new TurnQueue(64);
    const ran: number[] = [];
    for (let i = 0; i < 200; i += 1) queue.push(() => ran.push(i));
    expect(ran).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toHaveLength(64);
    // A task pushed while others wait runs after them.
    queue.push(() => ran.push(200));
    await waitFor(() => ran.length === 201, 'every task');
    expect(ran).toEqual(Array.from({ length: 201 }, (_, i) => i));
    // The queue starts again once empty.
    queue.push(() => ran.push(201));
    await waitFor(() => ran.length === 202, 'a task pushed after the queue emptied');
  });
});

describe('closed sockets', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('end every subscription of sockets dropped all at once, and the server serves a new one', async () => {
    const sockets = await Promise.all(Array.from({ length: 300 }, () => subscriber(server.url)));
    await waitFor(async () => (await running(server.url)) === 300, '300 subscriptions running', 20_000);
    for (const ws of sockets) ws.terminate();
    await waitFor(async () => (await running(server.url)) === 0, 'no subscription left', 20_000);
    const late = await subscriber(server.url);
    await waitFor(async () => (await running(server.url)) === 1, 'the new subscription running', 20_000);
    late.close();
    await waitFor(async () => (await running(server.url)) === 0, 'the new one ended', 20_000);
  });
});
