import { expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer } from '../../server/test/helpers.js';
import { createClient } from '../src/index.js';
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
