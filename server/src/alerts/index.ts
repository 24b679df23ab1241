import { type BackgroundTimer, backgroundTimer } from '@metrics-collector/common/timer';
import type { AlertStore } from '@metrics-collector/schema/alerts/types';
import type { Clock } from '@metrics-collector/schema/clock';
import type { ServerLive } from '../live/index.js';
import type { Logger } from '../logger.js';
import type { PgDatabase } from '../pg/database.js';
import type { ServerMetrics } from '../telemetry/server-metrics.js';
import { AlertCache } from './cache.js';
import { AlertEvaluator } from './evaluator.js';
import type { Lease } from './lease.js';
import { PgAlertCache } from './pg-cache.js';
import { PgAlertStore } from './pg-store.js';
import { PgAlertTable } from './pg-table.js';
import { CachedAlertStore } from './store.js';
import { AlertTable } from './table.js';
import { WebhookDeliveries } from './webhook-deliveries.js';

export interface AlertingOptions {
  dataDir: string;
  /** Rules, states and history in PostgreSQL (`DATABASE_URL`) rather than `<dataDir>/alerts.db`. */
  db?: PgDatabase | null;
  /** Where transitions are published (`alertEvents`) and reports come from. */
  live: Pick<ServerLive, 'pubsub' | 'onReport'>;
  clock: Clock;
  logger: Logger;
  /**
   * With replicas (Redis): the NO_DATA lease, so that only its holder checks NO_DATA rules; the holder
   * then also follows the reports every replica stored (`metricReported`). Without, this server checks.
   */
  lease?: Lease | null;
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
  /** Counts evaluations, transitions and webhook attempts for `/metrics`. */
  telemetry?: ServerMetrics;
  /** Deliveries waiting per webhook URL before new ones are dropped (and logged). @default 1000 */
  maxQueuedWebhooks?: number;
  /** How long transitions are kept in the history, ms. @default 7776000000 (90 days) */
  historyRetention?: number;
}

/**
 * Alert rules in `<dataDir>/alerts.db` (table.ts, cached by cache.ts), evaluated per (rule, client)
 * (evaluator.ts): THRESHOLD rules on every report this server stores (`live.onReport`), NO_DATA rules on a
 * timer. Every transition is committed, then published on `alertEvents` and POSTed to the rule's webhook
 * in the background (webhook-deliveries.ts); see docs/alerts.md.
 */
