import type { Aggregate, PooledStats } from '@metrics-collector/schema/metrics/types';
import { aggregateValue } from '@metrics-collector/schema/metrics/types';
import { WINDOW_NUMBERS } from './blocks.js';

/*
 * History and summaries computed in JavaScript from decoded windows, with the numbers of the SQL path in
 * reads.ts (`SqliteMetricReads`): the same groups in their order, pooled statistics, LAST and ranked
 * values. Windows are read in place, packed: the passes allocate per group, never per window.
 */

// Windows are packed as blocks hold them (blocks.ts): start, end, count, mean, variance, min, max.
export { WINDOW_NUMBERS };

const [START, COUNT, MEAN, VARIANCE, MIN, MAX] = [0, 2, 3, 4, 5, 6];

/** One series' windows: sorted by start ascending, unique starts, already restricted to the query's [from, to). */
export interface SeriesWindows {
  clientId: string;
  windows: Float64Array;
}

/** History groups by bucket (`width` ms, as `history`'s resample), a summary by client. */
export type Grouping = { by: 'bucket'; width: number } | { by: 'client' };

/** One group's pooled statistics; `grp` is the bucket start or the client id. */
export interface AggregatedGroup extends PooledStats {
  grp: number | string;
}

/**
 * The non-empty groups of the windows of `series`, in SQL's order (`ORDER BY grp`), each with the
 * statistics and `aggregate` value that the SQL path in reads.ts answers for the same windows.
 */
export function aggregateWindows(
  series: readonly SeriesWindows[],
  grouping: Grouping,
  aggregate: Aggregate,
): AggregatedGroup[] {
  const groups = groupsOf(series, grouping);
  const sums = groupSums(groups.capacity);
  const of = addWindows(series, groups, sums);
  addSpreads(series, of, sums);
  const rank = RANKED[aggregate];
  const ranked = rank ? rankedValues(series, of, sums.windows, rank) : null;
  return groups.ordered(sums.windows).map(([grp, g]) => {
    const stats = pooledStats(sums, g);
    const value = aggregate === 'LAST' ? sums.lastMean[g] : ranked?.[g];
    return { grp, ...stats, value: aggregateValue(stats, aggregate, value) };
  });
}

/**
 * The groups met, each an index into the arrays of `GroupSums`. A history's buckets (`width` ms; 0 for
 * clients) between the first and the last have one each, found by arithmetic (`first`, the first one's
 * start), unless there would be many more than windows, or starts below 0: then they are looked up by key.
 */
class Groups {
  readonly #index = new Map<number | string, number>();
  /** Where the run of windows in the group last found ends: the start they stay below. */
  below = Number.POSITIVE_INFINITY;

  constructor(
    readonly capacity: number,
    readonly width = 0,
    readonly first = -1,
  ) {}

  /**
   * The group of `start - start % width`, SQL's bucket (`%` truncates toward zero). From 0 up a bucket is
   * [key, key + width), a run of a series' windows; below 0 it reaches both ways: a run of one window.
   */
  bucket(start: number): number {
    const { width, first } = this;
    if (first < 0) {
      const key = start - (start % width);
      this.below = start >= 0 ? key + width : start;
      return this.find(key);
    }
    // A division rather than `%`, which costs more than all the rest for a window alone in its bucket.
    const offset = start - first;
    let g = Math.floor(offset / width);
    // The quotient may round up to the next integer: q · width ≤ offset < (q + 1) · width, exactly.
    if (g * width > offset) g -= 1;
    this.below = first + (g + 1) * width;
    return g;
  }

