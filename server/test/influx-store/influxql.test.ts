import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { createInfluxMetricStore, type InfluxMetricStore } from '../../src/metrics/influx/store.js';
import { graphql, rawRequest, startTestServer, type TestServer } from '../helpers.js';
import { available, influxd, nextDatabase, startInfluxdForFile, T0 } from './setup.js';

startInfluxdForFile();

describe.skipIf(!available)('InfluxQL injection', () => {
  let srv: TestServer;
  let store: InfluxMetricStore;
  const sent: string[] = [];
  const database = () => `inj${process.pid}`;

  beforeAll(async () => {
    store = createInfluxMetricStore({
      url: influxd.url,
      api: 'v1',
      database: database(),
      retention: null,
      onQuery: (q) => sent.push(q),
    });
    srv = await startTestServer({ metrics: store });
    const res = await graphql(srv.url, REPORT_MUTATION, { input: reportInput({ clientId: 'victim' }) });
    expect(res.body.errors).toBeUndefined();
  });
  afterAll(() => srv?.stop());

  const crafted = [
    "x' OR \"client_id\" =~ /.*/ OR 'a'='a",
    '\'; DROP DATABASE "inj"; SELECT \'',
    "x\\' OR 1=1 --",
    'x" FROM "memory',
    "victim'",
    "\\'; DROP MEASUREMENT cpu; --",
  ];

  const history = (clientId: string) =>
    graphql(
      srv.url,
      `query ($c: ID) { metricHistory(metric: CPU_UTILIZATION, clientId: $c, from: "2025-12-31T00:00:00Z", to: "2026-01-02T00:00:00Z") { points { value } } }`,
      { c: clientId },
    );

  it.each(crafted)('a crafted client id stays one string literal: %s', async (clientId) => {
    sent.length = 0;
    expect((await history('x')).body).toEqual({ data: { metricHistory: { points: [] } } });
    const harmless = [...sent];
    expect(harmless).toHaveLength(1);
    expect(harmless[0]).toContain(`"client_id" = 'x'`);

    sent.length = 0;
    expect((await history(clientId)).body).toEqual({ data: { metricHistory: { points: [] } } });
    if (clientId.includes('\\')) {
      // No stored id has a backslash (ingest refuses them): answered without sending anything.
      expect(sent).toEqual([]);
    } else {
      // The literal, escaped, is the only difference from the harmless statement.
      const literal = `'${clientId.replace(/[\\']/g, (c) => `\\${c}`)}'`;
      expect(sent).toHaveLength(1);
      expect(sent[0]?.replace(literal, "'x'")).toBe(harmless[0]);
    }
    // The victim's window is still there, reachable by its own id only.
    expect((await history('victim')).body.data.metricHistory.points).toHaveLength(1);
  });

  it('a crafted metric name or duration is refused before any InfluxQL is sent', async () => {
    sent.length = 0;
    const restMetric = await rawRequest(
      `${srv.url}/api/v1/metrics/${encodeURIComponent('cpuLoadAvg" FROM "memory')}/byUser/victim?start=0&end=1&resample_rate=15m`,
    );
    expect(restMetric.status).toBe(404);
    expect(restMetric.json).toMatchObject({ code: 'UNKNOWN_METRIC' });
    const restDuration = await rawRequest(
      `${srv.url}/api/v1/metrics/cpuLoadAvg/byUser/victim?start=0&end=1&resample_rate=${encodeURIComponent('15m) fill(linear); DROP DATABASE x; --')}`,
    );
    expect(restDuration.status).toBe(400);
    expect(restDuration.json).toMatchObject({ code: 'INVALID_DURATION' });
    const gqlMetric = await graphql(
      srv.url,
      '{ metricHistory(metric: "CPU_UTILIZATION\\" OR 1=1") { points { value } } }',
    );
    expect(gqlMetric.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const gqlDuration = await graphql(
      srv.url,
      'query ($r: Duration) { metricHistory(metric: CPU_UTILIZATION, resample: $r) { points { value } } }',
      { r: '1m) fill(none); DROP DATABASE x' },
    );
    expect(gqlDuration.body.errors?.[0]?.extensions?.code).toBe('INVALID_DURATION');
    expect(sent).toEqual([]);
  });
});

describe.skipIf(!available)('InfluxQL plan', () => {
  it('pools with one flat statement, and adds one shifted pass only where Σx²/N − M² would cancel', async () => {
    const sent: string[] = [];
    const store = createInfluxMetricStore({
      url: influxd.url,
      api: 'v1',
      database: nextDatabase(),
      retention: null,
      onQuery: (q) => sent.push(q),
    });
    try {
      const window = (metric: 'CPU_UTILIZATION' | 'MEMORY_USED_BYTES', i: number, mean: number) => ({
        clientId: 'a',
        metric,
        core: null,
        windowStart: T0 + i * 10_000,
        windowEnd: T0 + (i + 1) * 10_000,
        count: 10,
        mean,
        variance: 0.5,
        min: mean - 1,
        max: mean + 1,
      });
      await store.write([
        ...[0.2, 0.4, 0.6].map((m, i) => window('CPU_UTILIZATION', i, m / 4)),
        ...[1, 2, 3].map((d, i) => window('MEMORY_USED_BYTES', i, 8e12 + d)),
      ]);
      const selector = { clientId: 'a', core: null, from: T0, to: T0 + 60_000 };
      sent.length = 0;
      const [cpu] = await store.history({ ...selector, metric: 'CPU_UTILIZATION' }, 60_000, 'MEAN');
      expect(sent).toHaveLength(1);
      expect(sent[0]).not.toContain('FROM (');
      expect(cpu?.variance).toBeCloseTo(0.5 + (0.05 ** 2 * 2) / 3, 12);

      sent.length = 0;
      const [bytes] = await store.history({ ...selector, metric: 'MEMORY_USED_BYTES' }, 60_000, 'MEAN');
      expect(sent).toHaveLength(2);
      expect(sent[1]).toContain('FROM (');
      // Within-window 0.5, between windows ((−1)² + 0² + 1²) / 3: exact despite means near 8e12.
      expect(bytes?.variance).toBeCloseTo(0.5 + 2 / 3, 9);
      expect(bytes?.mean).toBe(8e12 + 2);
    } finally {
      await store.close();
    }
  });
});
