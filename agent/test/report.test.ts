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
    windows.add('network.rx', 1_000);
    windows.add('network.eth0.rx', 1_000);
    windows.add('disk.fsUsedRatio', 0.5);
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
});
