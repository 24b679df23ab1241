import { getIntrospectionQuery } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../testing/fixtures.js';
import { graphql, rawRequest, startTestApp, type TestApp } from './helpers.js';

// The REST shims and GraphQL, in-process: no test here depends on the socket.
const servers: TestApp[] = [];
async function server(options?: Parameters<typeof startTestApp>[0]) {
  const started = await startTestApp(options);
  servers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const postOriginal = (url: string, body: unknown = originalReport) =>
  rawRequest(`${url}/api/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const getOriginal = (url: string, metric: string, user: string, body: unknown, query = '') =>
  rawRequest(`${url}/api/v1/metrics/${metric}/byUser/${user}${query}`, {
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const range = { start: '2018-07-12T12:15:00Z', end: '2018-07-12T16:15:00Z', resample_rate: '15m' };

describe('REST v1, as the original service answered', () => {
  it.each([
    ['cpuLoadAvg', 0.2148631642976225],
    ['cpuLoadVar', 0.005718669350831782],
    ['cpuCoreLoadAvgMax', 0.24848360030511063],
    ['cpuCoreLoadAvgMin', 0.18310711960197185],
    ['cpuCoreLoadVarMax', 0.0033936742208834853],
    ['cpuCoreLoadMinMin', 4.7853845483180853e-4],
  ])('%s gives one 15 m bucket holding the one report', async (metric, value) => {
    const { url } = await server();
    const post = await postOriginal(url);
    expect(post.status).toBe(200);
    expect(post.text).toBe('');
    const get = await getOriginal(url, metric, originalReport.user_id, range);
    expect(get.status).toBe(200);
    expect(get.json).toEqual({ entries: [{ date: '2018-07-12T13:30:00.000Z', value }] });
  });

  it('filters by user (the original averaged all users) and answers an empty range with no entries', async () => {
    const { url } = await server();
    await postOriginal(url);
    await postOriginal(url, {
      ...originalReport,
      user_id: 'someone-else',
      metrics: [{ ...originalReport.metrics[0], avg_utilization: 0.9 }],
    });
    const mine = await getOriginal(url, 'cpuLoadAvg', originalReport.user_id, range);
    expect(mine.json).toEqual({ entries: [{ date: '2018-07-12T13:30:00.000Z', value: 0.2148631642976225 }] });
    const theirs = await getOriginal(url, 'cpuLoadAvg', 'someone-else', range);
    expect(theirs.json).toEqual({ entries: [{ date: '2018-07-12T13:30:00.000Z', value: 0.9 }] });
    const empty = await getOriginal(url, 'cpuLoadAvg', originalReport.user_id, {
      ...range,
      start: '2019-01-01T00:00:00Z',
      end: '2019-01-02T00:00:00Z',
    });
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual({ entries: [] });
  });

  it('ignores network and disk keys in the original body: the 2018 format carries CPU only', async () => {
    const { url } = await server();
    const post = await postOriginal(url, {
      ...originalReport,
      network: { rxBytesPerSecond: { mean: -1, variance: 0, min: -1, max: -1 } },
      disk: { filesystemUsedRatio: 1.5 },
    });
    expect(post.status).toBe(200);
    const history = await graphql(
      url,
      `{ metricHistory(metric: NETWORK_RX_BYTES_PER_SECOND, from: "2018-07-12T00:00:00Z", to: "2018-07-13T00:00:00Z") { points { value } } }`,
    );
    expect(history.body).toEqual({ data: { metricHistory: { points: [] } } });
  });

  it('takes the range from query parameters too, with epoch-ms times', async () => {
    const { url } = await server();
    await postOriginal(url);
    const query = `?start=${Date.parse(range.start)}&end=${encodeURIComponent(range.end)}&resample_rate=1h`;
    const get = await getOriginal(
      url,
      'cpuLoadAvg',
      encodeURIComponent(originalReport.user_id),
      undefined,
      query,
    );
    expect(get.status).toBe(200);
    expect(get.json).toEqual({ entries: [{ date: '2018-07-12T13:00:00.000Z', value: 0.2148631642976225 }] });
  });

  it('does not answer 200 when the store cannot commit: 503, Retry-After, nothing acknowledged', async () => {
    const srv = await server();
    await srv.app.metrics.close();
    const post = await postOriginal(srv.url);
    expect(post.status).toBe(503);
    expect(post.headers['retry-after']).toBe('5');
    expect(post.json).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    const gql = await graphql(srv.url, REPORT_MUTATION, { input: reportInput() });
    expect(gql.body.errors?.[0]?.extensions).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      retryable: true,
      outcome: 'NOT_STORED',
    });
    expect(gql.body.errors?.[0]?.message).toMatch(/nothing was stored/);
    expect(gql.body.data).toBeNull();
    const ready = await rawRequest(`${srv.url}/ready`);
    expect(ready.status).toBe(503);
  });
});

const HISTORY = `query History($clientId: ID, $metric: Metric!, $from: DateTime, $to: DateTime, $resample: Duration,
  $aggregate: Aggregate, $fill: Fill, $core: Int) {
  metricHistory(clientId: $clientId, metric: $metric, from: $from, to: $to, resample: $resample,
    aggregate: $aggregate, fill: $fill, core: $core) {
    metric clientId resample aggregate fill points { time value count mean variance min max }
  }
}`;

describe('GraphQL', () => {
  it('gives the REST data back through metricHistory', async () => {
    const { url } = await server();
    await postOriginal(url);
    const { body } = await graphql(url, HISTORY, {
      clientId: originalReport.user_id,
      metric: 'CPU_UTILIZATION',
      from: range.start,
      to: range.end,
      resample: '15m',
    });
    expect(body.errors).toBeUndefined();
    expect(body.data.metricHistory).toEqual({
      metric: 'CPU_UTILIZATION',
      clientId: originalReport.user_id,
      resample: '15m',
      aggregate: 'MEAN',
      fill: 'NONE',
      points: [
        {
          time: '2018-07-12T13:30:00.000Z',
          value: 0.2148631642976225,
          count: 100,
          mean: 0.2148631642976225,
          variance: 0.005718669350831782,
          min: 0.2148631642976225,
          max: 0.2148631642976225,
        },
      ],
    });
  });

  it('acknowledges a report, registers its client, and serves every aggregate and fill', async () => {
    const { url } = await server();
    const minute = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString();
    // Windows at minutes 0, 1 and 4 of a 5-minute range: buckets 2 and 3 are empty.
    for (const [m, mean] of [
      [0, 0.2],
      [1, 0.4],
      [4, 0.8],
    ] as const) {
      const ack = await graphql(url, REPORT_MUTATION, {
        input: reportInput({
          windowStart: minute(m),
          windowEnd: Date.parse(minute(m)) + 10_000,
          cpu: { utilization: { mean, variance: 0, min: mean - 0.1, max: mean + 0.1 } },
        }),
      });
      expect(ack.body.errors).toBeUndefined();
      expect(ack.body.data.reportMetrics).toMatchObject({
        clientId: 'host-a',
        windowStart: minute(m),
        points: 5,
      });
    }
    const run = async (aggregate: string, fill: string) => {
      const { body } = await graphql(url, HISTORY, {
        clientId: 'host-a',
        metric: 'CPU_UTILIZATION',
        from: minute(0),
        to: minute(5),
        resample: '1m',
        aggregate,
        fill,
      });
      expect(body.errors).toBeUndefined();
      return body.data.metricHistory.points.map((p: { value: number | null }) =>
        p.value === null ? null : Math.round(p.value * 1000) / 1000,
      );
    };
    expect(await run('MEAN', 'NONE')).toEqual([0.2, 0.4, 0.8]);
    expect(await run('MEAN', 'NULL')).toEqual([0.2, 0.4, null, null, 0.8]);
    expect(await run('MEAN', 'ZERO')).toEqual([0.2, 0.4, 0, 0, 0.8]);
    expect(await run('MEAN', 'PREVIOUS')).toEqual([0.2, 0.4, 0.4, 0.4, 0.8]);
    expect(await run('MEAN', 'LINEAR')).toEqual([0.2, 0.4, 0.533, 0.667, 0.8]);
    expect(await run('MIN', 'NONE')).toEqual([0.1, 0.3, 0.7]);
    expect(await run('MAX', 'NONE')).toEqual([0.3, 0.5, 0.9]);
    expect(await run('COUNT', 'NONE')).toEqual([10, 10, 10]);
    for (const aggregate of ['MEDIAN', 'P90', 'P95', 'P99', 'LAST']) {
      expect(await run(aggregate, 'NONE')).toEqual([0.2, 0.4, 0.8]);
    }

    const clients = await graphql(
      url,
      '{ clients { id hostname osType osVersion coreCount firstSeen lastSeen } }',
    );
    expect(clients.body.data.clients).toEqual([
      {
        id: 'host-a',
        hostname: 'a.example',
        osType: 'Linux',
        osVersion: '6.1',
        coreCount: null,
        firstSeen: '2026-01-01T00:00:10.000Z',
        lastSeen: '2026-01-01T00:04:10.000Z',
      },
    ]);
    const one = await graphql(url, 'query($id: ID!) { client(id: $id) { id } }', { id: 'host-a' });
    expect(one.body.data.client).toEqual({ id: 'host-a' });
    const none = await graphql(url, 'query($id: ID!) { client(id: $id) { id } }', { id: 'nobody' });
    expect(none.body.data.client).toBeNull();
  });

  it('pools all clients when clientId is null, reaches per-core series, and summarizes the fleet', async () => {
    const { url } = await server();
    for (const [clientId, mean] of [
      ['a', 0.2],
      ['b', 0.6],
    ] as const) {
      const ack = await graphql(url, REPORT_MUTATION, {
        input: reportInput({
          clientId,
          cpu: {
            utilization: { mean, variance: 0, min: mean, max: mean },
            cores: [
              { mean: mean - 0.1, variance: 0.01, min: 0, max: 1 },
              { mean: mean + 0.1, variance: 0.02, min: 0, max: 1 },
            ],
          },
        }),
      });
      expect(ack.body.errors).toBeUndefined();
    }
    const from = '2026-01-01T00:00:00Z';
    const to = '2026-01-01T01:00:00Z';
    const value = async (variables: Record<string, unknown>) => {
      const { body } = await graphql(url, HISTORY, { from, to, resample: '1h', ...variables });
      expect(body.errors).toBeUndefined();
      return body.data.metricHistory.points[0]?.value;
    };
    expect(await value({ metric: 'CPU_UTILIZATION', clientId: null })).toBeCloseTo(0.4, 12);
    expect(await value({ metric: 'CPU_CORE_UTILIZATION', clientId: 'b', core: 1 })).toBeCloseTo(0.7, 12);
    expect(await value({ metric: 'CPU_CORE_UTILIZATION_MAX', clientId: 'a' })).toBeCloseTo(0.3, 12);
    expect(await value({ metric: 'CPU_CORE_VARIANCE_MIN', clientId: 'a' })).toBeCloseTo(0.01, 12);
    expect(await value({ metric: 'MEMORY_USED_BYTES', clientId: 'a' })).toBe(4e9);
    expect(await value({ metric: 'LOAD_1', clientId: 'a' })).toBe(1.5);

    const fleet = await graphql(
      url,
      `query($from: DateTime, $to: DateTime) {
        fleetSummary(metric: CPU_UTILIZATION, from: $from, to: $to) { clientId value client { id coreCount } }
      }`,
      { from, to },
    );
    expect(fleet.body.data.fleetSummary).toEqual([
      { clientId: 'a', value: 0.2, client: { id: 'a', coreCount: 2 } },
      { clientId: 'b', value: 0.6, client: { id: 'b', coreCount: 2 } },
    ]);
  });

  it('stores network and disk windows and serves their history and fleet summary', async () => {
    const { url } = await server();
    const rate = (mean: number, spread: number) => ({
      mean,
      variance: (spread / 2) ** 2,
      min: mean - spread,
      max: mean + spread,
    });
    for (const [clientId, observations, rx, used] of [
      ['a', 10, 1.2e6, 0.42],
      ['b', 30, 2.4e6, 0.9],
    ] as const) {
      const ack = await graphql(url, REPORT_MUTATION, {
        input: reportInput({
          clientId,
          observations,
          network: { rxBytesPerSecond: rate(rx, 2e5), txBytesPerSecond: rate(3.4e5, 1e5) },
          disk: {
            readBytesPerSecond: rate(0, 0),
            writeBytesPerSecond: rate(8e5, 4e5),
            filesystemUsedRatio: { mean: used, variance: 0, min: used, max: used },
          },
        }),
      });
      expect(ack.body.errors).toBeUndefined();
      // The helpers' 11 series (CPU overall, 2 cores, 4 core extremes, 3 memory, load1) and 5 new ones.
      expect(ack.body.data.reportMetrics.points).toBe(11 + 5);
    }
    const from = '2026-01-01T00:00:00Z';
    const to = '2026-01-01T01:00:00Z';
    const point = async (variables: Record<string, unknown>) => {
      const { body } = await graphql(url, HISTORY, { from, to, resample: '1h', ...variables });
      expect(body.errors).toBeUndefined();
      return body.data.metricHistory.points[0];
    };
    expect(await point({ metric: 'NETWORK_RX_BYTES_PER_SECOND', clientId: 'a' })).toMatchObject({
      value: 1.2e6,
      count: 10,
      variance: 1e10,
      min: 1e6,
      max: 1.4e6,
    });
    // Pooled over both clients: weighted by observations, the variance including the spread between them.
    const pooled = await point({ metric: 'NETWORK_RX_BYTES_PER_SECOND', clientId: null });
    expect(pooled.count).toBe(40);
    expect(pooled.value).toBeCloseTo((1.2e6 * 10 + 2.4e6 * 30) / 40, 6);
    expect(pooled.variance).toBeCloseTo(1e10 + (10 * 0.9e6 ** 2 + 30 * 0.3e6 ** 2) / 40, 0);
    expect(await point({ metric: 'NETWORK_TX_BYTES_PER_SECOND', clientId: 'b' })).toMatchObject({
      value: 3.4e5,
    });
    expect(
      await point({ metric: 'DISK_READ_BYTES_PER_SECOND', clientId: null, aggregate: 'MAX' }),
    ).toMatchObject({ value: 0 });
    expect(
      await point({ metric: 'DISK_WRITE_BYTES_PER_SECOND', clientId: null, aggregate: 'MAX' }),
    ).toMatchObject({ value: 1.2e6 });

    const fleet = await graphql(
      url,
      `query($from: DateTime, $to: DateTime) {
        fleetSummary(metric: FILESYSTEM_USED_RATIO, from: $from, to: $to, aggregate: MAX) { clientId value count }
      }`,
      { from, to },
    );
    expect(fleet.body.errors).toBeUndefined();
    expect(fleet.body.data.fleetSummary).toEqual([
      { clientId: 'a', value: 0.42, count: 10 },
      { clientId: 'b', value: 0.9, count: 30 },
    ]);
  });

  it('lists the metric catalogue', async () => {
    const { url } = await server();
    const { body } = await graphql(url, '{ metrics { metric kind unit perCore description } }');
    const names = body.data.metrics.map((m: { metric: string }) => m.metric);
    expect(names).toContain('CPU_UTILIZATION');
    expect(
      body.data.metrics.find((m: { metric: string }) => m.metric === 'CPU_CORE_UTILIZATION'),
    ).toMatchObject({
      kind: 'cpu',
      unit: 'ratio',
      perCore: true,
    });
    const entry = (name: string) => body.data.metrics.find((m: { metric: string }) => m.metric === name);
    for (const [name, kind, unit] of [
      ['NETWORK_RX_BYTES_PER_SECOND', 'network', 'bytes/s'],
      ['NETWORK_TX_BYTES_PER_SECOND', 'network', 'bytes/s'],
      ['DISK_READ_BYTES_PER_SECOND', 'disk', 'bytes/s'],
      ['DISK_WRITE_BYTES_PER_SECOND', 'disk', 'bytes/s'],
      ['FILESYSTEM_USED_RATIO', 'disk', 'ratio'],
    ]) {
      expect(entry(name as string)).toMatchObject({
        kind,
        unit,
        perCore: false,
        description: expect.any(String),
      });
    }
    expect(entry('NETWORK_RX_BYTES_PER_SECOND').description).toMatch(/physical interfaces/);
  });

  it('keeps data across a server restart', async () => {
    const first = await startTestApp();
    await postOriginal(first.url);
    await graphql(first.url, REPORT_MUTATION, { input: reportInput() });
    await first.stop({ keepData: true });
    const second = await server({ dataDir: first.dataDir });
    const get = await getOriginal(second.url, 'cpuLoadAvg', originalReport.user_id, range);
    expect(get.json).toEqual({ entries: [{ date: '2018-07-12T13:30:00.000Z', value: 0.2148631642976225 }] });
    const clients = await graphql(second.url, '{ clients { id } }');
    expect(clients.body.data.clients.map((c: { id: string }) => c.id)).toEqual([
      '6a:d6:96:d3:45:35',
      'host-a',
    ]);
  });

  it("answers GraphiQL's introspection query within the query limits", async () => {
    const { url } = await server();
    const { status, body } = await graphql(url, getIntrospectionQuery());
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.__schema.types.map((t: { name: string }) => t.name)).toContain('ReportMetricsInput');
  });

  it('serves GraphiQL, /health and /ready', async () => {
    const { url } = await server();
    const page = await rawRequest(`${url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('GraphiQL');
    expect((await rawRequest(`${url}/health`)).json).toEqual({ status: 'ok' });
    expect((await rawRequest(`${url}/ready`)).json).toEqual({ status: 'ready' });
  });
});
