import type { Metric } from '@metrics-collector/common/catalogue';
import type { Aggregate } from '@metrics-collector/schema/metrics/types';
import { expect, it } from 'vitest';
import { describeContract, MINUTE, point, SECOND, select, T0 } from './contract.js';

describeContract((ctx) => {
  it.each<[Aggregate, number]>([
    ['MEDIAN', 0.5],
    ['P90', 0.8],
    ['P95', 0.9],
    ['P99', 0.9],
    ['MIN', 0.05],
    ['MAX', 0.95],
    ['COUNT', 90],
    // LAST is the mean of the window that starts last, not the largest mean.
    ['LAST', 0.3],
  ])('%s follows InfluxQL (nearest rank over window means)', async (aggregate, value) => {
    const means = [0.9, 0.1, 0.5, 0.7, 0.2, 0.8, 0.4, 0.6, 0.3];
    await ctx.store.write(
      means.map((mean, i) =>
        point({ windowStart: T0 + i * 10 * SECOND, mean, min: 0.05, max: 0.95, variance: 0.01 }),
      ),
    );
    const [bucket] = await ctx.store.history(select(), 15 * MINUTE, aggregate);
    expect(bucket?.value).toBeCloseTo(value, 12);
  });

  it('MEDIAN of an even number of windows averages the two middle means', async () => {
    await ctx.store.write(
      [0.4, 0.1, 0.3, 0.2].map((mean, i) =>
        point({ windowStart: T0 + i * SECOND, mean, min: mean, max: mean }),
      ),
    );
    const [bucket] = await ctx.store.history(select(), MINUTE, 'MEDIAN');
    expect(bucket?.value).toBe(0.2 + (0.3 - 0.2) / 2);
  });

  it('LAST among windows that start together is the largest of their means, as InfluxQL breaks ties', async () => {
    await ctx.store.write([
      point({ clientId: 'a', windowStart: T0, mean: 0.9, min: 0.9, max: 0.9 }),
      point({ clientId: 'a', windowStart: T0 + 20 * SECOND, mean: 0.3, min: 0.3, max: 0.3 }),
      point({ clientId: 'b', windowStart: T0 + 20 * SECOND, mean: 0.6, min: 0.6, max: 0.6 }),
      point({ clientId: 'c', windowStart: T0 + 20 * SECOND, mean: 0.4, min: 0.4, max: 0.4 }),
    ]);
    const [bucket] = await ctx.store.history(select({ clientId: null }), MINUTE, 'LAST');
    expect(bucket?.value).toBe(0.6);
    const [row] = await ctx.store.summarize(select({ clientId: 'a' }), 'LAST');
    expect(row?.value).toBe(0.3);
  });

  it('aligns buckets to epoch multiples, labels them by start, and reads [from, to)', async () => {
    const from = T0 + 7 * MINUTE;
    const to = T0 + 37 * MINUTE;
    await ctx.store.write([
      point({ windowStart: from - 1, mean: 0.11, min: 0.11, max: 0.11 }), // before the range
      point({ windowStart: from, mean: 0.22, min: 0.22, max: 0.22 }), // on `from`: in
      point({ windowStart: T0 + 31 * MINUTE, mean: 0.33, min: 0.33, max: 0.33 }),
      point({ windowStart: to - 1, mean: 0.44, min: 0.44, max: 0.44 }), // last ms: in
      point({ windowStart: to, mean: 0.55, min: 0.55, max: 0.55 }), // on `to`: out
    ]);
    const buckets = await ctx.store.history(select({ from, to }), 15 * MINUTE, 'MEAN');
    expect(buckets.map((b) => [new Date(b.start).toISOString(), b.value, b.count])).toEqual([
      ['2026-01-01T00:00:00.000Z', 0.22, 10],
      ['2026-01-01T00:30:00.000Z', expect.closeTo(0.385, 12), 20],
    ]);
  });

  it('answers an empty range with no buckets', async () => {
    await ctx.store.write([point({ windowStart: T0 })]);
    expect(
      await ctx.store.history(select({ from: T0 + MINUTE, to: T0 + 2 * MINUTE }), MINUTE, 'MEAN'),
    ).toEqual([]);
    expect(await ctx.store.history(select({ clientId: 'nobody' }), MINUTE, 'MEAN')).toEqual([]);
  });

  it('filters by client, and pools all clients when the client is null', async () => {
    await ctx.store.write([
      point({ clientId: 'a', windowStart: T0, mean: 0.2, min: 0.2, max: 0.2, count: 10 }),
      point({ clientId: 'b', windowStart: T0, mean: 0.8, min: 0.8, max: 0.8, count: 30 }),
    ]);
    const [a] = await ctx.store.history(select({ clientId: 'a' }), MINUTE, 'MEAN');
    const [all] = await ctx.store.history(select({ clientId: null }), MINUTE, 'MEAN');
    expect(a?.value).toBe(0.2);
    expect(all?.value).toBeCloseTo((0.2 * 10 + 0.8 * 30) / 40, 12);
    expect(all?.count).toBe(40);
    // Law of total variance: (10·(0.2−0.65)² + 30·(0.8−0.65)²) / 40.
    expect(all?.variance).toBeCloseTo(0.0675, 12);
  });

  it('keeps per-core series apart from the overall series and from each other', async () => {
    await ctx.store.write([
      point({ windowStart: T0, mean: 0.5, min: 0.5, max: 0.5 }),
      point({ metric: 'CPU_CORE_UTILIZATION', core: 0, windowStart: T0, mean: 0.1, min: 0.1, max: 0.1 }),
      point({ metric: 'CPU_CORE_UTILIZATION', core: 1, windowStart: T0, mean: 0.9, min: 0.9, max: 0.9 }),
    ]);
    const value = async (metric: Metric, core: number | null) =>
      (await ctx.store.history(select({ metric, core }), MINUTE, 'MEAN'))[0]?.value;
    expect(await value('CPU_UTILIZATION', null)).toBe(0.5);
    expect(await value('CPU_CORE_UTILIZATION', 0)).toBe(0.1);
    expect(await value('CPU_CORE_UTILIZATION', 1)).toBe(0.9);
    expect(await value('CPU_CORE_UTILIZATION', null)).toBeCloseTo(0.5, 12);
    expect(await value('CPU_CORE_UTILIZATION', 2)).toBeUndefined();
  });

  it('summarizes one row per client over the whole range', async () => {
    const means = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
    await ctx.store.write([
      ...means.map((mean, i) =>
        point({ clientId: 'b', windowStart: T0 + i * MINUTE, mean, min: mean, max: mean }),
      ),
      point({ clientId: 'a', windowStart: T0 + 5 * MINUTE, mean: 0.3, min: 0.3, max: 0.3 }),
      point({ clientId: 'c', windowStart: T0 + 90 * MINUTE, mean: 0.3, min: 0.3, max: 0.3 }), // outside
    ]);
    const rows = await ctx.store.summarize(select({ clientId: null }), 'P95');
    expect(rows.map((r) => [r.clientId, r.value, r.count])).toEqual([
      ['a', 0.3, 10],
      ['b', 1.0, 100],
    ]);
    expect(rows[1]?.mean).toBeCloseTo(0.55, 12);
  });
});
