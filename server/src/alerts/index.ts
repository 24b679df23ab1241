import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { reportValue, stepNoData, stepThreshold } from '@metrics-collector/schema/alerts/state-machine';
import type {
  AlertEvent,
  AlertRule,
  AlertState,
  AlertStatus,
  AlertStore,
} from '@metrics-collector/schema/alerts/types';
import type { Clock } from '@metrics-collector/schema/clock';
import type { ReportedWindow } from '@metrics-collector/schema/live/types';
import type { ServerLive } from '../live/index.js';
import type { Logger } from '../logger.js';
import { type AlertChange, createSqliteAlertStore } from '../stores/sqlite-alert-store.js';
import { PrivateAddressError, sendWebhook } from './webhook.js';

export interface AlertingOptions {
  dataDir: string;
  live: ServerLive;
  clock: Clock;
  logger: Logger;
  /** How often NO_DATA rules are checked (and last-seen times saved), ms. @default 1000 */
  checkInterval?: number;
  /** Delay before the first webhook retry, doubled for each further one, ms. @default 1000 */
  webhookRetryDelay?: number;
  /** Attempts per webhook delivery, the first included. @default 6 */
  webhookAttempts?: number;
  /** How long one webhook attempt may take, ms. @default 10000 */
  webhookTimeout?: number;
  /**
   * Lets webhooks reach loopback, private and other non-public addresses (`WEBHOOK_ALLOW_PRIVATE`);
   * otherwise the address each delivery connects to is checked. @default false
   */
  allowPrivate?: boolean;
  /** Deliveries waiting per webhook URL before new ones are dropped (and logged). @default 1000 */
  maxQueuedWebhooks?: number;
  /** How long transitions are kept in the history, ms. @default 7776000000 (90 days) */
  historyRetention?: number;
  /** The Redis key of the NO_DATA lease (one replica checks NO_DATA rules). */
  leaseKey?: string;
}

export interface Alerting {
  store: AlertStore;
  /** Starts the NO_DATA timer (`app.start()` calls it). Idempotent. */
  start(): void;
  /** Stops the timer, gives up waiting webhook deliveries, releases the lease, closes `alerts.db`. */
  stop(): Promise<void>;
  /** Checks NO_DATA rules now, as `clock.now()` says (the timer calls it while it holds the lease). */
  check(): void;
  /**
   * What the timer runs: with Redis, takes or renews the NO_DATA lease and checks only while holding it;
   * resolves whether it checked.
   */
  tick(): Promise<boolean>;
}

const LEASE_MS = 10_000;
/** Renews the lease when this replica holds it, takes it when nobody does (`SET NX PX`). */
const TAKE_OR_RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const pairKey = (ruleId: string, clientId: string) => `${ruleId}\u0000${clientId}`;

/**
 * Alert rules in `<dataDir>/alerts.db`, evaluated per (rule, client): THRESHOLD rules on every report this
 * server stores (`live.onReport`), NO_DATA rules on a timer. Every transition is committed, then published
 * on `alertEvents` and POSTed to the rule's webhook in the background. Rules and current states are kept
 * in memory too, so that a report costs no read; see docs/alerts.md.
 */
