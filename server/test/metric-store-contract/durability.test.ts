import { expect, it } from 'vitest';
import { describeContract, MINUTE, point, SECOND, select, T0 } from './contract.js';

describeContract((ctx) => {
  it('stores a re-sent window once, the newer copy winning', async () => {
    await ctx.store.write([point({ windowStart: T0, mean: 0.2, min: 0.2, max: 0.2 })]);
    await ctx.store.write([point({ windowStart: T0, mean: 0.4, min: 0.4, max: 0.4 })]);
    const [bucket] = await ctx.store.history(select(), MINUTE, 'COUNT');
    expect(bucket).toMatchObject({ value: 10, count: 10, mean: 0.4 });
  });

  it('commits concurrent writes, each acknowledged one readable', async () => {
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        ctx.store.write([point({ clientId: `c${i % 7}`, windowStart: T0 + i * SECOND })]),
      ),
    );
    const [bucket] = await ctx.store.history(
      select({ clientId: null, to: T0 + 10 * MINUTE }),
      10 * MINUTE,
      'COUNT',
    );
    expect(bucket?.value).toBe(200 * 10);
  });

  it('keeps what it acknowledged across a restart', async () => {
    await ctx.store.write([point({ windowStart: T0, mean: 0.7, min: 0.7, max: 0.7 })]);
    await ctx.store.close();
    ctx.store = ctx.create(ctx.dataDir);
    const [bucket] = await ctx.store.history(select(), MINUTE, 'MEAN');
    expect(bucket?.value).toBe(0.7);
  });

  it('deletes windows further than the retention behind the newest stored window, and nothing else', async () => {
    await ctx.store.close();
    ctx.store = ctx.create(ctx.dataDir, 30 * MINUTE);
    await ctx.store.write([
      point({ windowStart: T0 }),
      point({ windowStart: T0 + 10 * MINUTE }),
      point({ clientId: 'b', windowStart: T0 + 40 * MINUTE }),
      point({ metric: 'LOAD_1', windowStart: T0 + 5 * MINUTE, mean: 1, min: 1, max: 1 }),
      point({
        metric: 'DISK_WRITE_BYTES_PER_SECOND',
        windowStart: T0 + 5 * MINUTE,
        mean: 1.2e6,
        min: 1.2e6,
        max: 1.2e6,
      }),
      point({
        metric: 'NETWORK_RX_BYTES_PER_SECOND',
        windowStart: T0 + 20 * MINUTE,
        mean: 1.2e6,
        min: 1.2e6,
        max: 1.2e6,
      }),
    ]);
    await ctx.store.enforceRetention(); // T0 and T0+5m are older than 40m - 30m
    const left = await ctx.store.history(select({ clientId: null, to: T0 + 60 * MINUTE }), MINUTE, 'COUNT');
    expect(left.map((b) => b.start)).toEqual([T0 + 10 * MINUTE, T0 + 40 * MINUTE]);
    expect(await ctx.store.history(select({ metric: 'LOAD_1' }), MINUTE, 'COUNT')).toEqual([]);
    expect(
      await ctx.store.history(select({ metric: 'DISK_WRITE_BYTES_PER_SECOND' }), MINUTE, 'COUNT'),
    ).toEqual([]);
    const rx = await ctx.store.history(select({ metric: 'NETWORK_RX_BYTES_PER_SECOND' }), MINUTE, 'COUNT');
    expect(rx.map((b) => b.start)).toEqual([T0 + 20 * MINUTE]);
    await ctx.store.enforceRetention();
    expect(
      await ctx.store.history(select({ clientId: null, to: T0 + 60 * MINUTE }), MINUTE, 'COUNT'),
    ).toEqual(left);
  });
});
