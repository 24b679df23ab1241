import { describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { graphql } from '../helpers.js';
import { HISTORY, postOriginal, range, server } from './setup.js';

// GraphQL's reads of history: what REST and reportMetrics stored, every aggregate and fill, pooled clients.

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
});
