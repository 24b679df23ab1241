import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MUTATION, reportInput } from '../../testing/fixtures.js';
import { graphql, startTestServer, type TestServer } from './helpers.js';
import { collect, wsClient } from './ws-helpers.js';

const METRIC_REPORTED = `subscription ($clientId: ID) {
  metricReported(clientId: $clientId) { clientId windowStart windowEnd observations stats { metric core count mean } }
}`;

describe('metricReported over graphql-ws', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv.stop());

  it("delivers exactly the subscribed client's report, as stored; another client's subscriber gets nothing", async () => {
    const client = wsClient(srv.url);
    const mine = collect(client, METRIC_REPORTED, { clientId: 'ws-a' });
    const others = collect(client, METRIC_REPORTED, { clientId: 'ws-nobody' });
    const all = collect(client, METRIC_REPORTED);
    // The three are subscribed in order on one socket: once the last one sees a report, all are live.
    for (let i = 0; all.events.length === 0; i += 1) {
      const warm = reportInput({ clientId: 'ws-warm', windowStart: 1_000 * i, windowEnd: 1_000 * i + 500 });
      expect((await graphql(srv.url, REPORT_MUTATION, { input: warm })).body.errors).toBeUndefined();
      await new Promise((r) => setTimeout(r, 20));
    }
    const warmed = all.events.length;
    for (const clientId of ['ws-b', 'ws-a']) {
      const res = await graphql(srv.url, REPORT_MUTATION, { input: reportInput({ clientId }) });
      expect(res.body.errors).toBeUndefined();
    }
    await mine.until(1);
    await all.until(warmed + 2);
    expect(mine.events).toHaveLength(1);
    const event = mine.events[0].metricReported;
    expect(event).toMatchObject({
      clientId: 'ws-a',
      windowStart: '2026-01-01T00:00:00.000Z',
      windowEnd: '2026-01-01T00:00:10.000Z',
      observations: 10,
    });
    expect(event.stats).toContainEqual({ metric: 'CPU_UTILIZATION', core: null, count: 10, mean: 0.5 });
    expect(event.stats).toContainEqual({ metric: 'CPU_CORE_UTILIZATION', core: 1, count: 10, mean: 0.6 });
    expect(all.events.slice(warmed).map((e) => e.metricReported.clientId)).toEqual(['ws-b', 'ws-a']);
    expect(others.events).toEqual([]);
    for (const s of [mine, others, all]) s.close();
    await client.dispose();
  });
});

describe('queries and mutations over graphql-ws', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv.stop());

  it('accepts reportMetrics over the socket (agents send their reports on their command socket)', async () => {
    const client = wsClient(srv.url);
    const result = await new Promise<any>((resolve, reject) => {
      let value: unknown;
      client.subscribe(
        { query: REPORT_MUTATION, variables: { input: reportInput({ clientId: 'ws-mutation' }) } },
        { next: (v) => (value = v), error: reject, complete: () => resolve(value) },
      );
    });
    expect(result.errors).toBeUndefined();
    expect(result.data.reportMetrics).toMatchObject({ clientId: 'ws-mutation', points: 11 });
    const stored = await graphql(srv.url, '{ client(id: "ws-mutation") { id } }');
    expect(stored.body.data.client).toEqual({ id: 'ws-mutation' });
    await client.dispose();
  });
});
