import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RunningStats, WindowAggregator } from '../src/aggregator.js';

/** The naive two-pass computation the aggregator must agree with. */
function twoPass(samples: number[]) {
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  const variance = samples.reduce((s, x) => s + (x - mean) ** 2, 0) / samples.length;
  const min = samples.reduce((m, x) => Math.min(m, x), Number.POSITIVE_INFINITY);
  const max = samples.reduce((m, x) => Math.max(m, x), Number.NEGATIVE_INFINITY);
  return { count: samples.length, mean, variance, min, max };
}

/** Equal within `tolerance`, and within 1e-300 (subnormal samples have no relative precision to keep). */
function close(actual: number, expected: number, tolerance: number) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance + 1e-300);
}

function check(samples: number[]) {
  const running = new RunningStats();
  for (const x of samples) running.add(x);
  const stats = running.stats();
  const expected = twoPass(samples);
  // Mean errors scale with the samples' magnitude; variance errors with the squared spread around the mean,
  // plus the mean's own rounding (a few ulps of the magnitude) times the spread. Σx² − n·mean² would instead
  // be off by ulps of magnitude², which the large-values property would catch.
  const magnitude = samples.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const spread = samples.reduce((m, x) => Math.max(m, Math.abs(x - expected.mean)), 0);
  // The reference is not exact either: with its rounded mean m, Σ(x − m)²/n = σ² + (m − x̄)², and m is off by
  // up to n ulps of the magnitude. For equal samples that is all there is (Welford rightly gives 0).
  const referenceError = (samples.length * Number.EPSILON * magnitude) ** 2;
  expect(stats?.count).toBe(expected.count);
  expect(stats?.min).toBe(expected.min);
  expect(stats?.max).toBe(expected.max);
  close(stats?.mean as number, expected.mean, 1e-9 * magnitude);
  close(
    stats?.variance as number,
    expected.variance,
    1e-9 * spread * spread + 16 * Number.EPSILON * magnitude * spread + referenceError,
  );
}

describe('RunningStats (Welford)', () => {
  it('agrees with a two-pass computation on random ratios (CPU utilisation)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 500 }),
        check,
      ),
      { numRuns: 300 },
    );
  });

  it('agrees on large values with a small spread (memory in bytes), where Σx² − n·mean² would cancel', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e9, max: 1e13, noNaN: true }),
        fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 2, maxLength: 300 }),
        (level, offsets) => check(offsets.map((d) => level + d)),
      ),
      { numRuns: 200 },
    );
  });

  it('agrees on equal samples whose two-pass mean rounds (fast-check seed 1714627898)', () => {
    // 130 equal tiny samples: the reference's summed mean is a few ulps off, so its variance is ~1e-283.
    const samples = Array.from({ length: 130 }, () => 1.785e-127 * 0.5);
    const running = new RunningStats();
    for (const x of samples) running.add(x);
    expect(running.stats()?.variance).toBe(0);
    check(samples);
  });

  it('agrees over long windows (the original cadence and far beyond: 100 to 200,000 samples)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 200_000 }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (n, level, seed) => {
          let a = seed;
          const next = () => {
            a = (a * 16807) % 2147483647;
            return a / 2147483647;
          };
          check(Array.from({ length: n }, () => level * (0.5 + next())));
        },
      ),
      { numRuns: 20 },
    );
  });

  it('gives a constant series zero variance, and refuses NaN and infinities', () => {
    const running = new RunningStats();
    for (let i = 0; i < 1000; i += 1) running.add(0.1);
    expect(running.stats()).toEqual({ count: 1000, mean: 0.1, variance: 0, min: 0.1, max: 0.1 });
    expect(() => running.add(Number.NaN)).toThrow(RangeError);
    expect(() => running.add(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(running.count).toBe(1000);
    expect(new RunningStats().stats()).toBeNull();
  });
});

describe('WindowAggregator', () => {
  it('keeps series apart, closes them all at once, and starts an empty window', () => {
    const windows = new WindowAggregator();
    for (const x of [0.2, 0.4, 0.6]) windows.add('cpu', x);
    windows.add('load1', 1.5);
    const closed = windows.close();
    expect([...closed.keys()]).toEqual(['cpu', 'load1']);
    expect(closed.get('cpu')?.count).toBe(3);
    expect(closed.get('cpu')?.mean).toBeCloseTo(0.4, 15);
    expect(closed.get('cpu')?.variance).toBeCloseTo(0.08 / 3, 15);
    expect(closed.get('load1')).toEqual({ count: 1, mean: 1.5, variance: 0, min: 1.5, max: 1.5 });
    expect(windows.close().size).toBe(0);
  });
});
