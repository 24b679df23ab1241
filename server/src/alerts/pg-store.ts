import { randomUUID } from 'node:crypto';
import type {
  AlertEvent,
  AlertHistoryQuery,
  AlertRule,
  AlertRuleSpec,
  AlertStatus,
  AlertStore,
} from '@metrics-collector/schema/alerts/types';
import type { PgAlertCache } from './pg-cache.js';

/**
 * The `AlertStore` resolvers use with PostgreSQL: reads ask the database, so that what one replica
 * changed is what every replica answers at once; changes are committed there, then applied to this
 * replica's evaluation cache (the others' follow by NOTIFY).
 */
export class PgAlertStore implements AlertStore {
  readonly #cache: PgAlertCache;

  constructor(cache: PgAlertCache) {
    this.#cache = cache;
  }

  async createRule(spec: AlertRuleSpec, now: number): Promise<AlertRule> {
    const rule: AlertRule = { id: randomUUID(), ...spec, createdAt: now, updatedAt: now };
    await this.#cache.table.insertRule(rule);
    this.#cache.rules.set(rule.id, rule);
    return rule;
  }

  async updateRule(id: string, spec: AlertRuleSpec, now: number): Promise<AlertRule | null> {
    const cache = this.#cache;
    const old = await cache.table.rule(id);
    if (!old) return null;
    const rule: AlertRule = { ...spec, id, createdAt: old.createdAt, updatedAt: now };
    const restart =
      old.kind !== rule.kind || old.metric !== rule.metric || old.comparator !== rule.comparator;
    if (!(await cache.table.replaceRule(rule, restart))) return null;
    cache.rules.set(id, rule);
    if (restart) cache.forgetStates(id);
    else if (rule.clientId !== null) cache.forgetStates(id, (clientId) => clientId === rule.clientId);
    return rule;
  }

  async deleteRule(id: string): Promise<AlertRule | null> {
    const rule = await this.#cache.table.deleteRule(id);
    if (!rule) return null;
    this.#cache.rules.delete(id);
    this.#cache.forgetStates(id);
    return rule;
  }

  getRule(id: string): Promise<AlertRule | null> {
    return this.#cache.table.rule(id);
  }

  listRules(): Promise<AlertRule[]> {
    return this.#cache.table.rules();
  }

  states(ruleId: string): Promise<AlertStatus[]> {
    return this.#cache.table.statuses({ ruleId });
  }

  /** A forgotten client: its states under every rule and its last-seen time go; its history stays. */
  async forgetClient(clientId: string): Promise<number> {
    const deleted = await this.#cache.table.forgetClient(clientId);
    for (const rule of this.#cache.rules.values()) this.#cache.forgetStates(rule.id, (id) => id !== clientId);
    return deleted;
  }

  history(query: AlertHistoryQuery): Promise<AlertEvent[]> {
    return this.#cache.table.history(query);
  }
}
