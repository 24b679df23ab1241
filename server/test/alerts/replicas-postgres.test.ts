import { setTimeout as delay } from 'node:timers/promises';
/**
 * Alert rules, states and history in PostgreSQL, shared by two replicas (with Redis for live events): a
 * rule created on one is evaluated by the other, and a transition is stored and published once.
 */
import type { AlertRule } from '@metrics-collector/schema/alerts/types';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, type RealServer, redisBinary, startRedis } from '../../../testing/real-servers.js';
import { PgAlertCache } from '../../src/alerts/pg-cache.js';
import { PgAlertTable } from '../../src/alerts/pg-table.js';
import { createLogger } from '../../src/logger.js';
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

  // The loop below stops at its own 60 s deadline; the test's limit is above it.
  it('fires once, seen by subscribers on both, a rule created on B for data reported to A', {
    timeout: 90_000,
  }, async () => {
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

/** A rule as another replica creates it. */
const rule = (name: string): AlertRule => ({
  id: `rule-${name}`,
  name,
  kind: 'THRESHOLD',
  metric: 'CPU_UTILIZATION',
  comparator: 'ABOVE',
  threshold: 0.8,
  recoveryThreshold: null,
  forSeconds: 0,
  clientId: null,
  severity: 'WARNING',
  webhookUrl: null,
  createdAt: 0,
  updatedAt: 0,
});

describe.skipIf(!hasPostgres())("a replica's rules cache, following another replica's changes", () => {
  const open: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const o of open.reverse()) await o.close();
  });

  /** This replica's cache (started) and another replica's table, on one new database. */
  async function replicas() {
    const url = await postgresDatabase();
    const db = new PgDatabase({ url, onError: () => undefined });
    const other = new PgDatabase({ url, onError: () => undefined });
    const table = new PgAlertTable(db);
    const cache = new PgAlertCache(table, url, createLogger('silent'));
    open.push(db, other, cache);
    await cache.start();
    return { url, table, cache, elsewhere: new PgAlertTable(other) };
  }
  const has =
    (cache: PgAlertCache, ...ids: string[]) =>
    () =>
      ids.every((id) => cache.rules.has(id));

  it('reads the rules again after a read that failed, until one succeeds', { timeout: 90_000 }, async () => {
    const { table, cache, elsewhere } = await replicas();
    const read = table.rules.bind(table);
    let failures = 2;
    table.rules = () => (failures-- > 0 ? Promise.reject(new Error('connection lost')) : read());
    await elsewhere.insertRule(rule('made-elsewhere'));
    await waitFor(has(cache, 'rule-made-elsewhere'), 'the rule in the cache', 30_000);
    expect(failures).toBeLessThan(0);
  });

  it('never lets an older read of the rules finish last', { timeout: 90_000 }, async () => {
    const { url, table, cache, elsewhere } = await replicas();
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    open.push({ close: () => listener.end() });
    await listener.query('LISTEN mc_alerts');
    let notices = 0;
    listener.on('notification', () => {
      notices += 1;
    });
    // The first read after the first change is held back, its answer taken before the second change.
    const read = table.rules.bind(table);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reads = 0;
    let heldReturned = false;
    table.rules = async () => {
      reads += 1;
      const answer = await read();
      if (reads === 1) {
        await held;
        heldReturned = true;
      }
      return answer;
    };
    await elsewhere.insertRule(rule('first'));
    await waitFor(() => reads === 1, 'the first read', 30_000);
    await elsewhere.insertRule(rule('second'));
    await waitFor(() => notices >= 2, 'the second notice', 30_000);
    // The cache's own connection got the same notice; give it a moment to act on it.
    await delay(500);
    release();
    // Once the held read's answer has been applied, the cache must still get (or keep) both rules.
    await waitFor(() => heldReturned, 'the held read', 30_000);
    await delay(300);
    await waitFor(has(cache, 'rule-first', 'rule-second'), 'both rules in the cache', 30_000);
  });
});
