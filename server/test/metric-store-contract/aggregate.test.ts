/**
 * `aggregateWindows` (server/src/metrics/sqlite/aggregate.ts): windows are written to the embedded store,
 * and every history and summary the store answers must come out of `aggregateWindows` applied to the same
 * windows. Written while the store still aggregated in SQL (schema version 2), the comparison held the
 * JavaScript to those statements; with the store now reading through `aggregateWindows`, it holds the
 * store's reading (both parts, rewritten windows, ranges cut mid-window) to the windows written, and the
 * cases after it keep the SQL path's numbers (compensated sums, single windows, ties, pre-1970 buckets).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogue } from '@metrics-collector/common/catalogue';
import {
  type Aggregate,
  aggregates,
  type SeriesPoint,
  type SeriesSelector,
} from '@metrics-collector/schema/metrics/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AggregatedGroup,
  aggregateWindows,
  type Grouping,
  type SeriesWindows,
  WINDOW_NUMBERS,
} from '../../src/metrics/sqlite/aggregate.js';
import { createSqliteMetricStore, type SqliteMetricStore } from '../../src/metrics/sqlite/store.js';
import { random } from '../helpers.js';
import { MINUTE, point, SECOND, select, T0 } from './contract.js';

let dataDir: string;
let store: SqliteMetricStore;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'mc-aggregate-'));
  store = createSqliteMetricStore({ dataDir, retention: null, mergeInterval: 0, reads: 'inline' });
});
afterEach(async () => {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The windows written so far, by series and start: a rewritten window replaces the earlier copy. */
class Written {
  readonly #points = new Map<string, SeriesPoint>();

  async write(points: SeriesPoint[]): Promise<void> {
    await store.write(points);
    for (const p of points) this.#points.set(`${p.metric}\0${p.core}\0${p.clientId}\0${p.windowStart}`, p);
  }

  /** The windows `selector` reads, packed per series as the store would decode them. */
  select(selector: SeriesSelector): SeriesWindows[] {
    const perCore = catalogue[selector.metric].perCore;
    const series = new Map<string, SeriesPoint[]>();
    for (const p of this.#points.values()) {
      if (p.metric !== selector.metric) continue;
      if (perCore && (selector.core === null ? p.core === null : p.core !== selector.core)) continue;
      if (selector.clientId !== null && p.clientId !== selector.clientId) continue;
      if (p.windowStart < selector.from || p.windowStart >= selector.to) continue;
      const key = `${p.clientId}\0${p.core}`;
      const points = series.get(key);
      if (points) points.push(p);
      else series.set(key, [p]);
    }
    return [...series.values()].map((points) => {
      points.sort((a, b) => a.windowStart - b.windowStart);
      const windows = new Float64Array(points.length * WINDOW_NUMBERS);
      for (const [i, p] of points.entries()) {
        const numbers = [p.windowStart, p.windowEnd, p.count, p.mean, p.variance, p.min, p.max];
        windows.set(numbers, i * WINDOW_NUMBERS);
      }
      return { clientId: points[0]?.clientId as string, windows };
    });
  }
}

/**
 * Whether `actual` is within 1e-12 of `expected`, relatively, or within `floor`. Where a group has windows in
 * both of the store's parts, SQL pools the two parts' means rounded, each off by up to half an ulp of the
 * values: the variance around them is then off by about ulp × spread, beyond 1e-12 of it for large values
 * with a small spread (1e9 ± 1e-3). `floor` allows that rounding, and only it.
 */
function close(actual: number, expected: number, floor = 0): boolean {
  return Math.abs(actual - expected) <= 1e-12 * Math.max(Math.abs(actual), Math.abs(expected)) + floor;
}

/**
 * How `aggregateWindows`'s groups (`actual`) differ from the store's (`expected`, keys as `grp`): keys,
 * counts, extremes and values other than MEAN exactly, means and variances as `close` allows. One
 * `expect` per answer rather than per number keeps tens of thousands of groups quick to check.
 */
