import { describe, expect, it } from 'vitest';
import { REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { graphql } from '../helpers.js';
import { serverForSuite } from '../suite-server.js';
import { waitFor } from '../ws-helpers.js';
import {
  ALERTS,
  CREATE,
  cpuRule,
  createRule,
  DELETE,
  iso,
  RULES,
  report,
  subscribeAlerts,
  UPDATE,
} from './cases.js';

describe('a THRESHOLD rule', () => {
  const srv = serverForSuite();

  it('goes PENDING, FIRING after forSeconds of report time, stays FIRING above the recovery threshold, then RESOLVED; on alertEvents and in Query.alerts', async () => {
    const alerts = await subscribeAlerts(srv);
    const rule = await createRule(srv, cpuRule({ clientId: 'host-1' }));
    expect(rule).toMatchObject({
      kind: 'THRESHOLD',
      recoveryThreshold: 0.6,
      clientId: 'host-1',
      webhookUrl: null,
    });

    await report(srv, 'host-1', 10, 0.9); // breach starts at 10 s: PENDING
    await report(srv, 'host-2', 20, 0.95); // another client: not this rule's
    await report(srv, 'host-1', 20, 0.9); // 20 ≥ 10 + 10: FIRING
    await report(srv, 'host-1', 30, 0.7); // above the recovery threshold 0.6: still FIRING
    await report(srv, 'host-1', 40, 0.5); // RESOLVED
    await report(srv, 'host-1', 50, 0.5); // stays RESOLVED, no event
    await waitFor(() => alerts.of('host-1').length >= 3, 'three transitions');

    const expected = [
      { state: 'PENDING', previous: 'OK', value: 0.9, at: iso(10) },
      { state: 'FIRING', previous: 'PENDING', value: 0.9, at: iso(20) },
      { state: 'RESOLVED', previous: 'FIRING', value: 0.5, at: iso(40) },
    ];
    expect(alerts.of('host-1')).toEqual(
      expected.map((e) => ({ ...e, ruleId: rule.id, ruleName: 'CPU hot', clientId: 'host-1' })),
    );
    expect(alerts.of('host-2')).toEqual([]);

    const history = await graphql(srv.url, ALERTS, { clientId: 'host-1', ruleId: rule.id });
    expect(history.body.errors).toBeUndefined();
    expect(history.body.data.alerts).toMatchObject(
      [...expected].reverse().map((e) => ({ ...e, ruleId: rule.id, severity: 'CRITICAL', threshold: 0.8 })),
    );
    const firing = await graphql(srv.url, ALERTS, { state: 'FIRING', ruleId: rule.id });
    expect(firing.body.data.alerts.map((e: { at: string }) => e.at)).toEqual([iso(20)]);
    const range = await graphql(srv.url, ALERTS, { ruleId: rule.id, from: iso(15), to: iso(40) });
    expect(range.body.data.alerts.map((e: { state: string }) => e.state)).toEqual(['FIRING']);

    const rules = await graphql(srv.url, RULES);
    const listed = rules.body.data.alertRules.find((r: { id: string }) => r.id === rule.id);
    expect(listed.states).toEqual([{ clientId: 'host-1', state: 'RESOLVED', since: iso(40), value: 0.5 }]);
    await alerts.close();
  });

  it('goes back to OK when the breach ends before forSeconds; RESOLVED behaves as OK; late reports are skipped', async () => {
    const rule = await createRule(srv, cpuRule({ clientId: 'host-3', forSeconds: 30 }));
    await report(srv, 'host-3', 10, 0.9); // PENDING
    await report(srv, 'host-3', 20, 0.5); // OK
    await report(srv, 'host-3', 30, 0.9); // PENDING again, breach from 30
    await report(srv, 'host-3', 50, 0.9); // 50 < 60: still PENDING
    await report(srv, 'host-3', 40, 0.1); // older than the newest evaluated window: skipped
    await report(srv, 'host-3', 60, 0.9); // FIRING
    const history = await graphql(srv.url, ALERTS, { ruleId: rule.id });
    expect(
      history.body.data.alerts.map((e: { state: string; at: string }) => [e.state, e.at]).reverse(),
    ).toEqual([
      ['PENDING', iso(10)],
      ['OK', iso(20)],
      ['PENDING', iso(30)],
      ['FIRING', iso(60)],
    ]);
  });

  it('compares the busiest core for CPU_CORE_UTILIZATION', async () => {
    const rule = await createRule(srv, {
      name: 'a core is hot',
      metric: 'CPU_CORE_UTILIZATION',
      comparator: 'ABOVE',
      threshold: 0.85,
      forSeconds: 0,
      clientId: 'host-4',
    });
    const input = reportInput({
      clientId: 'host-4',
      cpu: {
        utilization: { mean: 0.5, variance: 0, min: 0.5, max: 0.5 },
        cores: [
          { mean: 0.1, variance: 0, min: 0.1, max: 0.1 },
          { mean: 0.9, variance: 0, min: 0.9, max: 0.9 },
        ],
      },
    });
    expect((await graphql(srv.url, REPORT_MUTATION, { input })).body.errors).toBeUndefined();
    const history = await graphql(srv.url, ALERTS, { ruleId: rule.id });
    expect(history.body.data.alerts.map((e: { state: string; value: number }) => [e.state, e.value])).toEqual(
      [
        ['FIRING', 0.9],
        ['PENDING', 0.9],
      ],
    );
  });

  it('updates and deletes rules; unknown ids are NOT_FOUND', async () => {
    const rule = await createRule(srv, cpuRule({ name: 'to change' }));
    const updated = await graphql(srv.url, UPDATE, {
      id: rule.id,
      input: cpuRule({ name: 'changed', threshold: 0.9 }),
    });
    expect(updated.body.errors).toBeUndefined();
    expect(updated.body.data.updateAlertRule).toMatchObject({ id: rule.id, name: 'changed', threshold: 0.9 });
    const deleted = await graphql(srv.url, DELETE, { id: rule.id });
    expect(deleted.body.data.deleteAlertRule).toEqual({ id: rule.id, name: 'changed' });
    const rules = await graphql(srv.url, RULES);
    expect(rules.body.data.alertRules.map((r: { id: string }) => r.id)).not.toContain(rule.id);

    for (const [query, variables] of [
      [UPDATE, { id: rule.id, input: cpuRule() }],
      [DELETE, { id: rule.id }],
    ] as const) {
      const res = await graphql(srv.url, query, variables);
      expect(res.status).not.toBe(500);
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    }
  });

  it.each([
    ['an empty name', { name: '  ' }, 'input.name'],
    ['a name too long', { name: 'x'.repeat(201) }, 'input.name'],
    ['an unknown comparator', { comparator: 'SIDEWAYS' }, 'input.comparator'],
    ['no threshold', { threshold: null }, 'input.threshold'],
    ['a string threshold', { threshold: 'NaN' }, 'input.threshold'],
    ['a negative forSeconds', { forSeconds: -1 }, 'input.forSeconds'],
    ['a webhook that is not http(s)', { webhookUrl: 'ftp://example.com/hook' }, 'input.webhookUrl'],
    ['a webhook that is not a URL', { webhookUrl: 'not a url' }, 'input.webhookUrl'],
    ['a recovery threshold past the threshold', { recoveryThreshold: 0.9 }, 'input.recoveryThreshold'],
    ['a NO_DATA rule with a threshold', { kind: 'NO_DATA' }, 'input.metric'],
    ['an unknown metric', { metric: 'NOPE' }, 'input.metric'],
  ])('rejects %s as BAD_USER_INPUT naming the field', async (_what, overrides, field) => {
    const res = await graphql(srv.url, CREATE, { input: cpuRule(overrides) });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});
