import { catalogue, type MetricSpec } from '@metrics-collector/common/catalogue';
import { createClient } from '@metrics-collector/sdk/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/test/helpers.js';
import { WindowAggregator } from '../src/aggregator.js';
import {
  cpuCollector,
  loadCollector,
  memoryCollector,
  sample,
  systemCollectors,
} from '../src/collectors/index.js';
import { toReport } from '../src/report.js';

/**
 * Fake sources. The CPU's counters advance by 100 ticks per core and call, busy for 10 %/30 %, then
 * 30 %/50 %, then 50 %/70 % of them (20, 40, 60 % over both cores), round and round.
 */
function fakes() {
  const loads = [
    [10, 30],
    [30, 50],
    [50, 70],
  ];
  const mem = { total: 8e9, active: 2e9, swaptotal: 1e9, swapused: 2.5e8 };
  let calls = 0;
  const cores: [{ busy: number; idle: number }, { busy: number; idle: number }] = [
    { busy: 0, idle: 0 },
    { busy: 0, idle: 0 },
  ];
  return {
    cpu: {
      times: async () => {
        if (calls > 0) {
          for (const [n, core] of cores.entries()) {
            const busy = (loads[(calls - 1) % loads.length] as number[])[n] as number;
            core.busy += busy;
            core.idle += 100 - busy;
          }
        }
        calls += 1;
        const total = { busy: cores[0].busy + cores[1].busy, idle: cores[0].idle + cores[1].idle };
        return { total, cores: cores.map((c) => ({ ...c })) };
      },
    },
    memory: { mem: async () => mem },
    load: { loadavg: () => [1.5, 1, 0.5] },
  };
}

/** A CPU collector that has taken its first reading (which gives no values: it has nothing to compare with). */
async function primedCpu(source: ReturnType<typeof fakes>['cpu']) {
  const collector = cpuCollector(source);
  expect(await collector.collect()).toEqual({});
  return collector;
}

describe('collectors', () => {
  it('turn readings into series, and a window into a report', async () => {
    const sources = fakes();
    const collectors = [
      await primedCpu(sources.cpu),
      memoryCollector(sources.memory),
      loadCollector(sources.load),
    ];
    const windows = new WindowAggregator();
    const errors: string[] = [];
    for (let k = 0; k < 3; k += 1) await sample(collectors, windows, (name) => errors.push(name));
    expect(errors).toEqual([]);
    const report = toReport({ clientId: 'agent-test' }, { start: 0, end: 3_000 }, windows.close());
    expect(report?.observations).toBe(3);
    expect(report?.cpu?.utilization).toEqual({
      mean: expect.closeTo(0.4, 9),
      variance: expect.closeTo(0.08 / 3, 9),
      min: 0.2,
      max: 0.6,
    });
    expect(report?.cpu?.cores?.map((c) => c.mean)).toEqual([expect.closeTo(0.3, 9), expect.closeTo(0.5, 9)]);
    expect(report?.memory).toMatchObject({
      usedRatio: { mean: 0.25 },
      totalBytes: 8e9,
      swapUsedRatio: { mean: 0.25 },
    });
    expect(report?.load?.load15).toEqual({ mean: 0.5, variance: 0, min: 0.5, max: 0.5 });
  });

  it('skip a failing collector for that sample and go on with the others', async () => {
    const sources = fakes();
    let calls = 0;
    const flaky = {
      name: 'memory',
      collect: async () => {
        calls += 1;
        if (calls === 2) throw new Error('no /proc/meminfo');
        return memoryCollector(sources.memory).collect();
      },
    };
    const windows = new WindowAggregator();
    const errors: string[] = [];
    for (let k = 0; k < 3; k += 1) {
      await sample([await primedCpu(sources.cpu), flaky], windows, (name, error) =>
        errors.push(`${name}: ${(error as Error).message}`),
      );
    }
    const closed = windows.close();
    expect(errors).toEqual(['memory: no /proc/meminfo']);
    expect(closed.get('cpu.utilization')?.count).toBe(3);
    expect(closed.get('memory.usedBytes')?.count).toBe(2);
    expect(toReport({ clientId: 'x' }, { start: 0, end: 1 }, new Map())).toBeNull();
  });

  it('read this machine through systeminformation, /proc and statfs', async () => {
    const collectors = systemCollectors();
    expect(collectors.map((c) => c.name)).toEqual(['cpu', 'memory', 'load', 'network', 'disk']);
    const windows = new WindowAggregator();
    const errors: unknown[] = [];
    for (let k = 0; k < 2; k += 1) {
      await sample(collectors, windows, (_name, error) => errors.push(error));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(errors).toEqual([]);
    const closed = windows.close();
    for (const series of [
      'cpu.utilization',
      'cpu.cores.0',
      'memory.usedRatio',
      'load.load1',
      'disk.filesystemUsedRatio',
    ])
      expect(closed.has(series)).toBe(true);
    // Every value is named by a catalogue series' input path (per core `<path>.<n>`), or stays on the host.
    const paths = Object.values(catalogue as Record<string, MetricSpec>).flatMap((spec) =>
      spec.input ? [spec.perCore ? `${spec.input.path}.` : spec.input.path] : [],
    );
    for (const series of closed.keys()) {
      const named = paths.some((p) =>
        p.endsWith('.') ? /^\d+$/.test(series.slice(p.length)) && series.startsWith(p) : series === p,
      );
      expect({ series, named: named || /^network\..+\.(rx|tx)$/.test(series) }).toEqual({
        series,
        named: true,
      });
    }
    expect(closed.get('cpu.utilization')?.max).toBeLessThanOrEqual(1);
    expect(closed.get('memory.usedRatio')?.max).toBeGreaterThan(0);
    const fs = closed.get('disk.filesystemUsedRatio');
    expect(fs?.min).toBeGreaterThan(0);
    expect(fs?.max).toBeLessThanOrEqual(1);
    // Rates need two samples: the second one gives them.
    expect(closed.get('disk.readBytesPerSecond')?.count).toBe(1);
    expect(closed.get('disk.readBytesPerSecond')?.min).toBeGreaterThanOrEqual(0);
  });
});

describe('a window reported through the SDK', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv.stop());

  it('is accepted by the server and reads back as sampled', async () => {
    const sources = fakes();
    const windows = new WindowAggregator();
    const collectors = [
      await primedCpu(sources.cpu),
      memoryCollector(sources.memory),
      loadCollector(sources.load),
    ];
    for (let k = 0; k < 3; k += 1) await sample(collectors, windows, () => {});
    const start = Date.UTC(2026, 0, 1);
    const report = toReport(
      { clientId: 'agent-e2e', osType: 'Linux' },
      { start, end: start + 10_000 },
      windows.close(),
    );
    const client = createClient({ url: `${srv.url}/graphql`, retry: false });
    try {
      const ack = await client.reportMetrics(report as NonNullable<typeof report>);
      expect(ack).toMatchObject({ clientId: 'agent-e2e' });
      const history = await client.metricHistory({
        metric: 'CPU_CORE_UTILIZATION',
        clientId: 'agent-e2e',
        core: 1,
        from: new Date(start).toISOString(),
        to: new Date(start + 60_000).toISOString(),
      });
      expect(history.points).toHaveLength(1);
      expect(history.points[0]).toMatchObject({ count: 3, min: 0.3, max: 0.7 });
      expect(history.points[0]?.mean).toBeCloseTo(0.5, 12);
    } finally {
      await client.close();
    }
  });
});
