import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Metric } from '@metrics-collector/common/catalogue';
import type {
  Aggregate,
  MetricStore,
  SeriesPoint,
  SeriesSelector,
} from '@metrics-collector/schema/metrics/types';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hasBinary, influxdBinary, type RealServer, startInfluxd } from '../../testing/real-servers.js';
import { createInfluxMetricStore } from '../src/metrics/influx/store.js';
import { createSqliteMetricStore } from '../src/metrics/sqlite/store.js';
import { random } from './helpers.js';

interface TestStore extends MetricStore {
  /** Deletes windows further than `retention` behind the newest one, now. */
  enforceRetention(): unknown;
}

/**
 * The MetricStore contract: every implementation gives these answers. `create` opens the store kept in
 * `dataDir` (for InfluxDB: the database named after it), again after a close for the restart test.
 */
const implementations: {
  name: string;
  available: boolean;
  create: (dataDir: string, retention?: number) => TestStore;
}[] = [
  {
    name: 'sqlite',
    available: true,
    create: (dataDir, retention) =>
      createSqliteMetricStore({ dataDir, retention: retention ?? null, retentionInterval: 0 }),
  },
  {
    name: 'influxdb 1.x (v1 API)',
    available: hasBinary(influxdBinary),
    create: (dataDir, retention) =>
      createInfluxMetricStore({
        url: influxd.url,
        api: 'v1',
        database: basename(dataDir).replace(/\W/g, '_'),
        retention: retention ?? null,
        retentionInterval: 0,
      }),
  },
];

let influxd: RealServer;
beforeAll(async () => {
  if (hasBinary(influxdBinary)) influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.stop();
});

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;

interface RawWindow {
  point: SeriesPoint;
  samples: number[];
}

/** A window built from raw samples with the same arithmetic an agent uses (two-pass). */
function windowOf(samples: number[], base: Omit<SeriesPoint, 'mean' | 'variance' | 'min' | 'max' | 'count'>) {
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  const variance = samples.reduce((s, x) => s + (x - mean) ** 2, 0) / samples.length;
  return {
    point: {
      ...base,
      count: samples.length,
      mean,
      variance,
      min: Math.min(...samples),
      max: Math.max(...samples),
    },
    samples,
  };
}

function point(overrides: Partial<SeriesPoint> & { windowStart: number }): SeriesPoint {
  return {
    clientId: 'a',
    metric: 'CPU_UTILIZATION',
    core: null,
    windowEnd: overrides.windowStart + 10 * SECOND,
    count: 10,
    mean: 0.5,
    variance: 0,
    min: 0.5,
    max: 0.5,
    ...overrides,
  };
}

const select = (overrides: Partial<SeriesSelector> = {}): SeriesSelector => ({
  metric: 'CPU_UTILIZATION',
  clientId: 'a',
  core: null,
  from: T0,
  to: T0 + 60 * MINUTE,
  ...overrides,
});

