import type { Metric } from '@metrics-collector/common/catalogue';
import { requireScope } from '../auth.js';
import type { Context } from '../context.js';
import { AppError, badInput } from '../errors.js';
import type { Limits } from '../limits.js';
import { filter } from '../live/service.js';
import { isPublicHostname } from '../network.js';
import type {
  AlertEvent,
  AlertRule,
  AlertRuleKind,
  AlertRuleSpec,
  AlertSeverity,
  AlertState,
  AlertStatus,
} from './types.js';

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
export function validateAlertRule(input: AlertRuleInput, limits: Limits, prefix = 'input.'): AlertRuleSpec {
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

/** Every alert transition as it happens; only those of `clientId` unless it is `null` (scope `read`). */
export function subscribeAlertEvents(ctx: Context, clientId: string | null): AsyncIterable<AlertEvent> {
  requireScope(ctx, 'read');
  return filter(
    ctx.live.pubsub.subscribe('alertEvents'),
    (e) => clientId === null || e.clientId === clientId,
  );
}

function notFound(id: string): never {
  throw new AppError('NOT_FOUND', `id: no alert rule ${JSON.stringify(id)}`, { field: 'id' });
}
