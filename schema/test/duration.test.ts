import { formatDuration } from '@metrics-collector/common/duration';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/duration.js';
import { AppError } from '../src/errors.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['1h30m', 5_400_000],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text, 'resample')).toBe(ms);
    expect(parseDuration(formatDuration(ms), 'resample')).toBe(ms);
  });

  it.each(['', '15', 'm', '1.5h', '-1m', '0s', '15 m', '1y', '1h 30m', 'h1', `${'9'.repeat(30)}d`])(
    'rejects %j naming the field',
    (text) => {
      const error = (() => {
        try {
          parseDuration(text, 'resample_rate');
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('INVALID_DURATION');
      expect((error as AppError).message).toMatch(/^resample_rate: /);
    },
  );

  it('formats with the largest exact unit', () => {
    expect(formatDuration(900_000)).toBe('15m');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(86_400_000)).toBe('1d');
  });
});