describe.each(implementations)('MetricStore contract: $name', ({ create, available }) => {
  let dataDir: string;
  let store: TestStore;

  beforeEach(({ skip }) => {
    if (!available) skip();
    dataDir = mkdtempSync(join(tmpdir(), 'mc-store-'));
    store = create(dataDir);
  });
  afterEach(async () => {
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

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
    await store.write(windows.map((w) => w.point));

    const width = MINUTE;
    const buckets = await store.history(select(), width, 'MEAN');
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
    await store.write([
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
    const [bucket] = await store.history(select({ metric: 'MEMORY_USED_BYTES' }), MINUTE, 'MEAN');
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
    await store.write([...windows.values()].flat().map((w) => w.point));

    for (const [metric] of series) {
      const mine = (windows.get(metric) as RawWindow[]).filter((w) => w.point.clientId === 'a');
      const samples = mine.flatMap((w) => w.samples);
      const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
      const variance = samples.reduce((s, x) => s + (x - mean) ** 2, 0) / samples.length;
      const buckets = await store.history(select({ metric }), 2 * MINUTE, 'MEAN');
      expect(buckets.map((b) => [metric, b.start, b.count])).toEqual([[metric, T0, samples.length]]);
      const [bucket] = buckets;
      // Rounding error relative to the size of the values (a variance next to the squared mean).
      expect(Math.abs((bucket?.mean as number) - mean)).toBeLessThanOrEqual(1e-12 * Math.max(1, mean));
      expect(Math.abs((bucket?.variance as number) - variance)).toBeLessThanOrEqual(
        1e-12 * Math.max(1, mean ** 2),
      );
      expect(bucket?.min).toBe(Math.min(...samples));
      expect(bucket?.max).toBe(Math.max(...samples));
      const [max] = await store.history(select({ metric, clientId: null }), 2 * MINUTE, 'MAX');
      const all = (windows.get(metric) as RawWindow[]).flatMap((w) => w.samples);
      expect(max?.value).toBe(Math.max(...all));
    }

    const rows = await store.summarize(
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
    const [read] = await store.history(
      select({ metric: 'DISK_READ_BYTES_PER_SECOND', clientId: null }),
      MINUTE,
      'MAX',
    );
    expect(read?.value).toBe(0);
  });

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
    await store.write(
      means.map((mean, i) =>
        point({ windowStart: T0 + i * 10 * SECOND, mean, min: 0.05, max: 0.95, variance: 0.01 }),
      ),
    );
    const [bucket] = await store.history(select(), 15 * MINUTE, aggregate);
    expect(bucket?.value).toBeCloseTo(value, 12);
  });

  it('MEDIAN of an even number of windows averages the two middle means', async () => {
    await store.write(
      [0.4, 0.1, 0.3, 0.2].map((mean, i) =>
        point({ windowStart: T0 + i * SECOND, mean, min: mean, max: mean }),
      ),
    );
    const [bucket] = await store.history(select(), MINUTE, 'MEDIAN');
    expect(bucket?.value).toBe(0.2 + (0.3 - 0.2) / 2);
  });

  it('LAST among windows that start together is the largest of their means, as InfluxQL breaks ties', async () => {
    await store.write([
      point({ clientId: 'a', windowStart: T0, mean: 0.9, min: 0.9, max: 0.9 }),
      point({ clientId: 'a', windowStart: T0 + 20 * SECOND, mean: 0.3, min: 0.3, max: 0.3 }),
      point({ clientId: 'b', windowStart: T0 + 20 * SECOND, mean: 0.6, min: 0.6, max: 0.6 }),
      point({ clientId: 'c', windowStart: T0 + 20 * SECOND, mean: 0.4, min: 0.4, max: 0.4 }),
    ]);
    const [bucket] = await store.history(select({ clientId: null }), MINUTE, 'LAST');
    expect(bucket?.value).toBe(0.6);
    const [row] = await store.summarize(select({ clientId: 'a' }), 'LAST');
    expect(row?.value).toBe(0.3);
  });

  it('aligns buckets to epoch multiples, labels them by start, and reads [from, to)', async () => {
    const from = T0 + 7 * MINUTE;
    const to = T0 + 37 * MINUTE;
    await store.write([
      point({ windowStart: from - 1, mean: 0.11, min: 0.11, max: 0.11 }), // before the range
      point({ windowStart: from, mean: 0.22, min: 0.22, max: 0.22 }), // on `from`: in
      point({ windowStart: T0 + 31 * MINUTE, mean: 0.33, min: 0.33, max: 0.33 }),
      point({ windowStart: to - 1, mean: 0.44, min: 0.44, max: 0.44 }), // last ms: in
      point({ windowStart: to, mean: 0.55, min: 0.55, max: 0.55 }), // on `to`: out
    ]);
    const buckets = await store.history(select({ from, to }), 15 * MINUTE, 'MEAN');
    expect(buckets.map((b) => [new Date(b.start).toISOString(), b.value, b.count])).toEqual([
      ['2026-01-01T00:00:00.000Z', 0.22, 10],
      ['2026-01-01T00:30:00.000Z', expect.closeTo(0.385, 12), 20],
    ]);
  });

  it('answers an empty range with no buckets', async () => {
    await store.write([point({ windowStart: T0 })]);
    expect(await store.history(select({ from: T0 + MINUTE, to: T0 + 2 * MINUTE }), MINUTE, 'MEAN')).toEqual(
      [],
    );
    expect(await store.history(select({ clientId: 'nobody' }), MINUTE, 'MEAN')).toEqual([]);
  });

  it('filters by client, and pools all clients when the client is null', async () => {
    await store.write([
      point({ clientId: 'a', windowStart: T0, mean: 0.2, min: 0.2, max: 0.2, count: 10 }),
      point({ clientId: 'b', windowStart: T0, mean: 0.8, min: 0.8, max: 0.8, count: 30 }),
    ]);
    const [a] = await store.history(select({ clientId: 'a' }), MINUTE, 'MEAN');
    const [all] = await store.history(select({ clientId: null }), MINUTE, 'MEAN');
    expect(a?.value).toBe(0.2);
    expect(all?.value).toBeCloseTo((0.2 * 10 + 0.8 * 30) / 40, 12);
    expect(all?.count).toBe(40);
    // Law of total variance: (10·(0.2−0.65)² + 30·(0.8−0.65)²) / 40.
    expect(all?.variance).toBeCloseTo(0.0675, 12);
  });

  it('keeps per-core series apart from the overall series and from each other', async () => {
    await store.write([
      point({ windowStart: T0, mean: 0.5, min: 0.5, max: 0.5 }),
      point({ metric: 'CPU_CORE_UTILIZATION', core: 0, windowStart: T0, mean: 0.1, min: 0.1, max: 0.1 }),
      point({ metric: 'CPU_CORE_UTILIZATION', core: 1, windowStart: T0, mean: 0.9, min: 0.9, max: 0.9 }),
    ]);
    const value = async (metric: Metric, core: number | null) =>
      (await store.history(select({ metric, core }), MINUTE, 'MEAN'))[0]?.value;
    expect(await value('CPU_UTILIZATION', null)).toBe(0.5);
    expect(await value('CPU_CORE_UTILIZATION', 0)).toBe(0.1);
    expect(await value('CPU_CORE_UTILIZATION', 1)).toBe(0.9);
    expect(await value('CPU_CORE_UTILIZATION', null)).toBeCloseTo(0.5, 12);
    expect(await value('CPU_CORE_UTILIZATION', 2)).toBeUndefined();
  });

  it('summarizes one row per client over the whole range', async () => {
    const means = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
    await store.write([
      ...means.map((mean, i) =>
        point({ clientId: 'b', windowStart: T0 + i * MINUTE, mean, min: mean, max: mean }),
      ),
      point({ clientId: 'a', windowStart: T0 + 5 * MINUTE, mean: 0.3, min: 0.3, max: 0.3 }),
      point({ clientId: 'c', windowStart: T0 + 90 * MINUTE, mean: 0.3, min: 0.3, max: 0.3 }), // outside
    ]);
    const rows = await store.summarize(select({ clientId: null }), 'P95');
    expect(rows.map((r) => [r.clientId, r.value, r.count])).toEqual([
      ['a', 0.3, 10],
      ['b', 1.0, 100],
    ]);
    expect(rows[1]?.mean).toBeCloseTo(0.55, 12);
  });

  it('stores a re-sent window once, the newer copy winning', async () => {
    await store.write([point({ windowStart: T0, mean: 0.2, min: 0.2, max: 0.2 })]);
    await store.write([point({ windowStart: T0, mean: 0.4, min: 0.4, max: 0.4 })]);
    const [bucket] = await store.history(select(), MINUTE, 'COUNT');
    expect(bucket).toMatchObject({ value: 10, count: 10, mean: 0.4 });
  });

  it('commits concurrent writes, each acknowledged one readable', async () => {
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        store.write([point({ clientId: `c${i % 7}`, windowStart: T0 + i * SECOND })]),
      ),
    );
    const [bucket] = await store.history(
      select({ clientId: null, to: T0 + 10 * MINUTE }),
      10 * MINUTE,
      'COUNT',
    );
    expect(bucket?.value).toBe(200 * 10);
  });

  it('keeps what it acknowledged across a restart', async () => {
    await store.write([point({ windowStart: T0, mean: 0.7, min: 0.7, max: 0.7 })]);
    await store.close();
    store = create(dataDir);
    const [bucket] = await store.history(select(), MINUTE, 'MEAN');
    expect(bucket?.value).toBe(0.7);
  });

  it('deletes windows further than the retention behind the newest stored window, and nothing else', async () => {
    await store.close();
    store = create(dataDir, 30 * MINUTE);
    await store.write([
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
    await store.enforceRetention(); // T0 and T0+5m are older than 40m - 30m
    const left = await store.history(select({ clientId: null, to: T0 + 60 * MINUTE }), MINUTE, 'COUNT');
    expect(left.map((b) => b.start)).toEqual([T0 + 10 * MINUTE, T0 + 40 * MINUTE]);
    expect(await store.history(select({ metric: 'LOAD_1' }), MINUTE, 'COUNT')).toEqual([]);
    expect(await store.history(select({ metric: 'DISK_WRITE_BYTES_PER_SECOND' }), MINUTE, 'COUNT')).toEqual(
      [],
    );
    const rx = await store.history(select({ metric: 'NETWORK_RX_BYTES_PER_SECOND' }), MINUTE, 'COUNT');
    expect(rx.map((b) => b.start)).toEqual([T0 + 20 * MINUTE]);
    await store.enforceRetention();
    expect(await store.history(select({ clientId: null, to: T0 + 60 * MINUTE }), MINUTE, 'COUNT')).toEqual(
      left,
    );
  });
});
