import { randomUUID } from 'node:crypto';
import type {
  AcknowledgeResult,
  AgentCommand,
  AgentCommandOutcome,
  AgentCommandStatus,
  AgentCommandType,
  NewAgentCommand,
} from '@metrics-collector/schema/commands/types';
import { type Db, openDatabase } from '../sqlite/database.js';
import { attempt } from '../store-errors.js';

const migrations = [
  `CREATE TABLE commands (
     seq          INTEGER PRIMARY KEY AUTOINCREMENT,
     id           TEXT NOT NULL UNIQUE,
     client_id    TEXT NOT NULL,
     type         TEXT NOT NULL,
     interval_ms  INTEGER NOT NULL,
     status       TEXT NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'APPLIED', 'FAILED', 'EXPIRED')),
     message      TEXT,
     created_at   INTEGER NOT NULL,
     updated_at   INTEGER NOT NULL,
     expires_at   INTEGER NOT NULL
   );
   CREATE INDEX commands_by_client ON commands (client_id, seq);
   CREATE INDEX commands_open ON commands (expires_at) WHERE status IN ('PENDING', 'DELIVERED');
   CREATE INDEX commands_final ON commands (updated_at) WHERE status IN ('APPLIED', 'FAILED', 'EXPIRED');`,
];

/** A row of the commands table, in SQLite and PostgreSQL alike (pg-store.ts). */
export interface CommandRow {
  id: string;
  client_id: string;
  type: AgentCommandType;
  interval_ms: number;
  status: AgentCommandStatus;
  message: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number;
}

/**
 * Agent commands in `<dataDir>/commands.db`: persistence only (index.ts adds the expiry timer). Commands
 * are few (an operator's actions), so every call is one synchronous transaction, committed (and fsynced)
 * before it returns; a failure becomes `STORE_UNAVAILABLE`. Every read and transition first marks the
 * commands due as of `now` EXPIRED.
 */
export class CommandTable {
  readonly #db: Db;
  readonly #sql: ReturnType<typeof prepareStatements>;

  constructor(dataDir: string) {
    this.#db = openDatabase(dataDir, 'commands', migrations);
    this.#sql = prepareStatements(this.#db);
  }

  enqueue(command: NewAgentCommand): AgentCommand {
    return this.#at(command.createdAt, () => {
      const id = randomUUID();
      this.#sql.insert.run({ id, ...command });
      return toCommand(this.#sql.byId.get(id) as CommandRow);
    });
  }

  list(
    clientId: string,
    { status, limit, now }: { status: AgentCommandStatus | null; limit: number; now: number },
  ): AgentCommand[] {
    return this.#at(now, () =>
      (status === null
        ? this.#sql.byClient.all(clientId, limit)
        : this.#sql.byClientAndStatus.all(clientId, status, limit)
      ).map(toCommand),
    );
  }

  unacknowledged(clientId: string, now: number): AgentCommand[] {
    return this.#at(now, () => this.#sql.open.all(clientId).map(toCommand));
  }

  get(id: string, now: number): AgentCommand | null {
    return this.#at(now, () => {
      const row = this.#sql.byId.get(id);
      return row ? toCommand(row) : null;
    });
  }

  deliver(id: string, now: number): AgentCommand | null {
    return this.#at(now, () => {
      const row = this.#sql.byId.get(id);
      if (!row) return null;
      if (row.status === 'DELIVERED') return toCommand(row);
      if (row.status !== 'PENDING') return null;
      this.#sql.setStatus.run({ id, status: 'DELIVERED', message: null, now });
      return toCommand(this.#sql.byId.get(id) as CommandRow);
    });
  }

  acknowledge(
    id: string,
    outcome: AgentCommandOutcome,
    message: string | null,
    now: number,
  ): AcknowledgeResult {
    return this.#at(now, (): AcknowledgeResult => {
      const row = this.#sql.byId.get(id);
      if (!row) return { result: 'not-found' };
      if (row.status !== 'PENDING' && row.status !== 'DELIVERED') {
        return { result: 'final', command: toCommand(row) };
      }
      this.#sql.setStatus.run({ id, status: outcome, message, now });
      return { result: 'acknowledged', command: toCommand(this.#sql.byId.get(id) as CommandRow) };
    });
  }

  /** Marks the client's open commands EXPIRED: the client was forgotten. Returns how many. */
  forgetClient(clientId: string, now: number): number {
    return this.#at(now, () => this.#sql.expireClient.run({ clientId, now }).changes);
  }

  /** Marks every open command whose `expiresAt` is at or before `now` EXPIRED; returns how many. */
  expire(now: number): number {
    return attempt(() => this.#sql.expireDue.run({ now }).changes);
  }

  /** Deletes final commands (APPLIED, FAILED, EXPIRED) last changed before `before`; returns how many. */
  prune(before: number): number {
    return attempt(() => this.#sql.pruneFinal.run(before).changes);
  }

  /** How many commands are kept in each status (`/metrics`); none once closed. */
  countByStatus(): [string, number][] {
    if (!this.#db.open) return [];
    return this.#sql.countByStatus.all().map((row) => [row.status, row.count]);
  }

  close(): void {
    this.#db.close();
  }

  /** Runs `work` in one transaction after expiring what is due. */
  #at<T>(now: number, work: () => T): T {
    return attempt(() =>
      this.#db.transaction(() => {
        this.#sql.expireDue.run({ now });
        return work();
      })(),
    );
  }
}