function differences(actual: AggregatedGroup[], expected: AggregatedGroup[], aggregate: Aggregate): string[] {
  const keys = (groups: AggregatedGroup[]) => groups.map((g) => g.grp);
  if (actual.length !== expected.length) return [`groups ${keys(actual)} against ${keys(expected)}`];
  return expected.flatMap((e, i) => {
    const a = actual[i] as AggregatedGroup;
    // Half an ulp of the largest magnitude, times the spread (both parts' means sit within min..max).
    const ulp = Number.EPSILON * Math.max(Math.abs(e.min), Math.abs(e.max));
    const same =
      a.grp === e.grp &&
      a.count === e.count &&
      a.min === e.min &&
      a.max === e.max &&
      close(a.mean, e.mean) &&
      close(a.variance, e.variance, 4 * ulp * (Math.sqrt(e.variance) + ulp)) &&
      (aggregate === 'MEAN' ? close(a.value, e.value) : Object.is(a.value, e.value));
    return same ? [] : [`${JSON.stringify(a)} against ${JSON.stringify(e)}`];
  });
}

/** Asks the store and `aggregateWindows` for every aggregate of `selector`; returns groups answered. */
async function compare(written: Written, selector: SeriesSelector, widths: number[]): Promise<number> {
  const windows = written.select(selector);
  const what = (grouping: Grouping, aggregate: Aggregate) =>
    `${JSON.stringify(selector)} ${JSON.stringify(grouping)} ${aggregate}`;
  let answered = 0;
  for (const aggregate of aggregates) {
    for (const width of widths) {
      const grouping: Grouping = { by: 'bucket', width };
      const expected = (await store.history(selector, width, aggregate)).map(({ start, ...stats }) => ({
        grp: start,
        ...stats,
      }));
      const actual = aggregateWindows(windows, grouping, aggregate);
      expect(differences(actual, expected, aggregate), what(grouping, aggregate)).toEqual([]);
      answered += expected.length;
    }
    const summary = (await store.summarize(selector, aggregate)).map(({ clientId, ...stats }) => ({
      grp: clientId,
      ...stats,
    }));
    const grouping: Grouping = { by: 'client' };
    const actual = aggregateWindows(windows, grouping, aggregate);
    expect(differences(actual, summary, aggregate), what(grouping, aggregate)).toEqual([]);
    answered += summary.length;
  }
  return answered;
}

/**
 * Client ids whose order differs between UTF-16 code units and UTF-8 bytes (U+E000 against U+1F600), with
 * the windows' scale: large values (1e9) with tiny variances, utilisations (0..1), or a few steps (many
 * equal means, and ties among the windows starting together). Client 'b' starts its windows 3 s off the
 * others'; 'sparse' keeps few, so that many buckets hold a single window.
 */
type Scale = 'large' | 'ratio' | 'steps';
const CLIENTS: { clientId: string; scale: Scale; offset: number; keep: number }[] = [
  { clientId: 'a', scale: 'ratio', offset: 0, keep: 0.7 },
  { clientId: 'b', scale: 'large', offset: 3 * SECOND, keep: 0.7 },
  { clientId: 'A', scale: 'steps', offset: 0, keep: 0.9 },
  { clientId: '\u00ff', scale: 'large', offset: 0, keep: 0.6 },
  { clientId: '\ue000', scale: 'ratio', offset: 0, keep: 0.8 },
  { clientId: '\u{1f600}', scale: 'large', offset: 0, keep: 0.8 },
  { clientId: 'sparse', scale: 'steps', offset: 0, keep: 0.02 },
];
const WINDOWS = 400;
const CORES = 3;

/** One random window; counts from 1 to about 1e6, spread over the orders of magnitude. */
function randomPoint(next: () => number, base: Partial<SeriesPoint> & { windowStart: number }, scale: Scale) {
  const large = scale === 'large';
  const mean = large ? 1e9 + next() * 1e-2 : scale === 'steps' ? Math.floor(next() * 4) / 4 : next();
  const spread = large ? next() * 1e-3 : next() * 0.1;
  return point({
    ...base,
    count: Math.max(1, Math.floor(10 ** (next() * 6))),
    mean,
    variance: large ? next() * 1e-6 : next() * 0.01,
    min: mean - spread,
    max: mean + next() * spread,
  });
}

/**
 * The windows of every client: one series of the overall metric and `CORES` of the per-core one, with gaps.
 * A window's start decides where it is written: before the merge (the first 30 %), after it (the last
 * 30 %), or either (between), so that many groups pool windows of both the store's parts and some of one.
 */
function randomWindows(next: () => number) {
  const before: SeriesPoint[] = [];
  const after: SeriesPoint[] = [];
  for (const { clientId, scale, offset, keep } of CLIENTS) {
    for (const core of [null, ...Array.from({ length: CORES }, (_, i) => i)]) {
      const metric = core === null ? 'CPU_UTILIZATION' : 'CPU_CORE_UTILIZATION';
      for (let i = 0; i < WINDOWS; i += 1) {
        if (next() >= keep) continue;
        const p = randomPoint(
          next,
          { clientId, metric, core, windowStart: T0 + offset + i * 10 * SECOND },
          scale,
        );
        (i < 0.3 * WINDOWS || (i < 0.7 * WINDOWS && next() < 0.5) ? before : after).push(p);
      }
    }
  }
  return { before, after };
}

