import type { AlertEvent, AlertRule } from '@metrics-collector/schema/alerts/types';

/*
 * The rows of the rules and events tables, as SQLite (table.ts) and PostgreSQL (pg-table.ts) answer them
 * (PostgreSQL's BIGINT read as numbers: pg/database.ts), and the records they stand for.
 */

export interface RuleRow {
  id: string;
  name: string;
  kind: AlertRule['kind'];
  metric: AlertRule['metric'];
  comparator: AlertRule['comparator'];
  threshold: number | null;
  recovery_threshold: number | null;
  for_seconds: number;
  client_id: string | null;
  severity: AlertRule['severity'];
  webhook_url: string | null;
  created_at: number;
  updated_at: number;
}

export interface EventRow {
  id: string;
  rule_id: string;
  rule_name: string;
  kind: AlertEvent['kind'];
  severity: AlertEvent['severity'];
  metric: AlertEvent['metric'];
  threshold: number | null;
  client_id: string;
  state: AlertEvent['state'];
  previous: AlertEvent['previous'];
  value: number | null;
  at: number;
  message: string;
}

export function toRule(row: RuleRow): AlertRule {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    metric: row.metric,
    comparator: row.comparator,
    threshold: row.threshold,
    recoveryThreshold: row.recovery_threshold,
    forSeconds: row.for_seconds,
    clientId: row.client_id,
    severity: row.severity,
    webhookUrl: row.webhook_url,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toEvent(row: EventRow): AlertEvent {
  return {
    id: row.id,
    ruleId: row.rule_id,
    ruleName: row.rule_name,
    kind: row.kind,
    severity: row.severity,
    metric: row.metric,
    threshold: row.threshold,
    clientId: row.client_id,
    state: row.state,
    previous: row.previous,
    value: row.value,
    at: row.at,
    message: row.message,
  };
}
