import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WindowAggregator } from '../src/aggregator.js';
import { significant, toReport } from '../src/report.js';

describe('a report', () => {
  it('carries 9 significant digits, and rounding keeps min <= mean <= max and the variance >= 0', () => {
    expect(significant(0.023996044405374433)).toBe(0.0239960444);
    expect(significant(785021610.6666666)).toBe(785021611);
    expect(significant(25276502016)).toBe(25276502000);
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e13, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (values) => {
          const windows = new WindowAggregator();
          for (const v of values) windows.add('memory.usedBytes', v);
          const stat = toReport({ clientId: 'x' }, { start: 0, end: 1 }, windows.close())?.memory?.usedBytes;
          if (!stat) return false;
          return stat.min <= stat.mean && stat.mean <= stat.max && stat.variance >= 0;
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('holds the groups that have series, and only those', () => {
    const windows = new WindowAggregator();
    windows.add('network.rxBytesPerSecond', 1_000);
    windows.add('network.eth0.rx', 1_000);
    windows.add('disk.filesystemUsedRatio', 0.5);
    const report = toReport({ clientId: 'x' }, { start: 0, end: 10_000 }, windows.close());
    expect(report).toEqual({
      clientId: 'x',
      windowStart: 0,
      windowEnd: 10_000,
      observations: 1,
      network: { rxBytesPerSecond: { mean: 1_000, variance: 0, min: 1_000, max: 1_000 } },
      disk: { filesystemUsedRatio: { mean: 0.5, variance: 0, min: 0.5, max: 0.5 } },
    });
  });

  it('is, for a window of every series, exactly the report the agent has always sent', () => {
    const windows = new WindowAggregator();
    const samples: Record<string, number[]> = {
      'cpu.utilization': [0.2, 0.4, 0.6],
      'cpu.cores.0': [0.1, 0.3, 0.5],
      'cpu.cores.1': [0.3, 0.5, 0.7],
      'memory.usedRatio': [0.25, 0.25, 0.25],
      'memory.usedBytes': [2e9, 2e9, 2e9],
      'memory.totalBytes': [8e9, 8e9, 8e9],
      'memory.swapUsedRatio': [0.25, 0.5, 0.25],
      'memory.swapUsedBytes': [2.5e8, 5e8, 2.5e8],
      'load.load1': [1.5, 1.5, 1.5],
      'load.load5': [1, 1, 1],
      'load.load15': [0.5, 0.5, 0.5],
      'network.rxBytesPerSecond': [1_000, 3_000],
      'network.txBytesPerSecond': [0, 0],
      'network.eth0.rx': [1_000, 3_000],
      'disk.readBytesPerSecond': [8_000],
      'disk.writeBytesPerSecond': [4_000],
      'disk.filesystemUsedRatio': [0.9, 0.9, 0.9],
    };
    for (const [series, values] of Object.entries(samples)) for (const v of values) windows.add(series, v);
    const report = toReport(
      { clientId: 'host-a', osType: 'Linux' },
      { start: 0, end: 3_000 },
      windows.close(),
    );
    const s = (mean: number, variance: number, min: number, max: number) => ({ mean, variance, min, max });
    const third = 0.0266666667; // 0.08 / 3 to 9 significant digits
    // Byte for byte, the groups in report order and each group's fields in catalogue order.
    expect(JSON.stringify(report)).toBe(
      JSON.stringify({
        clientId: 'host-a',
        osType: 'Linux',
        windowStart: 0,
        windowEnd: 3_000,
        observations: 3,
        cpu: {
          utilization: s(0.4, third, 0.2, 0.6),
          cores: [s(0.3, third, 0.1, 0.5), s(0.5, third, 0.3, 0.7)],
        },
        memory: {
          usedRatio: s(0.25, 0, 0.25, 0.25),
          usedBytes: s(2e9, 0, 2e9, 2e9),
          totalBytes: 8e9,
          swapUsedRatio: s(0.333333333, 0.0138888889, 0.25, 0.5),
          swapUsedBytes: s(333333333, 1.38888889e16, 2.5e8, 5e8),
        },
        load: { load1: s(1.5, 0, 1.5, 1.5), load5: s(1, 0, 1, 1), load15: s(0.5, 0, 0.5, 0.5) },
        network: { rxBytesPerSecond: s(2_000, 1e6, 1_000, 3_000), txBytesPerSecond: s(0, 0, 0, 0) },
        disk: {
          readBytesPerSecond: s(8_000, 0, 8_000, 8_000),
          writeBytesPerSecond: s(4_000, 0, 4_000, 4_000),
          filesystemUsedRatio: s(0.9, 0, 0.9, 0.9),
        },
      }),
    );
  });

  it('sends the CPU group only with its overall utilisation, which the API requires', () => {
    const windows = new WindowAggregator();
    windows.add('cpu.cores.0', 0.5);
    windows.add('load.load1', 1);
    expect(toReport({ clientId: 'x' }, { start: 0, end: 1 }, windows.close())).not.toHaveProperty('cpu');
    windows.add('cpu.utilization', 0.5);
    expect(toReport({ clientId: 'x' }, { start: 0, end: 1 }, windows.close())?.cpu).toEqual({
      utilization: { mean: 0.5, variance: 0, min: 0.5, max: 0.5 },
      cores: [],
    });
  });
});