describe('aggregateWindows: the numbers of the SQL path', () => {
  it('answers every aggregate of history and summaries as the store does, over both its parts', async () => {
    const next = random(42);
    const written = new Written();
    const { before, after } = randomWindows(next);
    await written.write(before);
    expect(await store.merge()).toBe(before.length);
    // Some merged windows are written again: the newer copy (in the inbox) replaces the merged one.
    const rewritten = before
      .filter(() => next() < 0.05)
      .map((p) => randomPoint(next, { ...p }, p.mean > 2 ? 'large' : 'ratio'));
    await written.write([...after, ...rewritten]);

    const end = T0 + WINDOWS * 10 * SECOND;
    // 3 s and 7 s do not divide the windows' 10 s; a client's history at 3 s has over 1,024 buckets (the
    // SQL path read it by another statement than the other widths).
    const widths = [3 * SECOND, 7 * SECOND, 45 * SECOND, 15 * MINUTE];
    const cpu = { metric: 'CPU_UTILIZATION', core: null } as const;
    const cores = { metric: 'CPU_CORE_UTILIZATION' } as const;
    const selectors = [
      select({ ...cpu, clientId: 'a', from: T0 - MINUTE, to: end }),
      select({ ...cpu, clientId: null, from: T0 + 7 * SECOND, to: T0 + 61 * MINUTE + 3 * SECOND }),
      select({ ...cpu, clientId: 'sparse', from: T0, to: end }),
      select({ ...cpu, clientId: '\u{1f600}', from: T0 + 20 * MINUTE, to: end }),
      select({ ...cores, clientId: 'b', core: 1, from: T0, to: end }),
      select({ ...cores, clientId: null, core: 0, from: T0 + 11 * SECOND, to: end - 13 * SECOND }),
      select({ ...cores, clientId: null, core: null, from: T0, to: end }),
      select({ ...cores, clientId: '\u00ff', core: null, from: T0 + 5 * MINUTE, to: T0 + 50 * MINUTE }),
      select({ ...cpu, clientId: 'nobody', from: T0, to: end }),
    ];
    let answered = 0;
    for (const selector of selectors) answered += await compare(written, selector, widths);
    expect(answered).toBeGreaterThan(10_000);
  });

  it('compensates its sums as SQLite does, where a plain sum would cancel', async () => {
    const written = new Written();
    // In one bucket: 1e16 + 1 rounds to 1e16 in a plain sum, and the 1 is lost once −1e16 is added.
    await written.write(
      [1e16, 1, -1e16].map((mean, i) =>
        point({ clientId: `c${i}`, windowStart: T0 + i * SECOND, mean, min: mean, max: mean, count: 1 }),
      ),
    );
    const selector = select({ clientId: null, from: T0, to: T0 + MINUTE });
    const [bucket] = aggregateWindows(written.select(selector), { by: 'bucket', width: MINUTE }, 'MEAN');
    expect(bucket?.mean).toBe(1 / 3);
    expect(await compare(written, selector, [MINUTE])).toBe(aggregates.length * 4);
  });

  it('answers a group of one window with its own numbers, and LAST with the largest mean of the latest start', async () => {
    // Pooled, this window's mean would be 3 × 0.7 / 3 = 0.6999999999999998, and its variance would gain
    // the difference squared (1.2e-32): the store answers the window's own numbers, and so must this.
    const one = { count: 3, mean: 0.7, variance: 1e-33, min: 0.1, max: 0.9 };
    await store.write([point({ clientId: 'b', windowStart: 0, ...one })]);
    const [stored] = await store.history(select({ clientId: 'b', from: 0, to: MINUTE }), MINUTE, 'MEAN');
    expect(stored).toEqual({ start: 0, ...one, value: 0.7 });
    const windows = (rows: number[][]) => new Float64Array(rows.flat());
    const series: SeriesWindows[] = [
      { clientId: 'b', windows: windows([[0, 10_000, one.count, one.mean, one.variance, one.min, one.max]]) },
      {
        clientId: 'a',
        windows: windows([
          [20_000, 30_000, 2, 0.7, 0.01, 0.6, 0.8],
          [40_000, 50_000, 1, 0.2, 0, 0.2, 0.2],
        ]),
      },
      { clientId: 'c', windows: windows([[40_000, 50_000, 1, 0.4, 0, 0.4, 0.4]]) },
    ];
    const [first] = aggregateWindows(series.slice(0, 1), { by: 'bucket', width: MINUTE }, 'MEAN');
    expect(first).toEqual({ grp: 0, ...one, value: 0.7 });
    const groups = aggregateWindows(series, { by: 'bucket', width: MINUTE }, 'LAST');
    expect(groups.map(({ grp, count, value }) => [grp, count, value])).toEqual([[0, 7, 0.4]]);
    // A variance below 0 (rounding in an agent's arithmetic) is answered as 0, as `pooled()` does.
    const negative = [{ clientId: 'd', windows: windows([[0, 10_000, 1, 0.5, -1e-18, 0.5, 0.5]]) }];
    expect(aggregateWindows(negative, { by: 'client' }, 'MAX')[0]?.variance).toBe(0);
    expect(aggregateWindows(series, { by: 'client' }, 'COUNT').map((g) => g.grp)).toEqual(['a', 'b', 'c']);
    expect(aggregateWindows([], { by: 'client' }, 'MEDIAN')).toEqual([]);
    // SQLite's `%` takes a width's integer part: a width below 1 would give NULL buckets.
    expect(aggregateWindows(series, { by: 'bucket', width: MINUTE + 0.9 }, 'COUNT')).toEqual(
      aggregateWindows(series, { by: 'bucket', width: MINUTE }, 'COUNT'),
    );
    expect(() => aggregateWindows(series, { by: 'bucket', width: 0.5 }, 'MEAN')).toThrow(RangeError);
  });

  it('puts windows before 1970 in the buckets of SQL, whose `%` truncates toward zero', async () => {
    const written = new Written();
    const starts = [-35, -25, -20, -15, -5, 0, 5, 15, 25].map((s) => s * SECOND);
    await written.write(
      starts.flatMap((windowStart, i) =>
        ['a', 'b'].map((clientId, c) => point({ clientId, windowStart, mean: i + c / 2, count: 1 + c })),
      ),
    );
    const selector = select({ clientId: null, from: -MINUTE, to: MINUTE });
    // Bucket 0 holds the starts from −19 s to 19 s: −15 % 20 is −15, not 5 (a floored modulo).
    const buckets = aggregateWindows(written.select(selector), { by: 'bucket', width: 20 * SECOND }, 'COUNT');
    expect(buckets.map(({ grp, count }) => [grp, count])).toEqual([
      [-20 * SECOND, 9],
      [0, 15],
      [20 * SECOND, 3],
    ]);
    expect(await compare(written, selector, [20 * SECOND, 7 * SECOND])).toBe(aggregates.length * (3 + 6 + 2));
  });

  it('ranks as a sort does, on means sorted, reversed, equal, few distinct or random', () => {
    const next = random(3);
    const orders: ((i: number, n: number) => number)[] = [
      (i) => i,
      (i, n) => n - i,
      () => 0.5,
      () => Math.floor(next() * 3),
      (i, n) => Math.min(i, n - i),
      () => next(),
    ];
    // reads.ts's `RANKED` over the sorted means.
    const nearest = (sorted: number[], p: number) =>
      sorted[Math.min(Math.max(Math.floor((sorted.length * p) / 100 + 0.5) - 1, 0), sorted.length - 1)];
    const median = (sorted: number[]) => {
      const mid = sorted.length >> 1;
      const [low, high] = [sorted[mid - 1] as number, sorted[mid] as number];
      return sorted.length % 2 === 1 ? high : low + (high - low) / 2;
    };
    for (const order of orders) {
      for (const n of [1, 2, 3, 10, 99, 100, 5_000]) {
        const means = Array.from({ length: n }, (_, i) => order(i, n));
        const windows = new Float64Array(means.flatMap((mean, i) => [i, i + 1, 1, mean, 0, mean, mean]));
        const sorted = [...means].sort((a, b) => a - b);
        const value = (aggregate: Aggregate) =>
          aggregateWindows([{ clientId: 'a', windows }], { by: 'client' }, aggregate)[0]?.value;
        expect([value('MEDIAN'), value('P90'), value('P95'), value('P99')]).toEqual([
          median(sorted),
          nearest(sorted, 90),
          nearest(sorted, 95),
          nearest(sorted, 99),
        ]);
      }
    }
  });
});
