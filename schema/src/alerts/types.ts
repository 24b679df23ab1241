import type { Metric } from '@metrics-collector/common/catalogue';

export const alertStates = ['OK', 'PENDING', 'FIRING', 'RESOLVED'] as const;
export type AlertState = (typeof alertStates)[number];

export const alertRuleKinds = ['THRESHOLD', 'NO_DATA'] as const;
export type AlertRuleKind = (typeof alertRuleKinds)[number];
export const alertComparators = ['ABOVE', 'BELOW'] as const;
export type AlertComparator = (typeof alertComparators)[number];
export const alertSeverities = ['INFO', 'WARNING', 'CRITICAL'] as const;
export type AlertSeverity = (typeof alertSeverities)[number];

/** What an operator says about a rule (as `validateAlertRule` checked it). */
export interface AlertRuleSpec {
  name: string;
  kind: AlertRuleKind;
  /** THRESHOLD: the series compared; `null` for NO_DATA. */
  metric: Metric | null;
  /** THRESHOLD only. */
  comparator: AlertComparator | null;
  /** THRESHOLD only. */
  threshold: number | null;
  /** THRESHOLD only: a FIRING alert resolves only once the value crosses this (hysteresis). */
  recoveryThreshold: number | null;
  /** THRESHOLD: how long (report time) the breach must last; NO_DATA: how long a client must be silent. */
  forSeconds: number;
  /** `null`: every client. */
  clientId: string | null;
  severity: AlertSeverity;
  /** Each transition is POSTed here as JSON. */
  webhookUrl: string | null;
}

export interface AlertRule extends AlertRuleSpec {
  id: string;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
}

/** The current state of one (rule, client). */
export interface AlertStatus {
  ruleId: string;
  clientId: string;
  state: AlertState;
  /** Epoch ms of the transition into `state` (for PENDING: when the breach started). */
  since: number;
  /** The value at that transition; `null` for NO_DATA. */
  value: number | null;
}

/** One transition of one (rule, client), as stored in the alert history and published on `alertEvents`. */
export interface AlertEvent {
  id: string;
  ruleId: string;
  /** The rule as it was at the transition (the history outlives a rule's changes and deletion). */
  ruleName: string;
  kind: AlertRuleKind;
  severity: AlertSeverity;
  metric: Metric | null;
  threshold: number | null;
  clientId: string;
  state: AlertState;
  previous: AlertState;
  /** The value that caused the transition; `null` for NO_DATA. */
  value: number | null;
  /** Epoch ms of the transition, in report time (the window's end) or the clock's for NO_DATA. */
  at: number;
  /** For people: what happened. */
  message: string;
}

/** Which transitions `AlertStore.history` returns: newest first, `at` in `[from, to)`. */
export interface AlertHistoryQuery {
  state: AlertState | null;
  clientId: string | null;
  ruleId: string | null;
  from: number;
  to: number;
  limit: number;
}

/**
 * Alert rules, their current states and history: implemented by the alerting module, in
 * `DATA_DIR/alerts.db`. Every change resolves once it is committed.
 */
export interface AlertStore {
  createRule(spec: AlertRuleSpec, now: number): Promise<AlertRule>;
  /** Replaces the rule's spec; `null` for an unknown id. */
  updateRule(id: string, spec: AlertRuleSpec, now: number): Promise<AlertRule | null>;
  /** Deletes the rule and its current states (its history stays); `null` for an unknown id. */
  deleteRule(id: string): Promise<AlertRule | null>;
  getRule(id: string): Promise<AlertRule | null>;
  /** Every rule, oldest first. */
  listRules(): Promise<AlertRule[]>;
  /** The rule's current state per client, by client id. */
  states(ruleId: string): Promise<AlertStatus[]>;
  /**
   * A forgotten client: deletes its current state under every rule and when it was last seen (NO_DATA
   * rules stop watching it); its history stays. Resolves with the number of states deleted.
   */
  forgetClient(clientId: string): Promise<number>;
  history(query: AlertHistoryQuery): Promise<AlertEvent[]>;
}
