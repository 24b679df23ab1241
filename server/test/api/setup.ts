import { afterEach } from 'vitest';
import { originalReport } from '../../../testing/fixtures.js';
import { rawRequest, startTestApp, type TestApp } from '../helpers.js';

// The REST shims and GraphQL, in-process: no test here depends on the socket.

const servers: TestApp[] = [];
/** Starts an app in-process; it stops after the test (in every test file that imports this module). */
export async function server(options?: Parameters<typeof startTestApp>[0]) {
  const started = await startTestApp(options);
  servers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

export const postOriginal = (url: string, body: unknown = originalReport) =>
  rawRequest(`${url}/api/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

export const getOriginal = (url: string, metric: string, user: string, body: unknown, query = '') =>
  rawRequest(`${url}/api/v1/metrics/${metric}/byUser/${user}${query}`, {
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

export const range = { start: '2018-07-12T12:15:00Z', end: '2018-07-12T16:15:00Z', resample_rate: '15m' };

export const HISTORY = `query History($clientId: ID, $metric: Metric!, $from: DateTime, $to: DateTime, $resample: Duration,
  $aggregate: Aggregate, $fill: Fill, $core: Int) {
  metricHistory(clientId: $clientId, metric: $metric, from: $from, to: $to, resample: $resample,
    aggregate: $aggregate, fill: $fill, core: $core) {
    metric clientId resample aggregate fill points { time value count mean variance min max }
  }
}`;
