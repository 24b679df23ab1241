import type { ReportedWindow } from '@metrics-collector/schema/live/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MUTATION, reportInput } from '../../testing/fixtures.js';
import { hasBinary, type RealServer, redisBinary, startRedis } from '../../testing/real-servers.js';
import { createLive, type ServerLive } from '../src/live/index.js';
import { createStatusTracker, type StatusTracker } from '../src/live/status.js';
import { createLogger } from '../src/logger.js';
import { graphql, startTestServer, type TestServer } from './helpers.js';
import { collect, statusEvents, waitFor, wsClient } from './ws-helpers.js';

const METRIC_REPORTED = `subscription ($clientId: ID) {
  metricReported(clientId: $clientId) { clientId windowStart windowEnd observations }
}`;
const STATUS_CHANGED = `subscription ($clientId: ID) {
  clientStatusChanged(clientId: $clientId) { clientId status previous }
}`;

const T0 = Date.parse('2026-01-01T00:00:10.000Z');
const SECOND = 1_000;

/** Window `n` (10 s long, the n-th after 2026-01-01T00:00:00Z) of reportInput. */
const nthWindow = (n: number) => ({
  windowStart: new Date(T0 - 10 * SECOND + n * 10 * SECOND).toISOString(),
  windowEnd: new Date(T0 + n * 10 * SECOND).toISOString(),
});

