import { getIntrospectionQuery } from 'graphql';
import { describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput, rootVersion } from '../../../testing/fixtures.js';
import { graphql, rawRequest, startTestApp } from '../helpers.js';
import { getOriginal, HISTORY, postOriginal, range, server } from './setup.js';

// GraphQL: network and disk series, the catalogue, persistence across a restart, GraphiQL and the probes.

describe('GraphQL', () => {
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
    expect((await rawRequest(`${url}/health`)).json).toEqual({ status: 'ok', version: rootVersion });
    expect((await rawRequest(`${url}/ready`)).json).toEqual({ status: 'ready' });
  });
});
