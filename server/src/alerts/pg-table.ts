import type {
  AlertEvent,
  AlertHistoryQuery,
  AlertRule,
  AlertStatus,
} from '@metrics-collector/schema/alerts/types';
import type { PgDatabase } from '../pg/database.js';
import { type EventRow, type RuleRow, toEvent, toRule } from './rows.js';
import type { AlertChange } from './table.js';

const RULE_COLUMNS = `id, name, kind, metric, comparator, threshold, recovery_threshold, for_seconds, client_id,
  severity, webhook_url, created_at, updated_at`;
const EVENT_COLUMNS =
  'id, rule_id, rule_name, kind, severity, metric, threshold, client_id, state, previous, value, at, message';

/**
 * Stores a change only if the pair is still in the state the evaluation started from: a new pair only if
 * no replica stored one meanwhile (`ON CONFLICT DO NOTHING`), a known one only if its state and `since`
 * are unchanged. The events are inserted by the same statement, only when the state was: a transition is
 * stored (and then published) once, by one replica.
 */
const storeChange = (previous: AlertStatus | null, events: number) => `
  WITH s AS (${
    previous === null
      ? `INSERT INTO alert_states (rule_id, client_id, state, since, value) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (rule_id, client_id) DO NOTHING RETURNING 1`
      : `UPDATE alert_states SET state = $3, since = $4, value = $5
         WHERE rule_id = $1 AND client_id = $2 AND state = $6 AND since = $7 RETURNING 1`
  }), e AS (
    INSERT INTO alert_events (${EVENT_COLUMNS})
    SELECT * FROM (VALUES ${Array.from({ length: events }, (_, i) => {
      const at = (previous === null ? 6 : 8) + i * 13;
      const p = (k: number, type = '') => `$${at + k}${type}`;
      return `(${p(0, '::text')}, ${p(1, '::text')}, ${p(2, '::text')}, ${p(3, '::text')}, ${p(4, '::text')}, ${p(5, '::text')}, ${p(6, '::float8')}, ${p(7, '::text')}, ${p(8, '::text')}, ${p(9, '::text')}, ${p(10, '::float8')}, ${p(11, '::bigint')}, ${p(12, '::text')})`;
    }).join(', ')}) AS v
    WHERE EXISTS (SELECT 1 FROM s)
  )
  SELECT count(*)::int AS stored FROM s`;

/**
 * Alert rules, states and history in PostgreSQL (`DATABASE_URL`), shared by replicas: the SQLite table's
 * calls, asynchronous, and `record` conditional (see `storeChange`). Changes to rules and states are
 * announced on channel `mc_alerts` by the database's triggers (migration 4).
 */
export class PgAlertTable {
  readonly db: PgDatabase;

  constructor(db: PgDatabase) {
    this.db = db;
  }

