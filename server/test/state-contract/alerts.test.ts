import type { AlertRuleSpec } from '@metrics-collector/schema/alerts/types';
import { expect, it } from 'vitest';
import { describeStateContract } from './contract.js';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const spec = (overrides: Partial<AlertRuleSpec> = {}): AlertRuleSpec => ({
  name: 'CPU hot',
  kind: 'THRESHOLD',
  metric: 'CPU_UTILIZATION',
  comparator: 'ABOVE',
  threshold: 0.8,
  recoveryThreshold: 0.6,
  forSeconds: 0,
  clientId: null,
  severity: 'CRITICAL',
  webhookUrl: null,
  ...overrides,
});
const everything = { state: null, clientId: null, ruleId: null, from: 0, to: T0 + 3_600_000, limit: 100 };

describeStateContract((ctx) => {
  it('keeps rules: listed oldest first, replaced, deleted (null for an unknown id)', async () => {
    const { alerts, ready } = ctx.open();
    await ready();
    const first = await alerts.createRule(spec({ name: 'one' }), T0);
    const second = await alerts.createRule(spec({ name: 'two', kind: 'NO_DATA', metric: null }), T0 + 1);
    expect((await alerts.listRules()).map((r) => r.name)).toEqual(['one', 'two']);
    expect(await alerts.getRule(first.id)).toEqual(first);
    const updated = await alerts.updateRule(first.id, spec({ name: 'one, renamed', threshold: 0.9 }), T0 + 2);
    expect(updated).toMatchObject({ id: first.id, name: 'one, renamed', createdAt: T0, updatedAt: T0 + 2 });
    expect(await alerts.getRule(first.id)).toEqual(updated);
    expect(await alerts.updateRule('unknown', spec(), T0)).toBeNull();
    expect(await alerts.deleteRule(second.id)).toEqual(second);
    expect(await alerts.deleteRule(second.id)).toBeNull();
    expect((await alerts.listRules()).map((r) => r.id)).toEqual([first.id]);
  });

  it('stores the transitions of a report and the state per client; deleting the rule keeps the history', async () => {
    const { alerts, ready, report } = ctx.open();
    await ready();
    const rule = await alerts.createRule(spec(), T0);
    await report('b', T0 + 10_000, 0.9);
    await report('a', T0 + 10_000, 0.9);
    await report('a', T0 + 20_000, 0.95); // still FIRING
    await report('a', T0 + 30_000, 0.5);
    expect(await alerts.states(rule.id)).toEqual([
      { ruleId: rule.id, clientId: 'a', state: 'RESOLVED', since: T0 + 30_000, value: 0.5 },
      { ruleId: rule.id, clientId: 'b', state: 'FIRING', since: T0 + 10_000, value: 0.9 },
    ]);
    const history = await alerts.history({ ...everything, clientId: 'a' });
    expect(history.map((e) => [e.previous, e.state, e.at])).toEqual([
      ['FIRING', 'RESOLVED', T0 + 30_000],
      ['PENDING', 'FIRING', T0 + 10_000],
      ['OK', 'PENDING', T0 + 10_000],
    ]);
    expect(history[0]).toMatchObject({
      ruleName: 'CPU hot',
      kind: 'THRESHOLD',
      severity: 'CRITICAL',
      value: 0.5,
    });
    expect((await alerts.history({ ...everything, state: 'FIRING' })).map((e) => e.clientId)).toEqual([
      'a',
      'b',
    ]);
    expect(await alerts.history({ ...everything, from: T0 + 20_000 })).toHaveLength(1);
    expect(await alerts.history({ ...everything, limit: 2 })).toHaveLength(2);
    await alerts.deleteRule(rule.id);
    expect(await alerts.states(rule.id)).toEqual([]);
    expect(await alerts.history({ ...everything, ruleId: rule.id })).toHaveLength(5);
  });

  it('restarts a rule whose metric changed: its states are dropped, its history kept', async () => {
    const { alerts, ready, report } = ctx.open();
    await ready();
    const rule = await alerts.createRule(spec(), T0);
    await report('a', T0 + 10_000, 0.9);
    await alerts.updateRule(rule.id, spec({ metric: 'MEMORY_USED_RATIO' }), T0 + 1);
    expect(await alerts.states(rule.id)).toEqual([]);
    expect(await alerts.history({ ...everything, ruleId: rule.id })).toHaveLength(2);
  });

  it('keeps rules and states across a restart', async () => {
    const first = ctx.open();
    await first.ready();
    const rule = await first.alerts.createRule(spec(), T0);
    await first.report('a', T0 + 10_000, 0.9);
    await first.close();
    const again = ctx.open();
    await again.ready();
    expect(await again.alerts.states(rule.id)).toMatchObject([{ clientId: 'a', state: 'FIRING' }]);
    await again.report('a', T0 + 20_000, 0.1);
    expect(await again.alerts.states(rule.id)).toMatchObject([{ clientId: 'a', state: 'RESOLVED' }]);
  });

  if (ctx.shared) {
    it('stores a transition once when two replicas evaluate the same window', async () => {
      const [a, b] = [ctx.open(), ctx.open()];
      await Promise.all([a.ready(), b.ready()]);
      const rule = await a.alerts.createRule(spec({ clientId: 'x' }), T0);
      // B learns of the rule by NOTIFY: its `listRules` asks the database, its evaluation waits for the notice.
      for (let i = 0; i < 200 && (await b.alerts.states(rule.id)).length === 0; i += 1) {
        await b.report('x', T0 + 10_000, 0.9);
        await new Promise((r) => setTimeout(r, 10));
      }
      await Promise.all([a.report('x', T0 + 20_000, 0.5), b.report('x', T0 + 20_000, 0.5)]);
      const history = await b.alerts.history({ ...everything, ruleId: rule.id });
      expect(history.map((e) => e.state)).toEqual(['RESOLVED', 'FIRING', 'PENDING']);
    });
  }
});
