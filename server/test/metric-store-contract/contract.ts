/**
 * The MetricStore contract: every implementation gives the answers the tests in this folder expect.
 * `describeContract` runs a file's tests once per implementation, each test on a new, empty store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { MetricStore, SeriesPoint, SeriesSelector } from '@metrics-collector/schema/metrics/types';
import { afterEach, beforeEach, describe } from 'vitest';
import { hasBinary, influxdBinary } from '../../../testing/real-servers.js';
import { createInfluxMetricStore } from '../../src/metrics/influx/store.js';
import { createSqliteMetricStore } from '../../src/metrics/sqlite/store.js';
import { influxd, startInfluxdForFile } from '../influxd.js';

export interface TestStore extends MetricStore {
  /** Deletes windows further than `retention` behind the newest one, now. */
  enforceRetention(): unknown;
}

/** What a test of the contract works on: `store`, kept in `dataDir`; `create` opens it again (a restart). */
export interface ContractStore {
  store: TestStore;
  dataDir: string;
  create: (dataDir: string, retention?: number) => TestStore;
}

/**
 * `create` opens the store kept in `dataDir` (for InfluxDB: the database named after it), again after a
 * close for the restart test.
 */
const implementations: { name: string; available: boolean; create: ContractStore['create'] }[] = [
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

/** Registers `tests` once per implementation, in a file that starts (and stops) its own influxd. */
export function describeContract(tests: (ctx: ContractStore) => void): void {
  startInfluxdForFile();

  describe.each(implementations)('MetricStore contract: $name', ({ create, available }) => {
    const ctx = { create } as ContractStore;

    beforeEach(({ skip }) => {
      if (!available) skip();
      ctx.dataDir = mkdtempSync(join(tmpdir(), 'mc-store-'));
      ctx.store = create(ctx.dataDir);
    });
    afterEach(async () => {
      await ctx.store?.close();
      rmSync(ctx.dataDir, { recursive: true, force: true });
    });

    tests(ctx);
  });
}

export const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

export interface RawWindow {
  point: SeriesPoint;
  samples: number[];
}

/** A window built from raw samples with the same arithmetic an agent uses (two-pass). */
export function windowOf(
  samples: number[],
  base: Omit<SeriesPoint, 'mean' | 'variance' | 'min' | 'max' | 'count'>,
) {
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

export function point(overrides: Partial<SeriesPoint> & { windowStart: number }): SeriesPoint {
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

export const select = (overrides: Partial<SeriesSelector> = {}): SeriesSelector => ({
  metric: 'CPU_UTILIZATION',
  clientId: 'a',
  core: null,
  from: T0,
  to: T0 + 60 * MINUTE,
  ...overrides,
});
