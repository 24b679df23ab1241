import { catalogue, type Metric } from '@metrics-collector/common/catalogue';
import type { SeriesPoint } from '../metrics/types.js';
import type { AlertComparator, AlertRuleSpec, AlertState, AlertStatus } from './types.js';

/*
 * The alert state machine, pure: which transitions one (rule, client) makes on a report (THRESHOLD) or on
 * the server's timer (NO_DATA). The server's alerting module stores the states and sends the transitions.
 */

/**
 * The value a THRESHOLD rule compares in one report: the window mean of its metric; for a per-core series
 * (CPU_CORE_UTILIZATION) the largest mean over the cores (the busiest core). `null` when the report has no
 * such series.
 */
export function reportValue(points: readonly SeriesPoint[], metric: Metric): number | null {
  let value: number | null = null;
  for (const p of points) {
    if (p.metric !== metric) continue;
    if (!catalogue[metric].perCore) return p.mean;
    if (value === null || p.mean > value) value = p.mean;
  }
  return value;
}

/** Whether `value` breaches the rule. Strict: a value equal to the threshold does not. */
export function breaches(comparator: AlertComparator, threshold: number, value: number): boolean {
  return comparator === 'ABOVE' ? value > threshold : value < threshold;
}

/**
 * Whether a FIRING alert resolves at `value`: once it no longer breaches the recovery threshold (the
 * threshold itself without one). ABOVE 0.8 recovery 0.6: 0.7 keeps it FIRING, 0.6 and 0.5 resolve it.
 */
export function recovers(
  rule: Pick<AlertRuleSpec, 'recoveryThreshold'> & { comparator: AlertComparator; threshold: number },
  value: number,
): boolean {
  return !breaches(rule.comparator, rule.recoveryThreshold ?? rule.threshold, value);
}

/**
 * One THRESHOLD evaluation of one (rule, client): the states it passes through at report time `at`
 * (window end), in order; empty when it stays. `current` is `null` for a pair never evaluated (OK).
 *
 * OK or RESOLVED → PENDING when it breaches (and on to FIRING at once with `forSeconds` 0); PENDING →
 * FIRING at the first report whose window end is at least `forSeconds` after the breach started and
 * still breaches; PENDING → OK when the breach ends first; FIRING → RESOLVED once it `recovers`.
 */
export function stepThreshold(
  rule: Pick<AlertRuleSpec, 'forSeconds' | 'recoveryThreshold'> & {
    comparator: AlertComparator;
    threshold: number;
  },
  current: Pick<AlertStatus, 'state' | 'since'> | null,
  value: number,
  at: number,
): AlertState[] {
  const state = current?.state ?? 'OK';
  const breaching = breaches(rule.comparator, rule.threshold, value);
  switch (state) {
    case 'OK':
    case 'RESOLVED':
      if (!breaching) return [];
      return rule.forSeconds === 0 ? ['PENDING', 'FIRING'] : ['PENDING'];
    case 'PENDING': {
      if (!breaching) return ['OK'];
      const started = current?.since ?? at;
      return at >= started + rule.forSeconds * 1_000 ? ['FIRING'] : [];
    }
    case 'FIRING':
      return recovers(rule, value) ? ['RESOLVED'] : [];
  }
}

/**
 * One NO_DATA evaluation: FIRING once the client is silent (for the rule's `forSeconds`), RESOLVED when it
 * reports again. There is no PENDING: the silence is the wait.
 */
export function stepNoData(current: Pick<AlertStatus, 'state'> | null, silent: boolean): AlertState[] {
  const state = current?.state ?? 'OK';
  if (silent) return state === 'FIRING' ? [] : ['FIRING'];
  return state === 'FIRING' ? ['RESOLVED'] : [];
}