  async insertRule(rule: AlertRule): Promise<void> {
    await this.db.write(
      `INSERT INTO alert_rules (${RULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      ruleValues(rule),
    );
  }

  /**
   * Replaces a rule; drops its states when `resetStates`, or those of clients other than `rule.clientId`
   * when it names one. One statement: no replica sees the rule changed and its old states kept.
   */
  async replaceRule(rule: AlertRule, resetStates: boolean): Promise<boolean> {
    const { rows } = await this.db.write<{ updated: number }>(
      `WITH r AS (
         UPDATE alert_rules SET name = $2, kind = $3, metric = $4, comparator = $5, threshold = $6,
           recovery_threshold = $7, for_seconds = $8, client_id = $9, severity = $10, webhook_url = $11,
           updated_at = $12
         WHERE id = $1 RETURNING id
       ), d AS (
         DELETE FROM alert_states WHERE rule_id IN (SELECT id FROM r)
           AND ($13 OR ($9::text IS NOT NULL AND client_id <> $9))
       )
       SELECT count(*)::int AS updated FROM r`,
      // Every value but createdAt, which does not change.
      [...ruleValues(rule).slice(0, 11), rule.updatedAt, resetStates],
    );
    return (rows[0]?.updated ?? 0) > 0;
  }

  /** Deletes a rule and (by the foreign key) its states; resolves the rule, or `null` for an unknown id. */
  async deleteRule(id: string): Promise<AlertRule | null> {
    const { rows } = await this.db.write<RuleRow>(
      `DELETE FROM alert_rules WHERE id = $1 RETURNING ${RULE_COLUMNS}`,
      [id],
    );
    return rows[0] ? toRule(rows[0]) : null;
  }

  async rule(id: string): Promise<AlertRule | null> {
    const [row] = await this.db.read<RuleRow>(`SELECT ${RULE_COLUMNS} FROM alert_rules WHERE id = $1`, [id]);
    return row ? toRule(row) : null;
  }

  async rules(): Promise<AlertRule[]> {
    return (await this.db.read<RuleRow>(`SELECT ${RULE_COLUMNS} FROM alert_rules ORDER BY seq`)).map(toRule);
  }

  /** Current states: all, one rule's (by client id), or one pair's. */
  async statuses(filter: { ruleId?: string; clientId?: string } = {}): Promise<AlertStatus[]> {
    const rows = await this.db.read(
      `SELECT * FROM alert_states WHERE ($1::text IS NULL OR rule_id = $1) AND ($2::text IS NULL OR client_id = $2)
       ORDER BY rule_id, client_id COLLATE "C"`,
      [filter.ruleId ?? null, filter.clientId ?? null],
    );
    return rows.map((r) => ({
      ruleId: r.rule_id as string,
      clientId: r.client_id as string,
      state: r.state as AlertStatus['state'],
      since: r.since as number,
      value: r.value as number | null,
    }));
  }

  /** Stores each change whose pair is still as its evaluation found it; resolves those stored. */
  async record(changes: readonly AlertChange[]): Promise<AlertChange[]> {
    const stored: AlertChange[] = [];
    for (const change of changes) {
      const { status, previous, events } = change;
      const values: unknown[] = [status.ruleId, status.clientId, status.state, status.since, status.value];
      if (previous) values.push(previous.state, previous.since);
      for (const e of events) {
        values.push(e.id, e.ruleId, e.ruleName, e.kind, e.severity, e.metric, e.threshold, e.clientId);
        values.push(e.state, e.previous, e.value, e.at, e.message);
      }
      const { rows } = await this.db.write<{ stored: number }>(storeChange(previous, events.length), values);
      if (rows[0]?.stored === 1) stored.push(change);
    }
    return stored;
  }

  async history(query: AlertHistoryQuery): Promise<AlertEvent[]> {
    const rows = await this.db.read<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM alert_events
       WHERE at >= $1 AND at < $2 AND ($3::text IS NULL OR state = $3)
         AND ($4::text IS NULL OR client_id = $4) AND ($5::text IS NULL OR rule_id = $5)
       ORDER BY at DESC, seq DESC LIMIT $6`,
      [query.from, query.to, query.state, query.clientId, query.ruleId, query.limit],
    );
    return rows.map(toEvent);
  }

  /** When each client was last heard of by the NO_DATA checker, as saved by `saveSeen`. */
  async seen(): Promise<Map<string, number>> {
    const rows = await this.db.read('SELECT client_id, seen_at FROM alert_clients_seen');
    return new Map(rows.map((r) => [r.client_id as string, r.seen_at as number]));
  }

  async saveSeen(entries: readonly [clientId: string, seenAt: number][]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.write(
      `INSERT INTO alert_clients_seen AS c (client_id, seen_at)
       SELECT * FROM unnest($1::text[], $2::bigint[]) ORDER BY 1
       ON CONFLICT (client_id) DO UPDATE SET seen_at = greatest(c.seen_at, excluded.seen_at)`,
      [entries.map((e) => e[0]), entries.map((e) => e[1])],
    );
  }

  /** Deletes transitions before `before`; resolves how many. */
  /** Deletes a forgotten client's states under every rule and its last-seen time; resolves the states deleted. */
  async forgetClient(clientId: string): Promise<number> {
    const { rowCount } = await this.db.write(
      `WITH seen AS (DELETE FROM alert_clients_seen WHERE client_id = $1)
       DELETE FROM alert_states WHERE client_id = $1`,
      [clientId],
    );
    return rowCount ?? 0;
  }

  async prune(before: number): Promise<number> {
    return (await this.db.write('DELETE FROM alert_events WHERE at < $1', [before])).rowCount ?? 0;
  }
}

function ruleValues(rule: AlertRule): unknown[] {
  return [
    rule.id,
    rule.name,
    rule.kind,
    rule.metric,
    rule.comparator,
    rule.threshold,
    rule.recoveryThreshold,
    rule.forSeconds,
    rule.clientId,
    rule.severity,
    rule.webhookUrl,
    rule.createdAt,
    rule.updatedAt,
  ];
}
