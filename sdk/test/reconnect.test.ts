import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startTestServer } from '../../server/test/helpers.js';
import { createClient, SdkError } from '../src/index.js';
import { nextMatching, report } from './helpers.js';

it('a subscription survives a server restart on the same port', async () => {
  let srv = await startTestServer();
  const port = new URL(srv.url).port;
  const sdk = createClient({
    url: `${srv.url}/graphql`,
    webSocketImpl: WebSocket,
    retry: { minDelayMs: 10, maxDelayMs: 100 },
    ws: { retryAttempts: 200, retryWait: () => new Promise((r) => setTimeout(r, 25)) },
  });
  try {
    const reports = sdk.subscriptions.metricReported({ clientId: 'restart' });
    const first = report({ clientId: 'restart' });
    const before = await nextMatching(
      reports,
      () => sdk.reportMetrics(first),
      (e) => e.windowEnd === '2026-01-01T00:00:10.000Z',
    );
    expect(before.clientId).toBe('restart');

    await srv.stop({ keepData: true });
    srv = await startTestServer({ dataDir: srv.dataDir, env: { PORT: port } });
    expect(srv.url).toBe(`http://127.0.0.1:${port}`);

    const second = report({
      clientId: 'restart',
      windowStart: '2026-01-01T00:00:10.000Z',
      windowEnd: '2026-01-01T00:00:20.000Z',
    });
    // Reported until the reconnected subscription sees it; events of the first report may come first.
    const after = await nextMatching(
      reports,
      () => sdk.reportMetrics(second),
      (e) => e.windowEnd === '2026-01-01T00:00:20.000Z',
    );
    expect(after).toMatchObject({ clientId: 'restart', windowStart: '2026-01-01T00:00:10.000Z' });
    // The data survived the restart too.
    expect((await sdk.client('restart'))?.lastSeen).toBe('2026-01-01T00:00:20.000Z');
    await reports.return?.();
  } finally {
    await sdk.close();
    await srv.stop();
  }
});

it('fails a mutation in flight when the socket drops, retryably, and does not send it again on the next socket', async () => {
  // A graphql-transport-ws server that acknowledges, takes the first subscribe and never answers it, then
  // drops that socket; every subscribe it receives later is counted.
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    handleProtocols: () => 'graphql-transport-ws',
  });
  const subscribes: number[] = [];
  let connections = 0;
  wss.on('connection', (socket) => {
    connections += 1;
    const connection = connections;
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string };
      if (message.type === 'connection_init') socket.send(JSON.stringify({ type: 'connection_ack' }));
      if (message.type !== 'subscribe') return;
      subscribes.push(connection);
      if (connection === 1) setTimeout(() => socket.terminate(), 50);
    });
  });
  await new Promise((r) => wss.once('listening', r));
  const { port } = wss.address() as AddressInfo;
  const sdk = createClient({
    url: `http://127.0.0.1:${port}/graphql`,
    transport: 'ws',
    webSocketImpl: WebSocket,
    retry: false,
    ws: { retryWait: () => new Promise((r) => setTimeout(r, 25)) },
  });
  try {
    const failed = await sdk.reportMetrics(report({ clientId: 'dropped' })).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(SdkError);
    expect(failed).toMatchObject({ kind: 'network', retryable: true });
    // A subscription reconnects the socket; the mutation is not among what the new socket receives.
    const events = sdk.subscriptions.metricReported({ clientId: 'any' });
    void events.next().catch(() => undefined);
    await waitUntil(() => connections >= 2 && subscribes.filter((c) => c === 2).length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(subscribes).toEqual([1, 2]);
    await events.return?.();
  } finally {
    await sdk.close();
    await new Promise((r) => wss.close(r));
  }
});

async function waitUntil(check: () => boolean, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
