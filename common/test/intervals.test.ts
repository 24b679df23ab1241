import { expect, it } from 'vitest';
import {
  commandIntervalRanges,
  inIntervalRange,
  reportIntervalRange,
  samplingIntervalRange,
} from '../src/intervals.js';

it('bounds the sampling interval to 50 ms .. 1 h and the report interval to 1 s .. 1 h', () => {
  expect(samplingIntervalRange).toEqual({ min: 50, max: 3_600_000 });
  expect(reportIntervalRange).toEqual({ min: 1_000, max: 3_600_000 });
  expect(commandIntervalRanges).toEqual({
    SET_SAMPLING_INTERVAL: samplingIntervalRange,
    SET_REPORT_INTERVAL: reportIntervalRange,
  });
});

it('takes whole milliseconds within the bounds, both ends included', () => {
  expect([50, 51, 3_600_000].map((ms) => inIntervalRange(ms, samplingIntervalRange))).toEqual([
    true,
    true,
    true,
  ]);
  expect(
    [49, 3_600_001, 50.5, Number.NaN, Number.POSITIVE_INFINITY].map((ms) =>
      inIntervalRange(ms, samplingIntervalRange),
    ),
  ).toEqual([false, false, false, false, false]);
});
