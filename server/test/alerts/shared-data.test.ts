import { describe, expect, it } from 'vitest';
import { graphql, startTestServer } from '../helpers.js';
import { alertStates, cpuRule, createRule, iso, RULES, report } from './cases.js';

describe('alerts across a restart', () => {
  it('keeps the rule and a FIRING alert, which a later report resolves', async () => {
    const first = await startTestServer();
    const rule = await createRule(first, cpuRule({ clientId: 'host-r' }));
    await report(first, 'host-r', 10, 0.9);
    await report(first, 'host-r', 20, 0.9);
    await first.stop({ keepData: true });

    const srv = await startTestServer({ dataDir: first.dataDir });
    try {
      const rules = await graphql(srv.url, RULES);
      expect(rules.body.data.alertRules).toEqual([
        expect.objectContaining({
          id: rule.id,
          name: 'CPU hot',
          states: [{ clientId: 'host-r', state: 'FIRING', since: iso(20), value: 0.9 }],
        }),
      ]);
      await report(srv, 'host-r', 30, 0.7); // above recovery: still FIRING
      await report(srv, 'host-r', 40, 0.5);
      expect(await alertStates(srv, rule.id)).toEqual(['RESOLVED', 'FIRING', 'PENDING']);
    } finally {
      await srv.stop();
    }
  });
});

describe('two servers sharing DATA_DIR', () => {
  it("see each other's rules and states", async () => {
    const a = await startTestServer();
    const b = await startTestServer({ dataDir: a.dataDir });
    try {
      const rule = await createRule(a, cpuRule({ clientId: 'host-s', forSeconds: 0 }));
      await report(b, 'host-s', 10, 0.9); // evaluated by b, which did not create the rule
      const rules = await graphql(a.url, RULES);
      expect(rules.body.data.alertRules).toEqual([
        expect.objectContaining({ id: rule.id, states: [expect.objectContaining({ state: 'FIRING' })] }),
      ]);
      await report(a, 'host-s', 20, 0.1); // a knows of b's FIRING
      expect(await alertStates(b, rule.id)).toEqual(['RESOLVED', 'FIRING', 'PENDING']);
    } finally {
      await b.stop({ keepData: true });
      await a.stop();
    }
  });
});