describe.skipIf(!hasBinary(redisBinary))('two replicas sharing redis-server', () => {
  let redis: RealServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  describe('servers', () => {
    let one: TestServer;
    let two: TestServer;
    const now = T0;
    const clock = { now: () => now };
    beforeAll(async () => {
      // Live events only: each server keeps its own state, which the configuration must be told.
      const env = { REDIS_URL: redis.url, ALLOW_SINGLE_PROCESS_STATE: 'true' };
      [one, two] = await Promise.all([startTestServer({ env, clock }), startTestServer({ env, clock })]);
    });
    afterAll(async () => {
      await Promise.all([one?.stop(), two?.stop()]);
    });

    it('a metricReported subscriber on server 1 receives, once, each report server 2 accepted', async () => {
      const client = wsClient(one.url);
      const sub = collect(client, METRIC_REPORTED, { clientId: 'scale-a' });
      // Redis confirms a subscription asynchronously: report until one arrives, then count from there.
      let sent = 0;
      while (sub.events.length === 0) {
        expect(sent).toBeLessThan(100);
        const res = await graphql(two.url, REPORT_MUTATION, {
          input: reportInput({ clientId: 'scale-a', ...nthWindow(sent++) }),
        });
        expect(res.body.errors).toBeUndefined();
        await new Promise((r) => setTimeout(r, 20));
      }
      const before = sub.events.length;
      for (let i = 0; i < 5; i++) {
        await graphql(two.url, REPORT_MUTATION, {
          input: reportInput({ clientId: 'scale-a', ...nthWindow(sent++) }),
        });
      }
      await sub.until(before + 5);
      await new Promise((r) => setTimeout(r, 100));
      const ends = sub.events.map((e) => e.metricReported.windowEnd);
      expect(new Set(ends).size).toBe(ends.length);
      expect(ends.slice(-5)).toEqual([...Array(5).keys()].map((i) => nthWindow(sent - 5 + i).windowEnd));
      expect(sub.events.at(-1).metricReported).toMatchObject({ clientId: 'scale-a', observations: 10 });
      sub.close();
      await client.dispose();
    });

    it('announces a client ONLINE once, to subscribers of both servers, whichever stores its reports', async () => {
      const clients = [wsClient(one.url), wsClient(two.url)];
      const subs = clients.map((c) => collect(c, STATUS_CHANGED));
      // Probe until both subscriptions reach Redis: a bare event published on server 1.
      const probe = { clientId: 'probe', status: 'OFFLINE' as const, previous: null, at: now };
      await waitFor(() => {
        one.app.live.pubsub.publish('clientStatusChanged', probe);
        return subs.every((s) => s.events.length > 0);
      }, 'both status subscriptions');
      await new Promise((r) => setTimeout(r, 100));
      for (const s of subs) s.events.length = 0;

      await graphql(two.url, REPORT_MUTATION, {
        input: reportInput({ clientId: 'scale-s', ...nthWindow(0) }),
      });
      await Promise.all(subs.map((s) => s.until(1)));
      // Server 1 must know the status before the client moves to it (reports are seconds apart).
      await new Promise((r) => setTimeout(r, 200));
      await graphql(one.url, REPORT_MUTATION, {
        input: reportInput({ clientId: 'scale-s', ...nthWindow(1) }),
      });
      await graphql(two.url, REPORT_MUTATION, {
        input: reportInput({ clientId: 'scale-s', ...nthWindow(2) }),
      });
      // A marker published after the reports: once it arrives, any duplicate ONLINE would have too.
      await new Promise((r) => setTimeout(r, 200));
      two.app.live.openCommandStream('scale-s')();
      await Promise.all(subs.map((s) => s.until(2)));
      await new Promise((r) => setTimeout(r, 100));
      for (const s of subs) {
        expect(s.events.map((e) => e.clientStatusChanged)).toEqual([
          { clientId: 'scale-s', status: 'ONLINE', previous: null },
          { clientId: 'scale-s', status: 'OFFLINE', previous: 'ONLINE' },
        ]);
        s.close();
      }
      await Promise.all(clients.map((c) => c.dispose()));
    });
  });

  describe('status trackers (fake clock, check() by hand)', () => {
    let now = T0;
    const clock = { now: () => now };
    const logger = createLogger('silent');
    let lives: ServerLive[] = [];
    let trackers: StatusTracker[] = [];
    beforeAll(() => {
      lives = [createLive({ redisUrl: redis.url, logger }), createLive({ redisUrl: redis.url, logger })];
      trackers = lives.map((live) => createStatusTracker({ live, clock, logger, checkInterval: 0 }));
    });
    afterAll(async () => {
      await Promise.all(trackers.map((t) => t.stop()));
      await Promise.all(lives.map((l) => l.close()));
    });

    const report = (clientId: string, n: number): ReportedWindow => ({
      clientId,
      windowStart: T0 + (n - 1) * 10 * SECOND,
      windowEnd: T0 + n * 10 * SECOND,
      observations: 10,
      points: [],
    });

    it('produces STALE and OFFLINE once, on the replica that stored the newest report', async () => {
      const [a, b] = lives as [ServerLive, ServerLive];
      const [ta, tb] = trackers as [StatusTracker, StatusTracker];
      const seen = statusEvents(a);
      // Both trackers and the probe subscribe through Redis; wait until events flow both ways.
      await waitFor(() => {
        a.pubsub.publish('clientStatusChanged', {
          clientId: 'probe-a',
          status: 'OFFLINE',
          previous: null,
          at: 0,
        });
        b.pubsub.publish('clientStatusChanged', {
          clientId: 'probe-b',
          status: 'OFFLINE',
          previous: null,
          at: 0,
        });
        return ta.statusOf('probe-b') !== null && tb.statusOf('probe-a') !== null && seen.events.length > 0;
      }, 'trackers subscribed');
      await new Promise((r) => setTimeout(r, 100));
      seen.events.length = 0;

      a.reported(report('c', 0));
      await waitFor(() => tb.statusOf('c') === 'ONLINE', 'replica b to learn ONLINE');
      expect(ta.tracked()).toContain('c');
      now = T0 + 10 * SECOND;
      b.reported(report('c', 1));
      await waitFor(() => !ta.tracked().includes('c'), 'replica a to hand the client over');
      expect(tb.tracked()).toContain('c');

      now += 30 * SECOND;
      ta.check();
      tb.check();
      await waitFor(() => ta.statusOf('c') === 'STALE', 'replica a to learn STALE');
      now += 70 * SECOND;
      ta.check();
      tb.check();
      await waitFor(() => seen.events.some((e) => e.status === 'OFFLINE'), 'OFFLINE');
      ta.check();
      tb.check();
      await new Promise((r) => setTimeout(r, 100));
      expect(seen.events.map((e) => `${e.clientId} ${e.previous} → ${e.status}`)).toEqual([
        'c null → ONLINE',
        'c ONLINE → STALE',
        'c STALE → OFFLINE',
      ]);
      await seen.close();
    });
  });
});
