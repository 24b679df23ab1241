import { randomUUID } from 'node:crypto';
import { reportValue, stepNoData, stepThreshold } from '@metrics-collector/schema/alerts/state-machine';
import type { AlertEvent, AlertRule, AlertState, AlertStatus } from '@metrics-collector/schema/alerts/types';
import type { Clock } from '@metrics-collector/schema/clock';
import type { ReportedWindow } from '@metrics-collector/schema/live/types';
import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../telemetry/server-metrics.js';
import { type EvaluationCache, pairKey } from './cache.js';
import type { AlertChange } from './table.js';

export interface AlertEvaluatorOptions {
  cache: EvaluationCache;
  clock: Clock;
  logger: Logger;
  /** Publishes a committed transition (on `alertEvents`). */
  publish: (event: AlertEvent) => void;
  /** Sends a committed transition to its rule's webhook, in the background. */
  notify: (url: string, event: AlertEvent) => void;
  /** Counts evaluations and transitions for `/metrics`. */
  telemetry?: ServerMetrics | undefined;
}

/**
 * Evaluates rules per (rule, client): THRESHOLD rules on every report (`evaluate`), NO_DATA rules on
 * `checkNoData`. Every transition is committed, then published and sent to the rule's webhook. Keeps,
 * per client, when this server last heard of a report, for NO_DATA.
 */
export class AlertEvaluator {
  readonly #options: AlertEvaluatorOptions;
  /** Per client, when this server last heard of a report (its clock); saved to `alerts.db` by `saveSeen`. */
  readonly #lastSeen = new Map<string, number>();
  readonly #unsaved = new Set<string>();
  /** Changes being committed (PostgreSQL): `settled()` waits for them. */
  readonly #applying = new Set<Promise<void>>();
  #startedAt: number;

  constructor(options: AlertEvaluatorOptions) {
    this.#options = options;
    this.#startedAt = options.clock.now();
  }

  /**
   * The server starts checking NO_DATA: clients seen before a restart are known again, and their silence
   * counts from now.
   */
  start(): void {
    const startedAt = this.#options.clock.now();
    this.#startedAt = startedAt;
    const known = (seen: Map<string, number>) => {
      for (const clientId of seen.keys()) {
        if (!this.#lastSeen.has(clientId)) this.#lastSeen.set(clientId, startedAt);
      }
    };
    const seen = this.#options.cache.seen();
    if (seen instanceof Promise) {
      this.#track(
        seen.then(known, (error) =>
          this.#options.logger.error({ err: error }, 'alert last-seen times not read'),
        ),
      );
    } else known(seen);
  }

