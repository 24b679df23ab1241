import { requireScope } from '../auth.js';
import type { Metric } from '../catalogue.js';
import type {
  AlertComparator,
  AlertEvent,
  AlertRule,
  AlertRuleKind,
  AlertRuleSpec,
  AlertSeverity,
  AlertState,
  AlertStatus,
  Context,
  SeriesPoint,
} from '../context.js';
import { AppError, badInput } from '../errors.js';
import { isPublicHostname } from '../network.js';

/** The longest rule name. */
export const maxNameLength = 200;
/** The longest `forSeconds`: 30 days. */
export const maxForSeconds = 30 * 86_400;
/** The longest webhook URL. */
export const maxWebhookUrlLength = 2_000;
/** `Query.alerts`: default and largest `limit`. */
export const defaultHistoryLimit = 100;
export const maxHistoryLimit = 1_000;

/** A rule as the API takes it: optional parts may be missing. */
export interface AlertRuleInput {
  name: string;
  kind?: AlertRuleKind | null;
  metric?: Metric | null;
  comparator?: string | null;
  threshold?: number | null;
  recoveryThreshold?: number | null;
  forSeconds: number;
  clientId?: string | null;
  severity?: AlertSeverity | null;
  webhookUrl?: string | null;
}

/**
 * Checks a rule and fills in its defaults (kind THRESHOLD, severity WARNING). Throws `BAD_USER_INPUT`
 * naming the field (`input.threshold`, ...) at fault.
 */
export function validateAlertRule(
  input: AlertRuleInput,
  limits: Context['limits'],
  prefix = 'input.',
): AlertRuleSpec {
  const at = (field: string) => `${prefix}${field}`;
  const name = input.name.trim();
  if (name.length === 0) throw badInput(at('name'), 'must not be empty');
  if (name.length > maxNameLength) {
    throw badInput(at('name'), `is ${name.length} characters long, more than the ${maxNameLength} allowed`);
  }
  const kind = input.kind ?? 'THRESHOLD';
  if (!Number.isSafeInteger(input.forSeconds) || input.forSeconds < 0 || input.forSeconds > maxForSeconds) {
    throw badInput(
      at('forSeconds'),
      `${input.forSeconds} is outside 0..${maxForSeconds} (whole seconds, up to 30 days)`,
    );
  }
  const clientId = input.clientId ?? null;
  if (clientId !== null && (clientId.length === 0 || clientId.length > limits.maxStringLength)) {
    throw badInput(
      at('clientId'),
      `must be 1..${limits.maxStringLength} characters long, or null for every client`,
    );
  }
  const webhookUrl = input.webhookUrl ?? null;
  if (webhookUrl !== null) checkWebhookUrl(webhookUrl, at('webhookUrl'), limits.allowPrivateWebhooks);
  const common = {
    name,
    kind,
    forSeconds: input.forSeconds,
    clientId,
    severity: input.severity ?? 'WARNING',
    webhookUrl,
  };

  if (kind === 'NO_DATA') {
    for (const field of ['metric', 'comparator', 'threshold', 'recoveryThreshold'] as const) {
      if (input[field] != null) throw badInput(at(field), 'a NO_DATA rule has none; leave it out');
    }
    if (input.forSeconds < 1)
      throw badInput(at('forSeconds'), 'a NO_DATA rule needs at least 1 s of silence');
    return { ...common, metric: null, comparator: null, threshold: null, recoveryThreshold: null };
  }

  if (input.metric == null) throw badInput(at('metric'), 'is required for a THRESHOLD rule');
  const comparator = input.comparator;
  if (comparator == null) throw badInput(at('comparator'), 'is required for a THRESHOLD rule');
  if (comparator !== 'ABOVE' && comparator !== 'BELOW') {
    throw badInput(at('comparator'), `${JSON.stringify(comparator)} is not ABOVE or BELOW`);
  }
  const threshold = input.threshold;
  if (threshold == null) throw badInput(at('threshold'), 'is required for a THRESHOLD rule');
  if (!Number.isFinite(threshold)) throw badInput(at('threshold'), `${threshold} is not a finite number`);
  const recoveryThreshold = input.recoveryThreshold ?? null;
  if (recoveryThreshold !== null) {
    if (!Number.isFinite(recoveryThreshold)) {
      throw badInput(at('recoveryThreshold'), `${recoveryThreshold} is not a finite number`);
    }
    if (comparator === 'ABOVE' ? recoveryThreshold > threshold : recoveryThreshold < threshold) {
      throw badInput(
        at('recoveryThreshold'),
        `${recoveryThreshold} must be ${comparator === 'ABOVE' ? 'at or below' : 'at or above'} the threshold ${threshold} for ${comparator}`,
      );
    }
  }
  return { ...common, metric: input.metric, comparator, threshold, recoveryThreshold };
}

