import { describe, expect, it } from 'vitest';
import { durationUnits, formatDuration, parseDurationMs } from '../src/duration.js';

describe('the duration grammar', () => {
  it.each([
    ['0ms', 0],
    ['0s', 0],
    ['500ms', 500],
    ['1s', 1_000],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['1h30m', 5_400_000],
    ['1m1ms', 60_001],
    ['1d12h', 129_600_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each([
    '',
    '15',
    'm',
    '1.5h',
    '-1m',
    '15 m',
    ' 1h',
    '1h ',
    '1h 30m',
    '1y',
    'h1',
    '5 minutes',
    'soon',
    `${'9'.repeat(30)}d`,
  ])('rejects %j', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });

  it('is not fooled by a previous call (the term pattern is sticky)', () => {
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('30m1h?')).toBeUndefined();
    expect(parseDurationMs('5s')).toBe(5_000);
  });

  it('formats with the largest exact unit, and reads back what it formats', () => {
    expect(formatDuration(900_000)).toBe('15m');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(1_209_600_000)).toBe('2w');
    for (const ms of [1, 999, 1_000, 61_000, 5_400_000, 604_800_000, 3 * 604_800_000 + 1]) {
      expect(parseDurationMs(formatDuration(ms))).toBe(ms);
    }
    expect(Object.keys(durationUnits)).toEqual(['ms', 's', 'm', 'h', 'd', 'w']);
  });
});
