import type {
  AlertEvent,
  AlertHistoryQuery,
  AlertRule,
  AlertStatus,
} from '@metrics-collector/schema/alerts/types';
import { type Db, openDatabase } from '../sqlite/database.js';
import { attempt } from '../store-errors.js';
import { type EventRow, type RuleRow, toEvent, toRule } from './rows.js';

const migrations = [
  `CREATE TABLE rules (
     seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
     id                  TEXT NOT NULL UNIQUE,
     name                TEXT NOT NULL,
     kind                TEXT NOT NULL CHECK (kind IN ('THRESHOLD', 'NO_DATA')),
     metric              TEXT,
     comparator          TEXT CHECK (comparator IN ('ABOVE', 'BELOW')),
     threshold           REAL,
     recovery_threshold  REAL,
     for_seconds         INTEGER NOT NULL,
     client_id           TEXT,
     severity            TEXT NOT NULL,
     webhook_url         TEXT,
     created_at          INTEGER NOT NULL,
     updated_at          INTEGER NOT NULL
   );
   CREATE TABLE states (
     rule_id    TEXT NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
     client_id  TEXT NOT NULL,
     state      TEXT NOT NULL CHECK (state IN ('OK', 'PENDING', 'FIRING', 'RESOLVED')),
     since      INTEGER NOT NULL,
     value      REAL,
     PRIMARY KEY (rule_id, client_id)
   ) WITHOUT ROWID;
   CREATE TABLE events (
     seq        INTEGER PRIMARY KEY AUTOINCREMENT,
     id         TEXT NOT NULL UNIQUE,
     rule_id    TEXT NOT NULL,
     rule_name  TEXT NOT NULL,
     kind       TEXT NOT NULL,
     severity   TEXT NOT NULL,
     metric     TEXT,
     threshold  REAL,
     client_id  TEXT NOT NULL,
     state      TEXT NOT NULL,
     previous   TEXT NOT NULL,
     value      REAL,
     at         INTEGER NOT NULL,
     message    TEXT NOT NULL
   );
   CREATE INDEX events_by_at ON events (at, seq);
   CREATE INDEX events_by_client ON events (client_id, at, seq);
   CREATE TABLE clients_seen (
     client_id  TEXT PRIMARY KEY,
     seen_at    INTEGER NOT NULL
   ) WITHOUT ROWID;`,
];

interface StateRow {
  rule_id: string;
  client_id: string;
  state: AlertStatus['state'];
  since: number;
  value: number | null;
}

/** One evaluation's outcome for one (rule, client): its new state and the transitions that led there. */
export interface AlertChange {
  status: AlertStatus;
  /** The state the evaluation started from (`null`: none yet); PostgreSQL stores the change only over it. */
  previous: AlertStatus | null;
  events: readonly AlertEvent[];
}

/**
 * Alert rules, current states and history in `<dataDir>/alerts.db`, without evaluation (evaluator.ts adds
 * that). Rules change rarely and states only on transitions, so every call is one synchronous
 * transaction, committed (and fsynced) before it returns; a failure becomes `STORE_UNAVAILABLE`.
 */
export class AlertTable {
  readonly #db: Db;
  readonly #sql: ReturnType<typeof prepareStatements>;
  #version: number;

  constructor(dataDir: string) {
    this.#db = openDatabase(dataDir, 'alerts', migrations);
    this.#sql = prepareStatements(this.#db);
    this.#version = this.#sql.dataVersion.get() as number;
  }

  insertRule(rule: AlertRule): void {
    attempt(() => this.#sql.insertRule.run(rule));
  }

  /** Replaces a rule; drops its states when `resetStates`. False for an unknown id. */
  replaceRule(rule: AlertRule, resetStates: boolean): boolean {
    return attempt(() =>
      this.#db.transaction(() => {
        const { createdAt: _, ...changes } = rule;
        if (this.#sql.updateRule.run(changes).changes === 0) return false;
        if (resetStates) this.#sql.deleteStates.run(rule.id);
        return true;
      })(),
    );
  }

