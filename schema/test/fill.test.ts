import { describe, expect, it } from 'vitest';
import { fillBuckets } from '../src/history/service.js';
import type { Bucket } from '../src/metrics/types.js';

const bucket = (start: number, value: number): Bucket => ({
  start,
  value,
  count: 1,
  mean: value,
  variance: 0,
  min: value,
  max: value,
});

// Grid of 10 ms buckets over [0, 60): stored values at 10 and 40 only.
const stored = [bucket(10, 1), bucket(40, 4)];
const range = { from: 0, to: 60 };
const values = (fill: Parameters<typeof fillBuckets>[3]) =>
  fillBuckets(stored, range, 10, fill).map((p) => [p.time.getTime(), p.value]);

describe('fill', () => {
  it('NONE omits empty buckets', () => {
    expect(values('NONE')).toEqual([
      [10, 1],
      [40, 4],
    ]);
  });
  it('NULL gives every bucket, empty ones null with count 0', () => {
    expect(values('NULL')).toEqual([
      [0, null],
      [10, 1],
      [20, null],
      [30, null],
      [40, 4],
      [50, null],
    ]);
    expect(fillBuckets(stored, range, 10, 'NULL')[2]).toMatchObject({ count: 0, mean: null, variance: null });
  });
  it('ZERO gives 0', () => {
    expect(values('ZERO').map(([, v]) => v)).toEqual([0, 1, 0, 0, 4, 0]);
  });
  it('PREVIOUS repeats the last value before, nothing before the first', () => {
    expect(values('PREVIOUS').map(([, v]) => v)).toEqual([null, 1, 1, 1, 4, 4]);
  });
  it('LINEAR interpolates between neighbours and leaves the edges null', () => {
    expect(values('LINEAR').map(([, v]) => v)).toEqual([null, 1, 2, 3, 4, null]);
  });
  it('starts the grid at the epoch-aligned bucket holding `from`', () => {
    const points = fillBuckets([], { from: 7, to: 31 }, 10, 'NULL');
    expect(points.map((p) => p.time.getTime())).toEqual([0, 10, 20, 30]);
  });
});
