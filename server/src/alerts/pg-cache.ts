import type { AlertRule, AlertStatus } from '@metrics-collector/schema/alerts/types';
import type pg from 'pg';
import type { Logger } from '../logger.js';
import { loadPg } from '../pg/database.js';
import { type EvaluationCache, pairKey } from './cache.js';
import type { PgAlertTable } from './pg-table.js';
import type { AlertChange } from './table.js';

/** What a trigger announces on `mc_alerts`: the rules changed, or one pair's state. */
type Notice = { rules: true } | { ruleId: string; clientId: string };

/**
 * The rules and current states of PostgreSQL kept in memory for evaluation, as AlertCache keeps
 * alerts.db's: a report costs no read. Other replicas' changes arrive by LISTEN on `mc_alerts` (the
 * triggers' NOTIFY, sent at commit): a rule change reloads the rules and states, a state change that pair.
 * While the listening connection is down (and once it is back) everything is read again, so nothing
 * missed stays missed; a read that fails is tried again every second until one succeeds. Reads of
 * everything never overlap: a notice that arrives during one is followed by another, so that a slower,
 * older read cannot finish last and put back rules that a newer one saw changed.
 *
 * `record` updates the states in memory first, so that reports evaluated meanwhile build on them, then
 * commits the changes one batch after the other; a change another replica made first is not stored: that
 * pair is read again from the database.
 */
export class PgAlertCache implements EvaluationCache {
  readonly rules = new Map<string, AlertRule>();
  readonly statuses = new Map<string, AlertStatus>();
  readonly evaluatedUpTo = new Map<string, number>();
  readonly table: PgAlertTable;
  readonly #logger: Logger;
  readonly #url: string;
  /** Pairs with a change being committed: a notice about them is this replica's own, or older. */
  readonly #writing = new Map<string, number>();
  #queue: Promise<unknown> = Promise.resolve();
  #listener: pg.Client | null = null;
  #closed = false;
  #retry: NodeJS.Timeout | null = null;
  /** The read of everything in progress, and whether a notice asked for another after it. */
  #loading: Promise<void> | null = null;
  #loadAgain = false;
  #reloadRetry: NodeJS.Timeout | null = null;

  constructor(table: PgAlertTable, url: string, logger: Logger) {
    this.table = table;
    this.#url = url;
    this.#logger = logger;
  }

  /** Listens for other replicas' changes and reads rules and states. */
  async start(): Promise<void> {
    await this.#listen();
  }

  refresh(): void {}

  record(changes: readonly AlertChange[]): Promise<AlertChange[]> {
    const keys = changes.map(({ status }) => pairKey(status.ruleId, status.clientId));
    for (const [i, { status }] of changes.entries()) this.statuses.set(keys[i] as string, status);
    for (const key of keys) this.#writing.set(key, (this.#writing.get(key) ?? 0) + 1);
    const done = this.#queue.then(() => this.table.record(changes));
    this.#queue = done.catch(() => undefined);
    const settle = async (stored: readonly AlertChange[]) => {
      for (const key of keys) {
        const left = (this.#writing.get(key) ?? 1) - 1;
        if (left === 0) this.#writing.delete(key);
        else this.#writing.set(key, left);
      }
      const lost = changes.filter((c) => !stored.includes(c));
      await Promise.all(lost.map((c) => this.#reloadPair(c.status.ruleId, c.status.clientId)));
    };
    return done.then(
      async (stored) => {
        await settle(stored);
        return stored;
      },
      async (error) => {
        await settle([]).catch(() => undefined);
        throw error;
      },
    );
  }

  seen(): Promise<Map<string, number>> {
    return this.table.seen();
  }

  saveSeen(entries: [clientId: string, seenAt: number][]): Promise<void> {
    return this.table.saveSeen(entries);
  }

  /** Reads every rule and state again; only through `#loadAll`, which keeps reads from overlapping. */
  async #load(): Promise<void> {
    const [rules, statuses] = await Promise.all([this.table.rules(), this.table.statuses()]);
    this.rules.clear();
    for (const rule of rules) this.rules.set(rule.id, rule);
    const keep = new Map([...this.statuses].filter(([key]) => this.#writing.has(key)));
    this.statuses.clear();
    for (const status of statuses) this.#setStatus(status);
    for (const [key, status] of keep) this.statuses.set(key, status);
  }

  /** Forgets the rule's states in memory (all, or those of the clients `keep` refuses). */
  forgetStates(ruleId: string, keep: (clientId: string) => boolean = () => false): void {
    for (const [key, status] of this.statuses) {
      if (status.ruleId !== ruleId || keep(status.clientId)) continue;
      this.statuses.delete(key);
      this.evaluatedUpTo.delete(key);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    if (this.#reloadRetry) clearTimeout(this.#reloadRetry);
    await this.#loading?.catch(() => undefined);
    await this.#queue;
    await this.#listener?.end().catch(() => undefined);
  }

  async #listen(): Promise<void> {
    const client = new (loadPg().Client)({
      connectionString: this.#url,
      application_name: 'metrics-collector alerts',
    });
    const lost = (error?: unknown) => {
      if (this.#listener !== client || this.#closed) return;
      this.#listener = null;
      this.#logger.warn({ err: error }, 'alerts: lost the PostgreSQL notifications; reconnecting');
      void client.end().catch(() => undefined);
      this.#retry = setTimeout(() => void this.#listen().catch(() => undefined), 1_000);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => this.#notice(message.payload));
    this.#listener = client;
    try {
      await this.table.db.ready;
      await client.connect();
      await client.query('LISTEN mc_alerts');
      await this.#loadAll();
    } catch (error) {
      lost(error);
      throw error;
    }
  }

  #notice(payload: string | undefined): void {
    let notice: Notice;
    try {
      notice = JSON.parse(payload ?? '') as Notice;
    } catch {
      return;
    }
    if ('rules' in notice) this.#reload();
    else {
      this.#reloadPair(notice.ruleId, notice.clientId).catch((error) => {
        this.#logger.warn({ err: error }, 'alerts: a state not read again; reading everything');
        this.#reload();
      });
    }
  }

  /** Reads everything again, and again every second while that fails (until the cache is closed). */
  #reload(): void {
    if (this.#closed) return;
    this.#loadAll().catch((error) => {
      this.#logger.error({ err: error }, 'alerts: rules or states not read again; retrying in 1 s');
      if (this.#closed || this.#reloadRetry) return;
      this.#reloadRetry = setTimeout(() => {
        this.#reloadRetry = null;
        this.#reload();
      }, 1_000);
    });
  }

  /** `#load()`, one at a time: called during one, it reads once more after it. */
  #loadAll(): Promise<void> {
    if (this.#loading) {
      this.#loadAgain = true;
      return this.#loading;
    }
    const run = async () => {
      try {
        do {
          this.#loadAgain = false;
          await this.#load();
        } while (this.#loadAgain);
      } finally {
        this.#loading = null;
      }
    };
    this.#loading = run();
    return this.#loading;
  }

  async #reloadPair(ruleId: string, clientId: string): Promise<void> {
    const key = pairKey(ruleId, clientId);
    if (this.#writing.has(key)) return;
    const [status] = await this.table.statuses({ ruleId, clientId });
    if (this.#writing.has(key)) return;
    if (status) this.#setStatus(status);
    else this.statuses.delete(key);
  }

  #setStatus(status: AlertStatus): void {
    const key = pairKey(status.ruleId, status.clientId);
    this.statuses.set(key, status);
    this.evaluatedUpTo.set(key, Math.max(this.evaluatedUpTo.get(key) ?? status.since, status.since));
  }
}
