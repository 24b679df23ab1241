import { randomUUID } from 'node:crypto';
import type {
  AcknowledgeResult,
  AgentCommand,
  AgentCommandOutcome,
  AgentCommandStatus,
  AgentCommandType,
  NewAgentCommand,
} from '@metrics-collector/schema/commands/types';
import { attempt, type Db, openDatabase } from './sqlite.js';

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

interface CommandRow {
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

export interface SqliteCommandStoreOptions {
  dataDir: string;
}

/** The command queue's storage, without the live parts (`server/src/commands/` adds those). */
export interface SqliteCommandStore {
  enqueue(command: NewAgentCommand): AgentCommand;
  list(
    clientId: string,
    options: { status: AgentCommandStatus | null; limit: number; now: number },
  ): AgentCommand[];
  unacknowledged(clientId: string, now: number): AgentCommand[];
  get(id: string, now: number): AgentCommand | null;
  deliver(id: string, now: number): AgentCommand | null;
  acknowledge(
    id: string,
    outcome: AgentCommandOutcome,
    message: string | null,
    now: number,
  ): AcknowledgeResult;
  /** Marks every open command whose `expiresAt` is at or before `now` EXPIRED; returns how many. */
  expire(now: number): number;
  /** Deletes final commands (APPLIED, FAILED, EXPIRED) last changed before `before`; returns how many. */
  prune(before: number): number;
  close(): void;
}

/**
 * Agent commands in `<dataDir>/commands.db`. Commands are few (an operator's actions), so every call is
 * one synchronous transaction, committed (and fsynced) before it returns; a failure becomes
 * `STORE_UNAVAILABLE`.
 */
export function createSqliteCommandStore(options: SqliteCommandStoreOptions): SqliteCommandStore {
  const db: Db = openDatabase(options.dataDir, 'commands', migrations);
  const insert = db.prepare(`
    INSERT INTO commands (id, client_id, type, interval_ms, status, message, created_at, updated_at, expires_at)
    VALUES (@id, @clientId, @type, @intervalMs, 'PENDING', NULL, @createdAt, @createdAt, @expiresAt)`);
  const byId = db.prepare<[string], CommandRow>('SELECT * FROM commands WHERE id = ?');
  const byClient = db.prepare<[string, number], CommandRow>(
    'SELECT * FROM commands WHERE client_id = ? ORDER BY seq DESC LIMIT ?',
  );
  const byClientAndStatus = db.prepare<[string, string, number], CommandRow>(
    'SELECT * FROM commands WHERE client_id = ? AND status = ? ORDER BY seq DESC LIMIT ?',
  );
  const open = db.prepare<[string], CommandRow>(
    `SELECT * FROM commands WHERE client_id = ? AND status IN ('PENDING', 'DELIVERED') ORDER BY seq`,
  );
  const expireDue = db.prepare<{ now: number }>(`
    UPDATE commands SET status = 'EXPIRED', updated_at = expires_at,
      message = 'not acknowledged before it expired (' || CASE status WHEN 'PENDING' THEN 'never delivered' ELSE 'delivered' END || ')'
    WHERE status IN ('PENDING', 'DELIVERED') AND expires_at <= @now`);
  const setStatus = db.prepare<{
    id: string;
    status: AgentCommandStatus;
    message: string | null;
    now: number;
  }>('UPDATE commands SET status = @status, message = @message, updated_at = @now WHERE id = @id');
  const pruneFinal = db.prepare<[number]>(
    `DELETE FROM commands WHERE status IN ('APPLIED', 'FAILED', 'EXPIRED') AND updated_at < ?`,
  );

  /** Runs `work` in one transaction after expiring what is due. */
  const at = <T>(now: number, work: () => T): T =>
    attempt(() =>
      db.transaction(() => {
        expireDue.run({ now });
        return work();
      })(),
    );

  return {
    enqueue: (command) =>
      at(command.createdAt, () => {
        const id = randomUUID();
        insert.run({ id, ...command });
        return toCommand(byId.get(id) as CommandRow);
      }),
    list: (clientId, { status, limit, now }) =>
      at(now, () =>
        (status === null
          ? byClient.all(clientId, limit)
          : byClientAndStatus.all(clientId, status, limit)
        ).map(toCommand),
      ),
    unacknowledged: (clientId, now) => at(now, () => open.all(clientId).map(toCommand)),
    get: (id, now) =>
      at(now, () => {
        const row = byId.get(id);
        return row ? toCommand(row) : null;
      }),
    deliver: (id, now) =>
      at(now, () => {
        const row = byId.get(id);
        if (!row) return null;
        if (row.status === 'DELIVERED') return toCommand(row);
        if (row.status !== 'PENDING') return null;
        setStatus.run({ id, status: 'DELIVERED', message: null, now });
        return toCommand(byId.get(id) as CommandRow);
      }),
    acknowledge: (id, outcome, message, now) =>
      at(now, (): AcknowledgeResult => {
        const row = byId.get(id);
        if (!row) return { result: 'not-found' };
        if (row.status !== 'PENDING' && row.status !== 'DELIVERED') {
          return { result: 'final', command: toCommand(row) };
        }
        setStatus.run({ id, status: outcome, message, now });
        return { result: 'acknowledged', command: toCommand(byId.get(id) as CommandRow) };
      }),
    expire: (now) => attempt(() => expireDue.run({ now }).changes),
    prune: (before) => attempt(() => pruneFinal.run(before).changes),
    close: () => db.close(),
  };
}

function toCommand(row: CommandRow): AgentCommand {
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