export class Alerting {
  /** The `AlertStore` of the resolvers' context. */
  readonly store: AlertStore;
  readonly #options: AlertingOptions;
  /** What differs between SQLite and PostgreSQL besides the cache: pruning, starting, closing. */
  readonly #backend: {
    prune(before: number): number | Promise<number>;
    start(): Promise<void> | void;
    close(): Promise<void> | void;
  };
  readonly #evaluator: AlertEvaluator;
  readonly #webhooks: WebhookDeliveries;
  readonly #lease: Lease | null;
  readonly #historyRetention: number;
  readonly #timer: BackgroundTimer;
  #started = false;
  #stopped = false;
  #ready: Promise<void> | null = null;
  #ticking = false;
  #lastPrune = 0;
  #unlistenReports: (() => void) | null = null;
  readonly #unlistenForgotten: () => void;

  constructor(options: AlertingOptions) {
    const { live, clock, logger } = options;
    this.#options = options;
    this.#historyRetention = options.historyRetention ?? 90 * 86_400_000;
    this.#lease = options.lease ?? null;
    let cache: AlertCache | PgAlertCache;
    if (options.db) {
      const table = new PgAlertTable(options.db);
      const pgCache = new PgAlertCache(table, options.db.url, logger);
      cache = pgCache;
      this.store = new PgAlertStore(pgCache);
      this.#backend = {
        prune: (before) => table.prune(before),
        start: () => pgCache.start(),
        close: () => pgCache.close(),
      };
    } else {
      const table = new AlertTable(options.dataDir);
      cache = new AlertCache(table);
      this.store = new CachedAlertStore(cache);
      this.#backend = { prune: (before) => table.prune(before), start: () => {}, close: () => table.close() };
    }
    this.#webhooks = new WebhookDeliveries({
      logger,
      retryDelay: options.webhookRetryDelay ?? 1_000,
      attempts: options.webhookAttempts ?? 6,
      timeout: options.webhookTimeout ?? 10_000,
      allowPrivate: options.allowPrivate ?? false,
      maxQueued: options.maxQueuedWebhooks ?? 1_000,
      telemetry: options.telemetry,
    });
    this.#evaluator = new AlertEvaluator({
      cache,
      clock,
      logger,
      publish: (event) => live.pubsub.publish('alertEvents', event),
      notify: (url, event) => this.#webhooks.enqueue(url, event),
      telemetry: options.telemetry,
    });
    live.onReport((window) => {
      if (!this.#stopped) this.#evaluator.evaluate(window);
    });
    this.#unlistenForgotten = live.pubsub.listen('clientForgotten', ({ clientId }) =>
      this.#evaluator.forget(clientId),
    );
    // tick() reports its own failures and never rejects.
    this.#timer = backgroundTimer({
      intervalMs: options.checkInterval ?? 1_000,
      run: () => this.tick(),
      onError: (error) => logger.error({ err: error }, 'NO_DATA check failed'),
    });
  }

  /**
   * Resolves once rules and states are read (PostgreSQL: and other replicas' changes followed); the app
   * awaits it before it listens. Idempotent.
   */
  ready(): Promise<void> {
    this.#ready ??= Promise.resolve(this.#backend.start());
    return this.#ready;
  }

  /** Starts the NO_DATA timer (`app.start()` calls it). Idempotent. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    const { live, clock, logger } = this.#options;
    this.ready().catch((error) => logger.error({ err: error }, 'alert rules not read'));
    this.#evaluator.start();
    if (this.#lease) {
      // The lease holder must hear of reports stored by the other replicas too.
      this.#unlistenReports = live.pubsub.listen('metricReported', (report) => {
        if (!this.#stopped) this.#evaluator.seen(report.clientId, clock.now());
      });
    }
    this.#timer.start();
  }

  /**
   * Stops the timer, gives up waiting webhook deliveries, releases the lease, closes `alerts.db` (or stops
   * following PostgreSQL, whose pool the app closes).
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#timer.stop();
    const delivered = this.#webhooks.stop();
    this.#unlistenReports?.();
    this.#unlistenForgotten();
    await delivered;
    await this.#lease?.release().catch(() => {});
    try {
      await this.#evaluator.settled();
      await this.#evaluator.saveSeen();
    } finally {
      await this.#backend.close();
    }
  }

  /**
   * Checks NO_DATA rules now, as `clock.now()` says (the timer calls it while it holds the lease). With
   * SQLite the check is done when this returns; with PostgreSQL, when the promise resolves.
   */
  async check(): Promise<void> {
    if (this.#stopped) return;
    const now = this.#evaluator.checkNoData();
    const saved = this.#evaluator.saveSeen();
    await this.#evaluator.settled();
    await saved;
    if (now - this.#lastPrune >= 3_600_000) {
      this.#lastPrune = now;
      const pruned = await this.#backend.prune(now - this.#historyRetention);
      if (pruned > 0) this.#options.logger.debug({ pruned }, 'old alert transitions pruned');
    }
  }

  /** Resolves once the transitions being committed (PostgreSQL) are committed and published. */
  settled(): Promise<void> {
    return this.#evaluator.settled();
  }

  /**
   * What the timer runs: with a lease, takes or renews it and checks only while holding it; resolves
   * whether it checked.
   */
  async tick(): Promise<boolean> {
    if (this.#ticking || this.#stopped) return false;
    this.#ticking = true;
    try {
      if (!(await this.#holdLease()) || this.#stopped) return false;
      await this.check();
      return true;
    } catch (error) {
      this.#options.logger.error({ err: error }, 'NO_DATA check failed');
      return false;
    } finally {
      this.#ticking = false;
    }
  }

  /** With a lease, only the replica holding it checks NO_DATA rules; without, this one does. */
  async #holdLease(): Promise<boolean> {
    if (!this.#lease) return true;
    try {
      return await this.#lease.hold();
    } catch (error) {
      this.#options.logger.warn(
        { err: error },
        'alert lease: Redis or PostgreSQL did not answer; NO_DATA rules not checked',
      );
      return false;
    }
  }
}

/** Opens `alerts.db` and follows reports; `start()` starts the NO_DATA timer. */
export function createAlerting(options: AlertingOptions): Alerting {
  return new Alerting(options);
}
