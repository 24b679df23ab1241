import { setTimeout as delay } from 'node:timers/promises';
/**
 * Alert rules, states and history in PostgreSQL, shared by two replicas (with Redis for live events): a
 * rule created on one is evaluated by the other, and a transition is stored and published once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, type RealServer, redisBinary, startRedis } from '../../../testing/real-servers.js';
import { PgDatabase } from '../../src/pg/database.js';
import { PgLease } from '../../src/pg/lease.js';
import { graphql, startTestServer, type TestServer } from '../helpers.js';
import { hasPostgres, postgresDatabase, startPostgresForFile } from '../postgres.js';
import { waitFor } from '../ws-helpers.js';
import { ALERTS, alertStates, cpuRule, createRule, RULES, report, subscribeAlerts } from './cases.js';

startPostgresForFile();

describe.skipIf(!(hasPostgres() && hasBinary(redisBinary)))('alerts on PostgreSQL, two replicas', () => {
  let redis: RealServer;
  let a: TestServer;
  let b: TestServer;
  let url: string;
  beforeAll(async () => {
    redis = await startRedis();
    url = await postgresDatabase();
    // The metrics stay in each replica's own folder (not what this file tests), which must be allowed.
    const env = { DATABASE_URL: url, REDIS_URL: redis.url, ALLOW_SINGLE_PROCESS_STATE: 'true' };
    [a, b] = await Promise.all([startTestServer({ env }), startTestServer({ env })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('fires once, seen by subscribers on both, a rule created on B for data reported to A', async () => {
    const [onA, onB] = await Promise.all([subscribeAlerts(a), subscribeAlerts(b)]);
    const rule = await createRule(b, cpuRule({ name: 'made on B', clientId: 'host-p', forSeconds: 0 }));
    // A learns of the rule by NOTIFY: report until it has evaluated one window (a busy machine may take
    // seconds to deliver the notification, so the wait is bounded by time, not by a count of reports).
    const deadline = Date.now() + 60_000;
    let end = 10;
    for (; (await alertStates(b, rule.id)).length === 0; end += 10) {
      if (Date.now() > deadline) throw new Error('the rule never fired');
      await report(a, 'host-p', end, 0.9);
      await delay(20);
    }
    await report(a, 'host-p', end + 10, 0.95); // still FIRING: no new transition
    for (const sub of [onA, onB]) {
      await waitFor(() => sub.of('host-p').length >= 2, 'the transitions on both');
    }
    expect(await alertStates(a, rule.id)).toEqual(['FIRING', 'PENDING']);
    for (const sub of [onA, onB]) {
      expect(sub.of('host-p').map((e: { state: string }) => e.state)).toEqual(['PENDING', 'FIRING']);
    }
    const rules = await graphql(a.url, RULES);
    expect(rules.body.data.alertRules).toContainEqual(
      expect.objectContaining({ id: rule.id, states: [expect.objectContaining({ state: 'FIRING' })] }),
    );
    await Promise.all([onA.close(), onB.close()]);
  });

  it('stores each transition once when both replicas evaluate one client at once', async () => {
    const rule = await createRule(a, cpuRule({ name: 'raced', clientId: 'host-q', forSeconds: 0 }));
    // The same windows sent to both replicas at once (an agent retrying through the other one).
    for (let end = 10; end <= 200; end += 10) {
      const cpu = Math.floor(end / 40) % 2 === 0 ? 0.9 : 0.1;
      await Promise.all([report(a, 'host-q', end, cpu), report(b, 'host-q', end, cpu)]);
    }
    // Transitions are committed after the report is answered: wait for the last one.
    await waitFor(async () => (await alertStates(b, rule.id)).length >= 9, 'the last transition', 10_000);
    const history = await graphql(b.url, ALERTS, { ruleId: rule.id });
    const events = (history.body.data.alerts as { state: string; previous: string }[]).reverse();
    // Above for 30 s, below for 40 s (recovering), and so on: each transition once, in a chain.
    const cycle = ['PENDING', 'FIRING', 'RESOLVED'];
    expect(events.map((e) => e.state)).toEqual([...cycle, ...cycle, ...cycle]);
    for (const [i, event] of events.entries()) {
      if (i > 0) expect(event.previous).toBe(events[i - 1]?.state);
    }
  });

  it('gives the NO_DATA lease to one replica at a time, by the database clock', async () => {
    const db = new PgDatabase({ url, onError: () => undefined });
    try {
      const [first, second] = [new PgLease(db, 'test'), new PgLease(db, 'test')];
      expect(await Promise.all([first.hold(), second.hold()])).toSatisfy(
        (held: boolean[]) => held.filter(Boolean).length === 1,
      );
      const holder = (await first.hold()) ? first : second;
      const other = holder === first ? second : first;
      expect(await holder.hold()).toBe(true); // renewed
      expect(await other.hold()).toBe(false);
      await holder.release();
      expect(await other.hold()).toBe(true);
    } finally {
      await db.close();
    }
  });
});