  find(key: number | string): number {
    const g = this.#index.get(key) ?? this.#index.size;
    if (g === this.#index.size) this.#index.set(key, g);
    return g;
  }

  /** The keys and indices of the groups holding windows, in SQL's order (`ORDER BY grp`). */
  ordered(windows: Int32Array): [number | string, number][] {
    if (this.first < 0) return [...this.#index].sort(([a], [b]) => compareGroups(a, b));
    const groups: [number, number][] = [];
    for (let g = 0; g < this.capacity; g += 1) if (windows[g]) groups.push([this.first + g * this.width, g]);
    return groups;
  }
}

/** A summary's groups, or a history's (SQL's `%` takes a width's integer part; below 1, NULL buckets). */
function groupsOf(series: readonly SeriesWindows[], grouping: Grouping): Groups {
  if (grouping.by === 'client') return new Groups(series.length);
  const width = Math.trunc(grouping.width);
  if (!(width >= 1)) throw new RangeError(`buckets of ${grouping.width} ms: at least 1 ms expected`);
  let [windows, first, last] = [0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const s of series) {
    if (s.windows.length === 0) continue;
    windows += s.windows.length / WINDOW_NUMBERS;
    first = Math.min(first, s.windows[START] as number);
    last = Math.max(last, s.windows[s.windows.length - WINDOW_NUMBERS + START] as number);
  }
  const [from, to] = [first - (first % width), last - (last % width)];
  const dense = first >= 0 && Number.isSafeInteger(last) && (to - from) / width < 2 * windows + 64;
  return dense ? new Groups((to - from) / width + 1, width, from) : new Groups(windows, width);
}

/** Per group, what the SQL statements aggregate, in typed arrays indexed by group. */
function groupSums(size: number) {
  const floats = (fill = 0) => new Float64Array(size).fill(fill);
  return {
    /** Windows (`count(*)`). */
    windows: new Int32Array(size),
    /** Observations (`sum(n)`): integers, exact below 2^53 as SQLite's integer sum is. */
    count: floats(),
    /** `sum(n * m)`, then `sum(n * (v + (m - M)²))`, compensated (KBN) as SQLite's: sums and error terms. */
    weighted: floats(),
    weightedErr: floats(),
    spread: floats(),
    spreadErr: floats(),
    /** The pooled mean `M`, once the first pass is done. */
    mean: floats(),
    min: floats(Number.POSITIVE_INFINITY),
    max: floats(Number.NEGATIVE_INFINITY),
    /** LAST: the latest start, and the largest mean among the windows starting then (InfluxQL's last()). */
    lastStart: floats(Number.NEGATIVE_INFINITY),
    lastMean: floats(Number.NEGATIVE_INFINITY),
    /** The last window's variance: a group of one window answers its own numbers (`lastMean` its mean). */
    oneVariance: floats(),
  };
}
type GroupSums = ReturnType<typeof groupSums>;

/**
 * The first pass: counts, `sum(n * m)`, extremes, LAST, then each group's pooled mean `sum(n * m) / sum(n)`;
 * returns each window's group. A series' windows are taken a run of one group at a time (its windows in a
 * bucket, or all of them for a summary), summed in locals, and the run's sums added to its group's once.
 */
function addWindows(series: readonly SeriesWindows[], groups: Groups, sums: GroupSums): Int32Array {
  let total = 0;
  for (const { windows } of series) total += windows.length / WINDOW_NUMBERS;
  const of = new Int32Array(total);
  let w = 0;
  for (const s of series) {
    const windows = s.windows;
    for (let o = 0; o < windows.length; ) {
      const g = groups.width === 0 ? groups.find(s.clientId) : groups.bucket(windows[o + START] as number);
      const below = groups.below;
      let k = 0;
      let n = 0;
      let sum = 0;
      let err = 0;
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      do {
        const count = windows[o + COUNT] as number;
        const x = count * (windows[o + MEAN] as number);
        // A step of SQLite's sum(), as `kbnAdd`: a group of one run ends as SQLite sums the same windows.
        const t = sum + x;
        err += Math.abs(sum) > Math.abs(x) ? sum - t + x : x - t + sum;
        sum = t;
        n += count;
        lo = Math.min(lo, windows[o + MIN] as number);
        hi = Math.max(hi, windows[o + MAX] as number);
        k += 1;
        of[w] = g;
        w += 1;
        o += WINDOW_NUMBERS;
      } while (o < windows.length && (windows[o + START] as number) < below);
      sums.windows[g] = (sums.windows[g] as number) + k;
      sums.count[g] = (sums.count[g] as number) + n;
      kbnAdd(sums.weighted, sums.weightedErr, g, sum, err);
      sums.min[g] = Math.min(sums.min[g] as number, lo);
      sums.max[g] = Math.max(sums.max[g] as number, hi);
      // The run's last window: its latest (a series' starts are unique), and the group's, if alone in it.
      const last = o - WINDOW_NUMBERS;
      const start = windows[last + START] as number;
      if (start >= (sums.lastStart[g] as number)) {
        const mean = windows[last + MEAN] as number;
        const tied = start === sums.lastStart[g];
        sums.lastMean[g] = tied ? Math.max(mean, sums.lastMean[g] as number) : mean;
        sums.lastStart[g] = start;
      }
      sums.oneVariance[g] = windows[last + VARIANCE] as number;
    }
  }
  for (let g = 0; g < sums.mean.length; g += 1)
    sums.mean[g] = kbnTotal(sums.weighted, sums.weightedErr, g) / (sums.count[g] as number);
  return of;
}

/**
 * The second pass: each window's observations around its group's pooled mean (law of total variance),
 * which stays exact for large values with a small spread where a one-pass Σx² would cancel.
 */
function addSpreads(series: readonly SeriesWindows[], of: Int32Array, sums: GroupSums): void {
  let w = 0;
  for (const { windows } of series) {
    for (let o = 0; o < windows.length; o += WINDOW_NUMBERS) {
      const g = of[w] as number;
      w += 1;
      const d = (windows[o + MEAN] as number) - (sums.mean[g] as number);
      const x = (windows[o + COUNT] as number) * ((windows[o + VARIANCE] as number) + d * d);
      kbnAdd(sums.spread, sums.spreadErr, g, x, 0);
    }
  }
}

/** A group's statistics as `pooled()` in reads.ts returns them: the variance clamped at 0. */
function pooledStats(sums: GroupSums, g: number): Omit<PooledStats, 'value'> {
  const one = sums.windows[g] === 1;
  const count = sums.count[g] as number;
  const variance = one ? (sums.oneVariance[g] as number) : kbnTotal(sums.spread, sums.spreadErr, g) / count;
  return {
    count,
    mean: (one ? sums.lastMean[g] : sums.mean[g]) as number,
    variance: Math.max(0, variance),
    min: sums.min[g] as number,
    max: sums.max[g] as number,
  };
}

/**
 * Adds `sum` to group `g`'s compensated sum by a step of SQLite's sum() (func.c, kahanBabuskaNeumaierStep,
 * the same operations in order), and `err`, the error term of a run's own compensated sum, if any.
 */
function kbnAdd(sums: Float64Array, errs: Float64Array, g: number, sum: number, err: number): void {
  const s = sums[g] as number;
  const t = s + sum;
  errs[g] = (errs[g] as number) + (Math.abs(s) > Math.abs(sum) ? s - t + sum : sum - t + s) + err;
  sums[g] = t;
}

/** A compensated sum's result, as SQLite's sumFinalize: the error term is dropped if it overflowed. */
function kbnTotal(sums: Float64Array, errs: Float64Array, g: number): number {
  const e = errs[g] as number;
  return Number.isFinite(e) ? (sums[g] as number) + e : (sums[g] as number);
}

/**
 * MEDIAN or a percentile of each group's window means: the means are placed group by group in one array
 * (a counting sort by group; `windows` holds each group's size), and each group's run is ranked in place.
 */
function rankedValues(series: readonly SeriesWindows[], of: Int32Array, windows: Int32Array, rank: Rank) {
  const begin = new Int32Array(windows.length + 1);
  for (let g = 0; g < windows.length; g += 1) begin[g + 1] = (begin[g] as number) + (windows[g] as number);
  const next = begin.slice();
  const means = new Float64Array(of.length);
  let w = 0;
  for (const { windows: packed } of series) {
    for (let o = 0; o < packed.length; o += WINDOW_NUMBERS) {
      const g = of[w] as number;
      w += 1;
      means[next[g] as number] = packed[o + MEAN] as number;
      next[g] = (next[g] as number) + 1;
    }
  }
  const values = new Float64Array(windows.length);
  for (let g = 0; g < windows.length; g += 1)
    if (windows[g]) values[g] = rank(means, begin[g] as number, begin[g + 1] as number);
  return values;
}

/** SQLite's order of group keys: numbers ascending, text by UTF-8 bytes (its BINARY collation). */
export function compareGroups(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const [x, y] = [String(a), String(b)];
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const [p, q] = [x.charCodeAt(i), y.charCodeAt(i)];
    if (p !== q) return utf8Rank(p) - utf8Rank(q);
  }
  return x.length - y.length;
}

/** A UTF-16 unit's place in UTF-8 order: surrogates (code points from U+10000 up) after U+E000–U+FFFF. */
const utf8Rank = (unit: number) => (unit < 0xd800 ? unit : unit < 0xe000 ? unit + 0x2000 : unit - 0x800);

/** A ranked aggregate of the means `means[begin..end)`, in any order; it may reorder them. */
export type Rank = (means: Float64Array, begin: number, end: number) => number;

/** InfluxQL's nearest-rank percentile, as reads.ts's `RANKED` takes it from the sorted means. */
const percentile =
  (p: number): Rank =>
  (means, begin, end) => {
    const i = Math.floor(((end - begin) * p) / 100 + 0.5) - 1;
    return nth(means, begin, end, Math.min(Math.max(i, 0), end - begin - 1));
  };

/** reads.ts's `RANKED`, the ranks picked by selection: a sort cost more than all the rest together. */
export const RANKED: Partial<Record<Aggregate, Rank>> = {
  MEDIAN: (means, begin, end) => {
    const mid = (end - begin) >> 1;
    const high = nth(means, begin, end, mid);
    if ((end - begin) % 2 === 1) return high;
    // The rank below `mid`: the largest of the means `nth` left before it. Then low + (high − low) / 2, as
    // InfluxQL's median() computes it, so that both stores agree to the bit.
    let low = Number.NEGATIVE_INFINITY;
    for (let i = begin; i < begin + mid; i += 1) low = Math.max(low, means[i] as number);
    return low + (high - low) / 2;
  },
  P90: percentile(90),
  P95: percentile(95),
  P99: percentile(99),
};

/**
 * The `k`-th smallest (from 0) of `a[begin..end)`, the smaller ones left before it: quickselect (Hoare's
 * partition, which splits runs of equal means evenly), sorting what remains if the splits stay uneven.
 */
function nth(a: Float64Array, begin: number, end: number, k: number): number {
  const target = begin + k;
  let left = begin;
  let right = end - 1;
  for (let budget = 2 * Math.log2(end - begin + 1) + 16; right > left; budget -= 1) {
    if (budget < 0) return a.subarray(left, right + 1).sort()[target - left] as number;
    const x = a[left] as number;
    const y = a[(left + right) >>> 1] as number;
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), a[right] as number));
    let i = left;
    let j = right;
    while (i <= j) {
      while ((a[i] as number) < pivot) i += 1;
      while ((a[j] as number) > pivot) j -= 1;
      if (i <= j) {
        const swap = a[i] as number;
        a[i] = a[j] as number;
        a[j] = swap;
        i += 1;
        j -= 1;
      }
    }
    // a[left..j] ≤ pivot ≤ a[i..right], and what lies between equals the pivot.
    if (target <= j) right = j;
    else if (target >= i) left = i;
    else return pivot;
  }
  return a[target] as number;
}
