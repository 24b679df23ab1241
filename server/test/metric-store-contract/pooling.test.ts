import type { Metric } from '@metrics-collector/common/catalogue';
import { expect, it } from 'vitest';
import { random } from '../helpers.js';
import { describeContract, MINUTE, type RawWindow, SECOND, select, T0, windowOf } from './contract.js';

describeContract((ctx) => {
  it('pools mean, variance, min, max and count per bucket exactly as a two-pass pass over the raw samples', async () => {
    const next = random(42);
    // 10 s windows starting off the minute grid, with 1..50 samples each, values spread over 0..1.
    const windows: RawWindow[] = [];
    for (let i = 0; i < 180; i += 1) {
      const n = 1 + Math.floor(next() * 50);
      const level = next();
      const samples = Array.from({ length: n }, () => Math.min(1, Math.max(0, level + (next() - 0.5) * 0.4)));
      windows.push(
        windowOf(samples, {
          clientId: 'a',
          metric: 'CPU_UTILIZATION',
          core: null,
          windowStart: T0 + 7 * SECOND + i * 10 * SECOND,
          windowEnd: T0 + 17 * SECOND + i * 10 * SECOND,
        }),
      );
    }
    await ctx.store.write(windows.map((w) => w.point));

    const width = MINUTE;
    const buckets = await ctx.store.history(select(), width, 'MEAN');
    const expected = new Map<number, number[]>();
    for (const w of windows) {
      const start = Math.floor(w.point.windowStart / width) * width;
      expected.set(start, [...(expected.get(start) ?? []), ...w.samples]);
    }
    expect(buckets.map((b) => b.start)).toEqual([...expected.keys()]);
    for (const bucket of buckets) {
      const samples = expected.get(bucket.start) as number[];
      const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
      const variance = samples.reduce((s, x) => s + (x - mean) ** 2, 0) / samples.length;
      expect(bucket.count).toBe(samples.length);
      expect(bucket.mean).toBeCloseTo(mean, 12);
      expect(bucket.value).toBeCloseTo(mean, 12);
      expect(bucket.variance).toBeCloseTo(variance, 12);
      expect(bucket.min).toBe(Math.min(...samples));
      expect(bucket.max).toBe(Math.max(...samples));
    }
    // Averaging the window variances would be wrong whenever window means differ: make sure they do.
    const first = buckets[0] as (typeof buckets)[number];
    const inFirst = windows.filter((w) => w.point.windowStart < first.start + width);
    const naive = inFirst.reduce((s, w) => s + w.point.variance, 0) / inFirst.length;
    expect(Math.abs(first.variance - naive)).toBeGreaterThan(1e-6);
  });

  it('pools large values without losing precision (memory bytes)', async () => {
    const samples = [8e12 + 1, 8e12 + 2, 8e12 + 3, 8e12 + 4];
    await ctx.store.write([
      windowOf(samples.slice(0, 2), {
        clientId: 'a',
        metric: 'MEMORY_USED_BYTES',
        core: null,
        windowStart: T0,
        windowEnd: T0 + 10,
      }).point,
      windowOf(samples.slice(2), {
        clientId: 'a',
        metric: 'MEMORY_USED_BYTES',
        core: null,
        windowStart: T0 + 10 * SECOND,
        windowEnd: T0 + 20,
      }).point,
    ]);
    const [bucket] = await ctx.store.history(select({ metric: 'MEMORY_USED_BYTES' }), MINUTE, 'MEAN');
    expect(bucket?.mean).toBe(8e12 + 2.5);
    expect(bucket?.variance).toBeCloseTo(1.25, 6);
  });

  it('keeps network and disk series apart and pools byte rates and filesystem ratios per bucket', async () => {
    const next = random(11);
    const series: [Metric, number, number][] = [
      // metric, level, spread of the samples
      ['NETWORK_RX_BYTES_PER_SECOND', 1.2e6, 4e5],
      ['NETWORK_TX_BYTES_PER_SECOND', 3.4e5, 1e5],
      ['DISK_READ_BYTES_PER_SECOND', 0, 0],
      ['DISK_WRITE_BYTES_PER_SECOND', 8e5, 8e5],
      ['FILESYSTEM_USED_RATIO', 0.42, 0.02],
    ];
    const windows = new Map<Metric, RawWindow[]>();
    for (const [metric, level, spread] of series) {
      windows.set(
        metric,
        Array.from({ length: 12 }, (_, i) =>
          windowOf(
            Array.from({ length: 1 + Math.floor(next() * 20) }, () =>
              Math.max(0, level + (next() - 0.5) * spread),
            ),
            {
              clientId: i % 3 === 0 ? 'b' : 'a',
              metric,
              core: null,
              windowStart: T0 + i * 10 * SECOND,
              windowEnd: T0 + (i + 1) * 10 * SECOND,
            },
          ),
        ),
      );
    }
    // All five share a measurement line per kind and window in InfluxDB: write them in one batch.
    await ctx.store.write([...windows.values()].flat().map((w) => w.point));

    for (const [metric] of series) {
      const mine = (windows.get(metric) as RawWindow[]).filter((w) => w.point.clientId === 'a');
      const samples = mine.flatMap((w) => w.samples);
      const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
      const variance = samples.reduce((s, x) => s + (x - mean) ** 2, 0) / samples.length;
      const buckets = await ctx.store.history(select({ metric }), 2 * MINUTE, 'MEAN');
      expect(buckets.map((b) => [metric, b.start, b.count])).toEqual([[metric, T0, samples.length]]);
      const [bucket] = buckets;
      // Rounding error relative to the size of the values (a variance next to the squared mean).
      expect(Math.abs((bucket?.mean as number) - mean)).toBeLessThanOrEqual(1e-12 * Math.max(1, mean));
      expect(Math.abs((bucket?.variance as number) - variance)).toBeLessThanOrEqual(
        1e-12 * Math.max(1, mean ** 2),
      );
      expect(bucket?.min).toBe(Math.min(...samples));
      expect(bucket?.max).toBe(Math.max(...samples));
      const [max] = await ctx.store.history(select({ metric, clientId: null }), 2 * MINUTE, 'MAX');
      const all = (windows.get(metric) as RawWindow[]).flatMap((w) => w.samples);
      expect(max?.value).toBe(Math.max(...all));
    }

    const rows = await ctx.store.summarize(
      select({ metric: 'NETWORK_RX_BYTES_PER_SECOND', clientId: null }),
      'COUNT',
    );
    const rx = windows.get('NETWORK_RX_BYTES_PER_SECOND') as RawWindow[];
    expect(rows.map((r) => [r.clientId, r.value])).toEqual(
      ['a', 'b'].map((c) => [
        c,
        rx.filter((w) => w.point.clientId === c).reduce((n, w) => n + w.point.count, 0),
      ]),
    );
    // A kind's other metrics or another kind's are not read: a read rate of 0 stays 0.
    const [read] = await ctx.store.history(
      select({ metric: 'DISK_READ_BYTES_PER_SECOND', clientId: null }),
      MINUTE,
      'MAX',
    );
    expect(read?.value).toBe(0);
  });
});
