import { randomUUID } from 'node:crypto';
import type {
  AcknowledgeResult,
  AgentCommand,
  AgentCommandOutcome,
  AgentCommandStatus,
  CommandStore,
  NewAgentCommand,
} from '@metrics-collector/schema/commands/types';
import type { PgDatabase } from '../pg/database.js';
import type { CommandBackend } from './index.js';
import { type CommandRow, toCommand } from './table.js';

const EXPIRE_DUE = `
  UPDATE commands SET status = 'EXPIRED', updated_at = expires_at,
    message = 'not acknowledged before it expired (' ||
      CASE status WHEN 'PENDING' THEN 'never delivered' ELSE 'delivered' END || ')'
  WHERE status IN ('PENDING', 'DELIVERED') AND expires_at <= $1`;

/**
 * The command queue in PostgreSQL (`DATABASE_URL`), shared by replicas: an agent may follow its commands
 * on one replica while an operator sends and reads them through another. Each transition is one
 * conditional `UPDATE … WHERE status IN (…) RETURNING`: two replicas delivering or acknowledging one
 * command at once queue on its row lock, and the second finds the status changed, so a command is
 * acknowledged once. The transitions also require `expires_at > now`, and every call first marks the
 * commands due EXPIRED (committed on its own: a read that follows sees it), as the SQLite table does.
 */
export class PgCommandStore implements CommandStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async enqueue(command: NewAgentCommand): Promise<AgentCommand> {
    await this.expire(command.createdAt);
    const { rows } = await this.#db.write<CommandRow>(
      `INSERT INTO commands (id, client_id, type, interval_ms, status, message, created_at, updated_at, expires_at)
       VALUES ($1, $2, $3, $4, 'PENDING', NULL, $5, $5, $6) RETURNING *`,
      [
        randomUUID(),
        command.clientId,
        command.type,
        command.intervalMs,
        command.createdAt,
        command.expiresAt,
      ],
    );
    return toCommand(rows[0] as CommandRow);
  }

  async list(
    clientId: string,
    { status, limit, now }: { status: AgentCommandStatus | null; limit: number; now: number },
  ): Promise<AgentCommand[]> {
    await this.expire(now);
    const rows = await this.#db.read<CommandRow>(
      `SELECT * FROM commands WHERE client_id = $1 AND ($2::text IS NULL OR status = $2)
       ORDER BY seq DESC LIMIT $3`,
      [clientId, status, limit],
    );
    return rows.map(toCommand);
  }

  async unacknowledged(clientId: string, now: number): Promise<AgentCommand[]> {
    await this.expire(now);
    const rows = await this.#db.read<CommandRow>(
      `SELECT * FROM commands WHERE client_id = $1 AND status IN ('PENDING', 'DELIVERED') ORDER BY seq`,
      [clientId],
    );
    return rows.map(toCommand);
  }

  async get(id: string, now: number): Promise<AgentCommand | null> {
    await this.expire(now);
    return this.#byId(id);
  }

  async deliver(id: string, now: number): Promise<AgentCommand | null> {
    await this.expire(now);
    const { rows } = await this.#db.write<CommandRow>(
      `UPDATE commands SET status = 'DELIVERED', message = NULL, updated_at = $2
       WHERE id = $1 AND status = 'PENDING' AND expires_at > $2 RETURNING *`,
      [id, now],
    );
    if (rows[0]) return toCommand(rows[0]);
    const command = await this.#byId(id);
    return command?.status === 'DELIVERED' ? command : null;
  }

  async acknowledge(
    id: string,
    outcome: AgentCommandOutcome,
    message: string | null,
    now: number,
  ): Promise<AcknowledgeResult> {
    await this.expire(now);
    const { rows } = await this.#db.write<CommandRow>(
      `UPDATE commands SET status = $2, message = $3, updated_at = $4
       WHERE id = $1 AND status IN ('PENDING', 'DELIVERED') AND expires_at > $4 RETURNING *`,
      [id, outcome, message, now],
    );
    if (rows[0]) return { result: 'acknowledged', command: toCommand(rows[0]) };
    const command = await this.#byId(id);
    return command ? { result: 'final', command } : { result: 'not-found' };
  }

  /** Expires the client's open commands (`forgetClient`); resolves how many. */
  async forgetClient(clientId: string, now: number): Promise<number> {
    await this.expire(now);
    const result = await this.#db.write(
      `UPDATE commands SET status = 'EXPIRED', updated_at = $2, message = 'the client was forgotten (forgetClient)'
       WHERE client_id = $1 AND status IN ('PENDING', 'DELIVERED')`,
      [clientId, now],
    );
    return result.rowCount ?? 0;
  }

  /** How many commands are kept in each status (`/metrics`). */
  async countByStatus(): Promise<[string, number][]> {
    const rows = await this.#db.read<{ status: string; count: string }>(
      'SELECT status, count(*) AS count FROM commands GROUP BY status',
    );
    return rows.map((row) => [row.status, Number(row.count)]);
  }

  /** Marks every open command whose `expiresAt` is at or before `now` EXPIRED; resolves how many. */
  async expire(now: number): Promise<number> {
    return (await this.#db.write(EXPIRE_DUE, [now])).rowCount ?? 0;
  }

  /** Deletes final commands (APPLIED, FAILED, EXPIRED) last changed before `before`; resolves how many. */
  async prune(before: number): Promise<number> {
    const result = await this.#db.write(
      `DELETE FROM commands WHERE status IN ('APPLIED', 'FAILED', 'EXPIRED') AND updated_at < $1`,
      [before],
    );
    return result.rowCount ?? 0;
  }

  /** The database is closed by its owner (the app), which shares it with the other stores. */
  close(): void {}

  async #byId(id: string): Promise<AgentCommand | null> {
    const [row] = await this.#db.read<CommandRow>('SELECT * FROM commands WHERE id = $1', [id]);
    return row ? toCommand(row) : null;
  }
}

/** The store as the commands module's backend (its expiry timer expires and prunes through it). */
export function pgCommandBackend(db: PgDatabase): CommandBackend {
  const store = new PgCommandStore(db);
  return {
    store,
    expire: (now) => store.expire(now),
    prune: (before) => store.prune(before),
    countByStatus: () => store.countByStatus(),
    close: () => store.close(),
  };
}