function prepareStatements(db: Db) {
  return {
    insert: db.prepare(`
      INSERT INTO commands (id, client_id, type, interval_ms, status, message, created_at, updated_at, expires_at)
      VALUES (@id, @clientId, @type, @intervalMs, 'PENDING', NULL, @createdAt, @createdAt, @expiresAt)`),
    byId: db.prepare<[string], CommandRow>('SELECT * FROM commands WHERE id = ?'),
    byClient: db.prepare<[string, number], CommandRow>(
      'SELECT * FROM commands WHERE client_id = ? ORDER BY seq DESC LIMIT ?',
    ),
    byClientAndStatus: db.prepare<[string, string, number], CommandRow>(
      'SELECT * FROM commands WHERE client_id = ? AND status = ? ORDER BY seq DESC LIMIT ?',
    ),
    open: db.prepare<[string], CommandRow>(
      `SELECT * FROM commands WHERE client_id = ? AND status IN ('PENDING', 'DELIVERED') ORDER BY seq`,
    ),
    expireDue: db.prepare<{ now: number }>(`
      UPDATE commands SET status = 'EXPIRED', updated_at = expires_at,
        message = 'not acknowledged before it expired (' || CASE status WHEN 'PENDING' THEN 'never delivered' ELSE 'delivered' END || ')'
      WHERE status IN ('PENDING', 'DELIVERED') AND expires_at <= @now`),
    expireClient: db.prepare<{ clientId: string; now: number }>(`
      UPDATE commands SET status = 'EXPIRED', updated_at = @now, message = 'the client was forgotten (forgetClient)'
      WHERE client_id = @clientId AND status IN ('PENDING', 'DELIVERED')`),
    setStatus: db.prepare<{
      id: string;
      status: AgentCommandStatus;
      message: string | null;
      now: number;
    }>('UPDATE commands SET status = @status, message = @message, updated_at = @now WHERE id = @id'),
    countByStatus: db.prepare<[], { status: string; count: number }>(
      'SELECT status, count(*) AS count FROM commands GROUP BY status',
    ),
    pruneFinal: db.prepare<[number]>(
      `DELETE FROM commands WHERE status IN ('APPLIED', 'FAILED', 'EXPIRED') AND updated_at < ?`,
    ),
  };
}

export function toCommand(row: CommandRow): AgentCommand {
  return {
    id: row.id,
    clientId: row.client_id,
    type: row.type,
    intervalMs: row.interval_ms,
    status: row.status,
    message: row.message,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
  };
}
