import type { AlertRule, AlertStatus } from '@metrics-collector/schema/alerts/types';
import type { AlertChange, AlertTable } from './table.js';

/** The key of one (rule, client) pair in the maps below. */
export function pairKey(ruleId: string, clientId: string): string {
  return `${ruleId}\u0000${clientId}`;
}

/**
 * What the evaluator reads and writes: rules and states in memory, so that a report costs no read, and
 * the store behind them. SQLite's calls are synchronous (cache.ts), PostgreSQL's are not (pg-cache.ts).
 */
export interface EvaluationCache {
  readonly rules: Map<string, AlertRule>;
  /** The current state of each (rule, client), by `pairKey`. */
  readonly statuses: Map<string, AlertStatus>;
  /** Per THRESHOLD pair, the newest window end evaluated: older (late or repeated) reports are skipped. */
  readonly evaluatedUpTo: Map<string, number>;
  /** Reads rules and states again if another server changed them (where that is not pushed). */
  refresh(): void;
  /** Commits the changes and updates the states in memory; the changes stored (all, with SQLite). */
  record(changes: readonly AlertChange[]): AlertChange[] | Promise<AlertChange[]>;
  /** When each client was last heard of, as saved by `saveSeen`. */
  seen(): Map<string, number> | Promise<Map<string, number>>;
  saveSeen(entries: [clientId: string, seenAt: number][]): void | Promise<void>;
}

/**
 * The rules and current states of `alerts.db`, kept in memory so that a report costs no read. Another
 * server sharing `DATA_DIR` may change the file: `refresh` reads it again when it did.
 */
export class AlertCache implements EvaluationCache {
  readonly table: AlertTable;
  readonly rules = new Map<string, AlertRule>();
  /** The current state of each (rule, client), by `pairKey`. */
  readonly statuses = new Map<string, AlertStatus>();
  /** Per THRESHOLD pair, the newest window end evaluated: older (late or repeated) reports are skipped. */
  readonly evaluatedUpTo = new Map<string, number>();
  /** Whether `refresh` checked the file already in this turn of the event loop. */
  #checked = false;

  constructor(table: AlertTable) {
    this.table = table;
    this.load();
  }

  /** (Re)loads the cached rules and states from `alerts.db`. */
  load(): void {
    this.rules.clear();
    for (const rule of this.table.rules()) this.rules.set(rule.id, rule);
    this.statuses.clear();
    for (const status of this.table.statuses()) {
      const key = pairKey(status.ruleId, status.clientId);
      this.statuses.set(key, status);
      this.evaluatedUpTo.set(key, Math.max(this.evaluatedUpTo.get(key) ?? status.since, status.since));
    }
  }

  /** Another server sharing `DATA_DIR` changed rules or states: read them again. */
  refresh(): void {
    if (this.#checked) return;
    // One check per turn of the event loop: a group commit acknowledges tens of reports in one turn, and
    // the PRAGMA (it reads the WAL index) cost more than the rest of a report's evaluation together.
    this.#checked = true;
    setImmediate(() => {
      this.#checked = false;
    });
    if (this.table.changedElsewhere()) this.load();
  }

  /** Commits the changes, then updates the states in memory. A failed commit changes nothing. */
  record(changes: readonly AlertChange[]): AlertChange[] {
    this.table.record(changes);
    for (const { status } of changes) this.statuses.set(pairKey(status.ruleId, status.clientId), status);
    return [...changes];
  }

  seen(): Map<string, number> {
    return this.table.seen();
  }

  saveSeen(entries: [clientId: string, seenAt: number][]): void {
    this.table.saveSeen(entries);
  }

  /** Forgets the rule's states in memory (all, or those of the clients `keep` refuses); returns them. */
  forgetStates(ruleId: string, keep: (clientId: string) => boolean = () => false) {
    const dropped: { ruleId: string; clientId: string }[] = [];
    for (const [key, status] of this.statuses) {
      if (status.ruleId !== ruleId || keep(status.clientId)) continue;
      this.statuses.delete(key);
      this.evaluatedUpTo.delete(key);
      dropped.push(status);
    }
    return dropped;
  }
}