export function createAlerting(options: AlertingOptions): Alerting {
  const { live, clock, logger } = options;
  const checkInterval = options.checkInterval ?? 1_000;
  const retryDelay = options.webhookRetryDelay ?? 1_000;
  const attempts = options.webhookAttempts ?? 6;
  const webhookTimeout = options.webhookTimeout ?? 10_000;
  const maxQueued = options.maxQueuedWebhooks ?? 1_000;
  const allowPrivate = options.allowPrivate ?? false;
  const historyRetention = options.historyRetention ?? 90 * 86_400_000;
  const leaseKey = options.leaseKey ?? 'metrics-collector:alerts:no-data-lease';
  const replica = randomUUID();

  const db = createSqliteAlertStore({ dataDir: options.dataDir });
  const rules = new Map<string, AlertRule>();
  const statuses = new Map<string, AlertStatus>();
  /** Per THRESHOLD pair, the newest window end evaluated: older (late or repeated) reports are skipped. */
  const evaluatedUpTo = new Map<string, number>();
  /** (Re)loads the cached rules and states from `alerts.db`. */
  const load = () => {
    rules.clear();
    for (const rule of db.rules()) rules.set(rule.id, rule);
    statuses.clear();
    for (const status of db.statuses()) {
      const key = pairKey(status.ruleId, status.clientId);
      statuses.set(key, status);
      evaluatedUpTo.set(key, Math.max(evaluatedUpTo.get(key) ?? status.since, status.since));
    }
  };
  load();
  /** Another server sharing `DATA_DIR` changed rules or states: read them again. */
  const refresh = () => {
    if (db.changedElsewhere()) load();
  };
  /** Per client, when this server last heard of a report (its clock); saved to `alerts.db` on each check. */
  const lastSeen = new Map<string, number>();
  const unsaved = new Set<string>();
  let startedAt = clock.now();

  const stopping = new AbortController();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let ticking = false;
  let lastPrune = 0;
  let unlistenReports: (() => void) | null = null;
  /** Per webhook URL: the tail of its delivery chain (deliveries to one URL go in order) and its length. */
  const webhookQueues = new Map<string, { tail: Promise<void>; length: number }>();

  const seen = (clientId: string, at: number) => {
    if ((lastSeen.get(clientId) ?? Number.NEGATIVE_INFINITY) >= at) return;
    lastSeen.set(clientId, at);
    unsaved.add(clientId);
  };

  /** Commits the changes, then updates memory, publishes and notifies. A failed commit changes nothing. */
  const apply = (changes: AlertChange[]) => {
    if (changes.length === 0) return;
    db.record(changes);
    for (const { status, events } of changes) {
      statuses.set(pairKey(status.ruleId, status.clientId), status);
      for (const event of events) {
        live.pubsub.publish('alertEvents', event);
        const url = rules.get(event.ruleId)?.webhookUrl;
        if (url) enqueueWebhook(url, event);
        logger.info(
          { ruleId: event.ruleId, clientId: event.clientId, state: event.state, value: event.value },
          'alert transition',
        );
      }
    }
  };

  const change = (
    rule: AlertRule,
    clientId: string,
    current: AlertStatus | null,
    states: readonly AlertState[],
    value: number | null,
    at: number,
  ): AlertChange => {
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
    return { status: { ruleId: rule.id, clientId, state: previous, since: at, value }, events };
  };

  const onReport = (window: ReportedWindow) => {
    if (stopped) return;
    // Another process sharing alerts.db may have changed rules or states: one prepared PRAGMA tells.
    refresh();
    const { clientId } = window;
    const now = clock.now();
    seen(clientId, now);
    const changes: AlertChange[] = [];
    for (const rule of rules.values()) {
      if (rule.clientId !== null && rule.clientId !== clientId) continue;
      const key = pairKey(rule.id, clientId);
      const current = statuses.get(key) ?? null;
      if (rule.kind === 'NO_DATA') {
        const states = stepNoData(current, false);
        if (states.length > 0) changes.push(change(rule, clientId, current, states, null, now));
        continue;
      }
      if (rule.metric === null || rule.comparator === null || rule.threshold === null) continue;
      if (window.windowEnd <= (evaluatedUpTo.get(key) ?? Number.NEGATIVE_INFINITY)) continue;
      const value = reportValue(window.points, rule.metric);
      if (value === null) continue;
      evaluatedUpTo.set(key, window.windowEnd);
      const states = stepThreshold(
        { ...rule, comparator: rule.comparator, threshold: rule.threshold },
        current,
        value,
        window.windowEnd,
      );
      if (states.length > 0) changes.push(change(rule, clientId, current, states, value, window.windowEnd));
    }
    apply(changes);
  };
  live.onReport(onReport);

  const check = () => {
    if (stopped) return;
    refresh();
    const now = clock.now();
    const changes: AlertChange[] = [];
    for (const rule of rules.values()) {
      if (rule.kind !== 'NO_DATA') continue;
      const clients = rule.clientId === null ? [...lastSeen.keys()] : [rule.clientId];
      for (const clientId of clients) {
        // Silence counts from the last report, the server's start or the rule's last change, the latest.
        const since = Math.max(lastSeen.get(clientId) ?? startedAt, startedAt, rule.updatedAt);
        const silent = now - since >= rule.forSeconds * 1_000;
        const current = statuses.get(pairKey(rule.id, clientId)) ?? null;
        const states = stepNoData(current, silent);
        if (states.length > 0) changes.push(change(rule, clientId, current, states, null, now));
      }
    }
    apply(changes);
    if (unsaved.size > 0) {
      db.saveSeen([...unsaved].map((id) => [id, lastSeen.get(id) as number]));
      unsaved.clear();
    }
    if (now - lastPrune >= 3_600_000) {
      lastPrune = now;
      const pruned = db.prune(now - historyRetention);
      if (pruned > 0) logger.debug({ pruned }, 'old alert transitions pruned');
    }
  };

  /** With Redis, only the replica holding the lease checks NO_DATA rules; without, this one does. */
  const holdLease = async (): Promise<boolean> => {
    if (!live.redis) return true;
    try {
      return (await live.redis.eval(TAKE_OR_RENEW, 1, leaseKey, replica, LEASE_MS)) === 1;
    } catch (error) {
      logger.warn({ err: error }, 'alert lease: Redis did not answer; NO_DATA rules not checked');
      return false;
    }
  };

  const tick = async (): Promise<boolean> => {
    if (ticking || stopped) return false;
    ticking = true;
    try {
      if (!(await holdLease()) || stopped) return false;
      check();
      return true;
    } catch (error) {
      logger.error({ err: error }, 'NO_DATA check failed');
      return false;
    } finally {
      ticking = false;
    }
  };

  const enqueueWebhook = (url: string, event: AlertEvent) => {
    const queue = webhookQueues.get(url) ?? { tail: Promise.resolve(), length: 0 };
    if (queue.length >= maxQueued) {
      logger.error({ url, ruleId: event.ruleId, eventId: event.id }, 'webhook queue full: event dropped');
      return;
    }
    queue.length += 1;
    queue.tail = queue.tail
      .then(() => postWebhook(url, event))
      .finally(() => {
        queue.length -= 1;
        if (queue.length === 0) webhookQueues.delete(url);
      });
    webhookQueues.set(url, queue);
  };

  const postWebhook = async (url: string, event: AlertEvent) => {
    const body = JSON.stringify({ ...event, at: new Date(event.at).toISOString() });
    for (let attempt = 1; !stopped; attempt += 1) {
      let problem: unknown;
      let final = attempt >= attempts;
      try {
        const status = await sendWebhook(url, body, {
          allowPrivate,
          signal: AbortSignal.any([stopping.signal, AbortSignal.timeout(webhookTimeout)]),
        });
        if (status >= 200 && status < 300) return;
        // A redirect is not followed: it could lead to an address the check did not see.
        problem = status >= 300 && status < 400 ? `HTTP ${status}: redirect not followed` : `HTTP ${status}`;
        // Redirects and other 4xx answers will not change on retry.
        if (status < 500 && status !== 429 && status !== 408) final = true;
      } catch (error) {
        if (stopped) break;
        if (error instanceof PrivateAddressError) {
          logger.error(
            { url, ruleId: event.ruleId, eventId: event.id, address: error.address },
            'webhook refused: private address',
          );
          return;
        }
        problem = error;
      }
      const log = { url, ruleId: event.ruleId, eventId: event.id, attempt, err: problem };
      if (final) {
        logger.error(log, 'webhook failed: giving up');
        return;
      }
      logger.warn(log, 'webhook failed: retrying');
      try {
        await sleep(retryDelay * 2 ** (attempt - 1), undefined, { signal: stopping.signal });
      } catch {
        break;
      }
    }
    logger.warn({ url, ruleId: event.ruleId, eventId: event.id }, 'webhook not delivered: server stopping');
  };

  // Store calls are synchronous (better-sqlite3); the promises keep the interface open to other stores.
  const using = <T>(work: () => T): Promise<T> => {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  };

  const forgetStates = (ruleId: string, keep: (clientId: string) => boolean = () => false) => {
    const dropped: { ruleId: string; clientId: string }[] = [];
    for (const [key, status] of statuses) {
      if (status.ruleId !== ruleId || keep(status.clientId)) continue;
      statuses.delete(key);
      evaluatedUpTo.delete(key);
      dropped.push(status);
    }
    return dropped;
  };

  const store: AlertStore = {
    createRule: (spec, now) =>
      using(() => {
        const rule: AlertRule = { id: randomUUID(), ...spec, createdAt: now, updatedAt: now };
        db.insertRule(rule);
        rules.set(rule.id, rule);
        return rule;
      }),
    updateRule: (id, spec, now) =>
      using(() => {
        refresh();
        const old = rules.get(id);
        if (!old) return null;
        const rule: AlertRule = { ...spec, id, createdAt: old.createdAt, updatedAt: now };
        const restart =
          old.kind !== rule.kind || old.metric !== rule.metric || old.comparator !== rule.comparator;
        if (!db.replaceRule(rule, restart)) return null;
        rules.set(id, rule);
        if (restart) forgetStates(id);
        else if (rule.clientId !== null && old.clientId !== rule.clientId) {
          // Clients the rule no longer covers lose their states.
          const dropped = forgetStates(id, (clientId) => clientId === rule.clientId);
          db.dropStates(dropped);
        }
        return rule;
      }),
    deleteRule: (id) =>
      using(() => {
        refresh();
        const rule = rules.get(id);
        if (!rule || !db.deleteRule(id)) return null;
        rules.delete(id);
        forgetStates(id);
        return rule;
      }),
    getRule: (id) =>
      using(() => {
        refresh();
        return rules.get(id) ?? null;
      }),
    listRules: () =>
      using(() => {
        refresh();
        return [...rules.values()];
      }),
    states: (ruleId) =>
      using(() => {
        refresh();
        return [...statuses.values()]
          .filter((s) => s.ruleId === ruleId)
          .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
      }),
    history: (query) => using(() => db.history(query)),
  };

  return {
    store,
    check,
    tick,
    start: () => {
      if (timer || stopped) return;
      startedAt = clock.now();
      // Clients seen before the restart are known again; their silence counts from now.
      for (const clientId of db.seen().keys()) if (!lastSeen.has(clientId)) lastSeen.set(clientId, startedAt);
      if (live.redis) {
        // The lease holder must hear of reports stored by the other replicas too.
        unlistenReports = live.pubsub.listen('metricReported', (report) => {
          if (!stopped) seen(report.clientId, clock.now());
        });
      }
      timer = setInterval(() => void tick(), checkInterval);
      timer.unref();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      stopping.abort();
      unlistenReports?.();
      await Promise.all([...webhookQueues.values()].map((q) => q.tail));
      if (live.redis) {
        await live.redis.eval(RELEASE, 1, leaseKey, replica).catch(() => {});
      }
      try {
        if (unsaved.size > 0) db.saveSeen([...unsaved].map((id) => [id, lastSeen.get(id) as number]));
      } finally {
        db.close();
      }
    },
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
