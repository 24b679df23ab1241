import { randomUUID } from 'node:crypto';
import type {
  AlertEvent,
  AlertHistoryQuery,
  AlertRule,
  AlertRuleSpec,
  AlertStatus,
  AlertStore,
} from '@metrics-collector/schema/alerts/types';
import type { AlertCache } from './cache.js';

/**
 * The `AlertStore` resolvers use: rules and states from the cache (read again when another server
 * changed `alerts.db`), every change committed to the table first. The table's calls are synchronous
 * (better-sqlite3); the promises keep the interface open to other stores.
 */
export class CachedAlertStore implements AlertStore {
  readonly #cache: AlertCache;

  constructor(cache: AlertCache) {
    this.#cache = cache;
  }

  async createRule(spec: AlertRuleSpec, now: number): Promise<AlertRule> {
    const rule: AlertRule = { id: randomUUID(), ...spec, createdAt: now, updatedAt: now };
    this.#cache.table.insertRule(rule);
    this.#cache.rules.set(rule.id, rule);
    return rule;
  }

  async updateRule(id: string, spec: AlertRuleSpec, now: number): Promise<AlertRule | null> {
    const cache = this.#cache;
    cache.refresh();
    const old = cache.rules.get(id);
    if (!old) return null;
    const rule: AlertRule = { ...spec, id, createdAt: old.createdAt, updatedAt: now };
    const restart =
      old.kind !== rule.kind || old.metric !== rule.metric || old.comparator !== rule.comparator;
    if (!cache.table.replaceRule(rule, restart)) return null;
    cache.rules.set(id, rule);
    if (restart) cache.forgetStates(id);
    else if (rule.clientId !== null && old.clientId !== rule.clientId) {
      // Clients the rule no longer covers lose their states.
      const dropped = cache.forgetStates(id, (clientId) => clientId === rule.clientId);
      cache.table.dropStates(dropped);
    }
    return rule;
  }

  async deleteRule(id: string): Promise<AlertRule | null> {
    const cache = this.#cache;
    cache.refresh();
    const rule = cache.rules.get(id);
    if (!rule || !cache.table.deleteRule(id)) return null;
    cache.rules.delete(id);
    cache.forgetStates(id);
    return rule;
  }

  async getRule(id: string): Promise<AlertRule | null> {
    this.#cache.refresh();
    return this.#cache.rules.get(id) ?? null;
  }

  async listRules(): Promise<AlertRule[]> {
    this.#cache.refresh();
    return [...this.#cache.rules.values()];
  }

  async states(ruleId: string): Promise<AlertStatus[]> {
    this.#cache.refresh();
    return [...this.#cache.statuses.values()]
      .filter((s) => s.ruleId === ruleId)
      .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
  }

  async forgetClient(clientId: string): Promise<number> {
    const cache = this.#cache;
    cache.refresh();
    cache.table.forgetClient(clientId);
    let deleted = 0;
    for (const rule of cache.rules.values())
      deleted += cache.forgetStates(rule.id, (id) => id !== clientId).length;
    return deleted;
  }

  async history(query: AlertHistoryQuery): Promise<AlertEvent[]> {
    return this.#cache.table.history(query);
  }
}
