import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../../server/test/helpers.js';
import { createClient } from '../src/index.js';
import { nextMatching, report } from './helpers.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv?.stop();
});

it('close() ends open subscriptions and refuses new requests', async () => {
  const sdk = createClient({ url: `${srv.url}/graphql`, webSocketImpl: WebSocket });
  const reports = sdk.subscriptions.metricReported({ clientId: 'close' });
  await nextMatching(
    reports,
    () => sdk.reportMetrics(report({ clientId: 'close' })),
    () => true,
  );
  const pending = reports.next();
  await sdk.close();
  expect(await pending).toEqual({ done: true, value: undefined });
  await expect(sdk.clients()).rejects.toMatchObject({
    name: 'SdkError',
    kind: 'network',
    message: 'The client is closed.',
  });
  expect(() => sdk.subscriptions.alertEvents()).toThrow('The client is closed.');
});