  /** Deletes a rule and its states. False for an unknown id. */
  deleteRule(id: string): boolean {
    return attempt(() => this.#sql.deleteRule.run(id).changes > 0);
  }

  rules(): AlertRule[] {
    return attempt(() => this.#sql.allRules.all().map(toRule));
  }

  statuses(): AlertStatus[] {
    return attempt(() =>
      this.#sql.allStates.all().map((r) => ({
        ruleId: r.rule_id,
        clientId: r.client_id,
        state: r.state,
        since: r.since,
        value: r.value,
      })),
    );
  }

  /** Stores new states and their transitions, all or nothing. */
  record(changes: readonly AlertChange[]): void {
    attempt(() =>
      this.#db.transaction(() => {
        for (const { status, events } of changes) {
          this.#sql.upsertState.run(status);
          for (const event of events) this.#sql.insertEvent.run(event);
        }
      })(),
    );
  }

  history(query: AlertHistoryQuery): AlertEvent[] {
    return attempt(() => this.#sql.history.all(query).map(toEvent));
  }

  /** Drops states of (rule, client) pairs, such as clients a changed rule no longer covers. */
  dropStates(pairs: readonly { ruleId: string; clientId: string }[]): void {
    attempt(() =>
      this.#db.transaction(() => {
        for (const { ruleId, clientId } of pairs) this.#sql.deleteState.run(ruleId, clientId);
      })(),
    );
  }

  /** A forgotten client: its states under every rule, and when it was last seen. */
  forgetClient(clientId: string): void {
    attempt(() =>
      this.#db.transaction(() => {
        this.#db.prepare<[string]>('DELETE FROM states WHERE client_id = ?').run(clientId);
        this.#db.prepare<[string]>('DELETE FROM clients_seen WHERE client_id = ?').run(clientId);
      })(),
    );
  }

  /** When each client was last seen (server clock), as saved by `saveSeen`. */
  seen(): Map<string, number> {
    return attempt(() => new Map(this.#sql.allSeen.all().map((r) => [r.client_id, r.seen_at])));
  }

  saveSeen(entries: Iterable<[clientId: string, seenAt: number]>): void {
    attempt(() =>
      this.#db.transaction(() => {
        for (const [clientId, seenAt] of entries) this.#sql.upsertSeen.run(clientId, seenAt);
      })(),
    );
  }

  /** Deletes transitions before `before`; returns how many. */
  prune(before: number): number {
    return attempt(() => this.#sql.pruneEvents.run(before).changes);
  }

  /**
   * Whether another connection (another server process sharing `DATA_DIR`) committed since the last call:
   * SQLite's `data_version`, which this connection's own commits do not change.
   */
  changedElsewhere(): boolean {
    return attempt(() => {
      const now = this.#sql.dataVersion.get() as number;
      if (now === this.#version) return false;
      this.#version = now;
      return true;
    });
  }

  close(): void {
    this.#db.close();
  }
}

function prepareStatements(db: Db) {
  return {
    insertRule: db.prepare(`
      INSERT INTO rules (id, name, kind, metric, comparator, threshold, recovery_threshold, for_seconds,
                         client_id, severity, webhook_url, created_at, updated_at)
      VALUES (@id, @name, @kind, @metric, @comparator, @threshold, @recoveryThreshold, @forSeconds,
              @clientId, @severity, @webhookUrl, @createdAt, @updatedAt)`),
    updateRule: db.prepare(`
      UPDATE rules SET name = @name, kind = @kind, metric = @metric, comparator = @comparator,
        threshold = @threshold, recovery_threshold = @recoveryThreshold, for_seconds = @forSeconds,
        client_id = @clientId, severity = @severity, webhook_url = @webhookUrl, updated_at = @updatedAt
      WHERE id = @id`),
    deleteRule: db.prepare<[string]>('DELETE FROM rules WHERE id = ?'),
    deleteStates: db.prepare<[string]>('DELETE FROM states WHERE rule_id = ?'),
    deleteState: db.prepare<[string, string]>('DELETE FROM states WHERE rule_id = ? AND client_id = ?'),
    allRules: db.prepare<[], RuleRow>('SELECT * FROM rules ORDER BY seq'),
    allStates: db.prepare<[], StateRow>('SELECT * FROM states ORDER BY rule_id, client_id'),
    upsertState: db.prepare(`
      INSERT INTO states (rule_id, client_id, state, since, value) VALUES (@ruleId, @clientId, @state, @since, @value)
      ON CONFLICT (rule_id, client_id) DO UPDATE SET state = excluded.state, since = excluded.since, value = excluded.value`),
    insertEvent: db.prepare(`
      INSERT INTO events (id, rule_id, rule_name, kind, severity, metric, threshold, client_id, state, previous, value, at, message)
      VALUES (@id, @ruleId, @ruleName, @kind, @severity, @metric, @threshold, @clientId, @state, @previous, @value, @at, @message)`),
    history: db.prepare<
      {
        state: string | null;
        clientId: string | null;
        ruleId: string | null;
        from: number;
        to: number;
        limit: number;
      },
      EventRow
    >(`
      SELECT * FROM events
      WHERE at >= @from AND at < @to
        AND (@state IS NULL OR state = @state)
        AND (@clientId IS NULL OR client_id = @clientId)
        AND (@ruleId IS NULL OR rule_id = @ruleId)
      ORDER BY at DESC, seq DESC LIMIT @limit`),
    allSeen: db.prepare<[], { client_id: string; seen_at: number }>('SELECT * FROM clients_seen'),
    upsertSeen: db.prepare<[string, number]>(`
      INSERT INTO clients_seen (client_id, seen_at) VALUES (?, ?)
      ON CONFLICT (client_id) DO UPDATE SET seen_at = max(seen_at, excluded.seen_at)`),
    pruneEvents: db.prepare<[number]>('DELETE FROM events WHERE at < ?'),
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
  };
}
