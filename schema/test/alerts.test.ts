import { describe, expect, it } from 'vitest';
import { type AlertRuleInput, validateAlertRule } from '../src/alerts/service.js';
import { reportValue, stepNoData, stepThreshold } from '../src/alerts/state-machine.js';
import type { AlertComparator, AlertState } from '../src/alerts/types.js';
import { AppError } from '../src/errors.js';
import { defaultLimits } from '../src/limits.js';
import type { SeriesPoint } from '../src/metrics/types.js';

const rule = {
  comparator: 'ABOVE' as AlertComparator,
  threshold: 0.8,
  recoveryThreshold: 0.6 as number | null,
  forSeconds: 10,
};

/** Feeds `(end seconds, value)` reports through the machine; returns every transition as `[end, state]`. */
function run(r: typeof rule, reports: [number, number][]): [number, AlertState][] {
  let current: { state: AlertState; since: number } | null = null;
  const seen: [number, AlertState][] = [];
  for (const [end, value] of reports) {
    const at = end * 1_000;
    for (const state of stepThreshold(r, current, value, at)) {
      seen.push([end, state]);
      current = { state, since: at };
    }
  }
  return seen;
}

describe('stepThreshold', () => {
  it('PENDING at the first breach, FIRING once forSeconds of report time passed, hysteresis on the way back', () => {
    expect(
      run(rule, [
        [10, 0.9],
        [15, 0.9],
        [20, 0.9],
        [30, 0.7],
        [40, 0.6],
      ]),
    ).toEqual([
      [10, 'PENDING'],
      [20, 'FIRING'],
      [40, 'RESOLVED'],
    ]);
  });

  it('resolves at the threshold itself without a recovery threshold', () => {
    expect(
      run({ ...rule, recoveryThreshold: null }, [
        [10, 0.9],
        [20, 0.9],
        [30, 0.8],
      ]),
    ).toEqual([
      [10, 'PENDING'],
      [20, 'FIRING'],
      [30, 'RESOLVED'],
    ]);
  });

  it('goes back to OK when the breach ends first; RESOLVED behaves as OK', () => {
    expect(
      run(rule, [
        [10, 0.9],
        [15, 0.8],
        [20, 0.9],
        [30, 0.95],
        [40, 0.1],
        [50, 0.9],
      ]),
    ).toEqual([
      [10, 'PENDING'],
      [15, 'OK'],
      [20, 'PENDING'],
      [30, 'FIRING'],
      [40, 'RESOLVED'],
      [50, 'PENDING'],
    ]);
  });

  it('fires at once with forSeconds 0, and compares BELOW the other way', () => {
    expect(run({ ...rule, forSeconds: 0 }, [[10, 0.9]])).toEqual([
      [10, 'PENDING'],
      [10, 'FIRING'],
    ]);
    const below = { comparator: 'BELOW' as const, threshold: 0.2, recoveryThreshold: 0.3, forSeconds: 0 };
    expect(
      run(below, [
        [10, 0.1],
        [20, 0.25],
        [30, 0.3],
      ]),
    ).toEqual([
      [10, 'PENDING'],
      [10, 'FIRING'],
      [30, 'RESOLVED'],
    ]);
  });
});

describe('stepNoData', () => {
  it('fires when silent, stays, resolves on a report', () => {
    expect(stepNoData(null, false)).toEqual([]);
    expect(stepNoData(null, true)).toEqual(['FIRING']);
    expect(stepNoData({ state: 'FIRING' }, true)).toEqual([]);
    expect(stepNoData({ state: 'FIRING' }, false)).toEqual(['RESOLVED']);
    expect(stepNoData({ state: 'RESOLVED' }, true)).toEqual(['FIRING']);
  });
});

describe('reportValue', () => {
  const point = (metric: SeriesPoint['metric'], mean: number, core: number | null = null): SeriesPoint => ({
    clientId: 'a',
    metric,
    core,
    mean,
    variance: 0,
    min: mean,
    max: mean,
    windowStart: 0,
    windowEnd: 10_000,
    count: 1,
  });
  const points = [
    point('CPU_UTILIZATION', 0.5),
    point('CPU_CORE_UTILIZATION', 0.2, 0),
    point('CPU_CORE_UTILIZATION', 0.7, 1),
    point('CPU_CORE_UTILIZATION', 0.4, 2),
  ];

  it("takes the window mean, the busiest core's for CPU_CORE_UTILIZATION, null when absent", () => {
    expect(reportValue(points, 'CPU_UTILIZATION')).toBe(0.5);
    expect(reportValue(points, 'CPU_CORE_UTILIZATION')).toBe(0.7);
    expect(reportValue(points, 'MEMORY_USED_RATIO')).toBeNull();
  });
});

describe('validateAlertRule', () => {
  const valid: AlertRuleInput = {
    name: ' hot ',
    metric: 'CPU_UTILIZATION',
    comparator: 'ABOVE',
    threshold: 0.8,
    forSeconds: 10,
  };

  it('fills in the defaults', () => {
    expect(validateAlertRule(valid, defaultLimits)).toEqual({
      name: 'hot',
      kind: 'THRESHOLD',
      metric: 'CPU_UTILIZATION',
      comparator: 'ABOVE',
      threshold: 0.8,
      recoveryThreshold: null,
      forSeconds: 10,
      clientId: null,
      severity: 'WARNING',
      webhookUrl: null,
    });
    expect(
      validateAlertRule({ name: 'quiet', kind: 'NO_DATA', forSeconds: 60 }, defaultLimits),
    ).toMatchObject({
      kind: 'NO_DATA',
      metric: null,
      threshold: null,
    });
  });

  it.each([
    [{ threshold: Number.NaN }, 'input.threshold'],
    [{ threshold: Number.POSITIVE_INFINITY }, 'input.threshold'],
    [{ comparator: 'SIDEWAYS' }, 'input.comparator'],
    [{ forSeconds: -1 }, 'input.forSeconds'],
    [{ forSeconds: 1.5 }, 'input.forSeconds'],
    [{ name: '' }, 'input.name'],
    [{ webhookUrl: 'javascript:alert(1)' }, 'input.webhookUrl'],
    [{ recoveryThreshold: Number.NaN }, 'input.recoveryThreshold'],
    [{ metric: null }, 'input.metric'],
    [{ clientId: '' }, 'input.clientId'],
    [{ kind: 'NO_DATA', metric: null, comparator: null, threshold: null, forSeconds: 0 }, 'input.forSeconds'],
  ] as [Partial<AlertRuleInput>, string][])('rejects %o naming %s', (overrides, field) => {
    const attempt = () => validateAlertRule({ ...valid, ...overrides }, defaultLimits);
    expect(attempt).toThrow(AppError);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });
});
