import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, type RealServer, redisBinary, startRedis } from '../../../testing/real-servers.js';
import { createAlerting } from '../../src/alerts/index.js';
import { RedisLease } from '../../src/alerts/lease.js';
import { createLive } from '../../src/live/index.js';
import { createLogger } from '../../src/logger.js';
import { graphql } from '../helpers.js';
import { serverForSuite } from '../suite-server.js';
import { waitFor } from '../ws-helpers.js';
import { ALERTS, BASE, createRule, report, subscribeAlerts } from './cases.js';

describe('a NO_DATA rule', () => {
  const clock = { time: BASE + 60_000, now: () => clock.time };
  const srv = serverForSuite({ clock });

  it('fires for a client silent for forSeconds (server clock) and resolves when it reports', async () => {
    const alerts = await subscribeAlerts(srv);
    const rule = await createRule(srv, {
      name: 'silent',
      kind: 'NO_DATA',
      forSeconds: 60,
      severity: 'WARNING',
    });
    expect(rule).toMatchObject({ kind: 'NO_DATA', metric: null, comparator: null, threshold: null });
    await report(srv, 'quiet', 10, 0.2);
    await report(srv, 'busy', 10, 0.2);

    clock.time += 30_000;
    srv.app.alerting.check();
    await report(srv, 'busy', 20, 0.2);
    clock.time += 31_000; // quiet: 61 s without a report; busy: 31 s
    srv.app.alerting.check();
    await waitFor(() => alerts.of('quiet').length >= 1, 'NO_DATA firing');
    const firedAt = new Date(clock.time).toISOString();
    expect(alerts.of('quiet')).toEqual([
      {
        ruleId: rule.id,
        ruleName: 'silent',
        clientId: 'quiet',
        state: 'FIRING',
        previous: 'OK',
        value: null,
        at: firedAt,
      },
    ]);
    srv.app.alerting.check(); // still silent: no second event

    await report(srv, 'quiet', 80, 0.2);
    await waitFor(() => alerts.of('quiet').length >= 2, 'NO_DATA resolved');
    expect(alerts.of('quiet').map((e: { state: string }) => e.state)).toEqual(['FIRING', 'RESOLVED']);
    expect(alerts.of('busy')).toEqual([]);
    const history = await graphql(srv.url, ALERTS, { ruleId: rule.id, state: 'FIRING', clientId: 'quiet' });
    expect(history.body.data.alerts).toMatchObject([
      { clientId: 'quiet', state: 'FIRING', value: null, message: 'quiet: no report for 60 s' },
    ]);
    await alerts.close();
  });

  it('forgets a forgotten client: no NO_DATA alert and no OFFLINE status for it, while others get theirs', async () => {
    const statuses: { clientId: string; status: string }[] = [];
    const unlisten = srv.app.live.pubsub.listen('clientStatusChanged', (e) => void statuses.push(e));
    const rule = await createRule(srv, { name: 'gone', kind: 'NO_DATA', forSeconds: 60, severity: 'INFO' });
    await report(srv, 'retired', 200, 0.2);
    await report(srv, 'still-here', 200, 0.2);
    const forgotten = await graphql(srv.url, 'mutation { forgetClient(clientId: "retired") { id } }');
    expect(forgotten.body).toEqual({ data: { forgetClient: { id: 'retired' } } });

    clock.time += 200_000; // past NO_DATA's 60 s and OFFLINE's 10 report intervals
    srv.app.alerting.check();
    const firing = async (clientId: string) =>
      (await graphql(srv.url, ALERTS, { ruleId: rule.id, clientId })).body.data.alerts;
    await waitFor(async () => (await firing('still-here')).length > 0, 'NO_DATA for still-here', 30_000);
    // One check evaluates every client it watches: had it still watched `retired`, it would have fired too.
    expect(await firing('retired')).toEqual([]);
    // The status timer (every second) moves every tracked client in one pass, likewise.
    await waitFor(
      () => statuses.some((e) => e.clientId === 'still-here' && e.status === 'OFFLINE'),
      'OFFLINE',
      30_000,
    );
    expect(statuses.filter((e) => e.clientId === 'retired' && e.status !== 'ONLINE')).toEqual([]);
    unlisten();
  });
});

describe.skipIf(!hasBinary(redisBinary))('the NO_DATA lease with REDIS_URL', () => {
  let redis: RealServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('lets one replica check at a time, and another take over once it stops', async () => {
    const logger = createLogger('silent');
    const clock = { now: () => Date.now() };
    const replicas = [0, 1].map(() => {
      const live = createLive({ redisUrl: redis.url, logger });
      const dataDir = mkdtempSync(join(tmpdir(), 'mc-alerts-'));
      const lease = live.redis && new RedisLease(live.redis, 'test-lease');
      return {
        live,
        dataDir,
        alerting: createAlerting({ dataDir, live, clock, logger, lease }),
      };
    });
    const [first, second] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    try {
      expect(await first.alerting.tick()).toBe(true);
      expect(await second.alerting.tick()).toBe(false);
      expect(await first.alerting.tick()).toBe(true); // renewed
      await first.alerting.stop(); // releases the lease
      expect(await second.alerting.tick()).toBe(true);
    } finally {
      for (const r of replicas) {
        await r.alerting.stop();
        await r.live.close();
        rmSync(r.dataDir, { recursive: true, force: true });
      }
    }
  });
});