  /** The client reported at `at` (this server's clock), here or on another replica. */
  seen(clientId: string, at: number): void {
    if ((this.#lastSeen.get(clientId) ?? Number.NEGATIVE_INFINITY) >= at) return;
    this.#lastSeen.set(clientId, at);
    this.#unsaved.add(clientId);
  }

  /** A forgotten client: NO_DATA rules stop watching it (until it reports again). */
  forget(clientId: string): void {
    this.#lastSeen.delete(clientId);
    this.#unsaved.delete(clientId);
  }

  /** A report this server stored: THRESHOLD rules step on its value, NO_DATA rules see the client again. */
  evaluate(window: ReportedWindow): void {
    const { cache, clock } = this.#options;
    // Another process sharing alerts.db may have changed rules or states: one prepared PRAGMA tells.
    cache.refresh();
    const { clientId } = window;
    this.#options.telemetry?.evaluatedReport.inc();
    const now = clock.now();
    this.seen(clientId, now);
    const changes: AlertChange[] = [];
    for (const rule of cache.rules.values()) {
      if (rule.clientId !== null && rule.clientId !== clientId) continue;
      const key = pairKey(rule.id, clientId);
      const current = cache.statuses.get(key) ?? null;
      if (rule.kind === 'NO_DATA') {
        const states = stepNoData(current, false);
        if (states.length > 0) changes.push(change(rule, clientId, current, states, null, now));
        continue;
      }
      if (rule.metric === null || rule.comparator === null || rule.threshold === null) continue;
      if (window.windowEnd <= (cache.evaluatedUpTo.get(key) ?? Number.NEGATIVE_INFINITY)) continue;
      const value = reportValue(window.points, rule.metric);
      if (value === null) continue;
      cache.evaluatedUpTo.set(key, window.windowEnd);
      const states = stepThreshold(
        { ...rule, comparator: rule.comparator, threshold: rule.threshold },
        current,
        value,
        window.windowEnd,
      );
      if (states.length > 0) changes.push(change(rule, clientId, current, states, value, window.windowEnd));
    }
    this.#apply(changes);
  }

  /** Checks NO_DATA rules as `clock.now()` says; returns that time. */
  checkNoData(): number {
    const { cache, clock } = this.#options;
    cache.refresh();
    this.#options.telemetry?.evaluatedNoData.inc();
    const now = clock.now();
    const changes: AlertChange[] = [];
    for (const rule of cache.rules.values()) {
      if (rule.kind !== 'NO_DATA') continue;
      const clients = rule.clientId === null ? [...this.#lastSeen.keys()] : [rule.clientId];
      for (const clientId of clients) {
        // Silence counts from the last report, the server's start or the rule's last change, the latest.
        const since = Math.max(
          this.#lastSeen.get(clientId) ?? this.#startedAt,
          this.#startedAt,
          rule.updatedAt,
        );
        const silent = now - since >= rule.forSeconds * 1_000;
        const current = cache.statuses.get(pairKey(rule.id, clientId)) ?? null;
        const states = stepNoData(current, silent);
        if (states.length > 0) changes.push(change(rule, clientId, current, states, null, now));
      }
    }
    this.#apply(changes);
    return now;
  }

  /** Saves the last-seen times that changed since the last save. */
  saveSeen(): void | Promise<void> {
    if (this.#unsaved.size === 0) return;
    const ids = [...this.#unsaved];
    this.#unsaved.clear();
    // Saved again on the next check if this fails.
    const failed = (error: unknown) => {
      for (const id of ids) this.#unsaved.add(id);
      throw error;
    };
    try {
      const saved = this.#options.cache.saveSeen(ids.map((id) => [id, this.#lastSeen.get(id) as number]));
      return saved instanceof Promise ? saved.catch(failed) : undefined;
    } catch (error) {
      failed(error);
    }
  }

  /** Resolves once the changes being committed are committed (and published) or failed. */
  async settled(): Promise<void> {
    while (this.#applying.size > 0) await Promise.all(this.#applying);
  }

  #track(work: Promise<void>): void {
    this.#applying.add(work);
    void work.finally(() => this.#applying.delete(work));
  }

  /**
   * Commits the changes, then publishes and notifies those stored: with PostgreSQL, a change another
   * replica made first is not stored, nor published. A failed commit changes nothing.
   */
  #apply(changes: AlertChange[]): void {
    if (changes.length === 0) return;
    const stored = this.#options.cache.record(changes);
    if (!(stored instanceof Promise)) {
      this.#announce(stored);
      return;
    }
    this.#track(
      stored.then(
        (done) => this.#announce(done),
        (error) => this.#options.logger.error({ err: error }, 'alert transitions not stored'),
      ),
    );
  }

  #announce(changes: readonly AlertChange[]): void {
    const { cache, logger, publish, notify } = this.#options;
    for (const { events } of changes) {
      for (const event of events) {
        publish(event);
        this.#options.telemetry?.alertTransition(event.state);
        const url = cache.rules.get(event.ruleId)?.webhookUrl;
        if (url) notify(url, event);
        logger.info(
          { ruleId: event.ruleId, clientId: event.clientId, state: event.state, value: event.value },
          'alert transition',
        );
      }
    }
  }
}

/** One (rule, client)'s new status and the events of the transitions `states` that lead there. */
function change(
  rule: AlertRule,
  clientId: string,
  current: AlertStatus | null,
  states: readonly AlertState[],
  value: number | null,
  at: number,
): AlertChange {
  let previous: AlertState = current?.state ?? 'OK';
  const events = states.map((state): AlertEvent => {
    const event: AlertEvent = {
      id: randomUUID(),
      ruleId: rule.id,
      ruleName: rule.name,
      kind: rule.kind,
      severity: rule.severity,
      metric: rule.metric,
      threshold: rule.threshold,
      clientId,
      state,
      previous,
      value,
      at,
      message: describe(rule, clientId, state, value),
    };
    previous = state;
    return event;
  });
  return {
    status: { ruleId: rule.id, clientId, state: previous, since: at, value },
    previous: current,
    events,
  };
}

/** The event's `message`. */
function describe(rule: AlertRule, clientId: string, state: AlertState, value: number | null): string {
  if (rule.kind === 'NO_DATA') {
    return state === 'FIRING'
      ? `${clientId}: no report for ${rule.forSeconds} s`
      : `${clientId}: reporting again`;
  }
  const shown = value === null ? 'no value' : String(Math.round(value * 1e6) / 1e6);
  const side = rule.comparator === 'ABOVE' ? 'above' : 'below';
  switch (state) {
    case 'PENDING':
      return `${clientId}: ${rule.metric} ${shown} is ${side} ${rule.threshold}; firing after ${rule.forSeconds} s`;
    case 'FIRING':
      return `${clientId}: ${rule.metric} ${shown} ${side} ${rule.threshold} for ${rule.forSeconds} s`;
    case 'RESOLVED':
      return `${clientId}: ${rule.metric} ${shown} is back (recovery at ${rule.recoveryThreshold ?? rule.threshold})`;
    case 'OK':
      return `${clientId}: ${rule.metric} ${shown} is no longer ${side} ${rule.threshold}; it did not last ${rule.forSeconds} s`;
  }
}