/**
 * Checks a webhook URL: http(s), and unless `allowPrivate`, a host that is not an IP literal outside the
 * public address space (loopback, private, link-local, ...) nor `localhost`. Names are checked again, on
 * the addresses they resolve to, each time the webhook is sent.
 */
function checkWebhookUrl(value: string, field: string, allowPrivate: boolean): void {
  if (value.length > maxWebhookUrlLength) {
    throw badInput(field, `is ${value.length} characters long, more than the ${maxWebhookUrlLength} allowed`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badInput(field, `${JSON.stringify(value.slice(0, 80))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badInput(field, `must be an http or https URL, not ${url.protocol}`);
  }
  if (!allowPrivate && !isPublicHostname(url.hostname)) {
    throw badInput(
      field,
      `${url.hostname} is not a public address (loopback, private, link-local and other internal hosts are refused); set WEBHOOK_ALLOW_PRIVATE=true on the server to allow it`,
    );
  }
}

// ---- service functions (the resolvers call these) ----

export async function createAlertRule(ctx: Context, input: AlertRuleInput): Promise<AlertRule> {
  requireScope(ctx, 'admin');
  return ctx.alerts.createRule(validateAlertRule(input, ctx.limits), ctx.clock.now());
}

export async function updateAlertRule(ctx: Context, id: string, input: AlertRuleInput): Promise<AlertRule> {
  requireScope(ctx, 'admin');
  const spec = validateAlertRule(input, ctx.limits);
  return (await ctx.alerts.updateRule(id, spec, ctx.clock.now())) ?? notFound(id);
}

export async function deleteAlertRule(ctx: Context, id: string): Promise<AlertRule> {
  requireScope(ctx, 'admin');
  return (await ctx.alerts.deleteRule(id)) ?? notFound(id);
}

export async function listAlertRules(ctx: Context): Promise<AlertRule[]> {
  requireScope(ctx, 'read');
  return ctx.alerts.listRules();
}

export async function getAlertRule(ctx: Context, id: string): Promise<AlertRule | null> {
  requireScope(ctx, 'read');
  return ctx.alerts.getRule(id);
}

export async function alertRuleStates(ctx: Context, ruleId: string): Promise<AlertStatus[]> {
  requireScope(ctx, 'read');
  return ctx.alerts.states(ruleId);
}

/** The alert history, newest first (scope `read`). */
export async function listAlerts(
  ctx: Context,
  args: {
    state?: AlertState | null;
    clientId?: string | null;
    ruleId?: string | null;
    from?: Date | null;
    to?: Date | null;
    limit?: number | null;
  },
): Promise<AlertEvent[]> {
  requireScope(ctx, 'read');
  const from = args.from?.getTime() ?? 0;
  const to = args.to?.getTime() ?? Number.MAX_SAFE_INTEGER;
  if (from >= to) throw new AppError('INVALID_TIME_RANGE', 'from: must be before to', { field: 'from' });
  const limit = args.limit ?? defaultHistoryLimit;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxHistoryLimit) {
    throw badInput('limit', `${limit} is outside 1..${maxHistoryLimit}`);
  }
  return ctx.alerts.history({
    state: args.state ?? null,
    clientId: args.clientId ?? null,
    ruleId: args.ruleId ?? null,
    from,
    to,
    limit,
  });
}

function notFound(id: string): never {
  throw new AppError('NOT_FOUND', `id: no alert rule ${JSON.stringify(id)}`, { field: 'id' });
}

// ---- the state machine (pure) ----

/**
 * The value a THRESHOLD rule compares in one report: the window mean of its metric; for
 * CPU_CORE_UTILIZATION the largest mean over the cores (the busiest core). `null` when the report has no
 * such series.
 */
export function reportValue(points: readonly SeriesPoint[], metric: Metric): number | null {
  let value: number | null = null;
  for (const p of points) {
    if (p.metric !== metric) continue;
    if (metric !== 'CPU_CORE_UTILIZATION') return p.mean;
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
