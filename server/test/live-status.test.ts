import type { ReportedWindow } from '@metrics-collector/schema/live/types';
import { afterEach, describe, expect, it } from 'vitest';
import { REPORT_MUTATION, reportInput } from '../../testing/fixtures.js';
import { createLive, type ServerLive } from '../src/live/index.js';
import { createStatusTracker, type StatusTracker } from '../src/live/status.js';
import { createLogger } from '../src/logger.js';
import { graphql, startTestServer } from './helpers.js';
import { collect, statusEvents, wsClient } from './ws-helpers.js';

const T0 = Date.parse('2026-01-01T00:00:10.000Z');
const SECOND = 1_000;
const STATUS_CHANGED = `subscription ($clientId: ID) {
  clientStatusChanged(clientId: $clientId) { clientId status previous at }
}`;

/** A report of `clientId` whose window is `length` ms long and ends at `end`. */
function window(clientId: string, end: number, length = 10 * SECOND): ReportedWindow {
  return { clientId, windowStart: end - length, windowEnd: end, observations: 10, points: [] };
}

/** Lets queued pubsub deliveries run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('client status tracker (fake clock, check() by hand)', () => {
  let now = T0;
  const clock = { now: () => now };
  let live: ServerLive;
  let tracker: StatusTracker;
  afterEach(async () => {
    await tracker.stop();
    await live.close();
  });

  function setup() {
    now = T0;
    const logger = createLogger('silent');
    live = createLive({ logger });
    tracker = createStatusTracker({ live, clock, logger, checkInterval: 0 });
    return statusEvents(live);
  }

  it('ONLINE on the first report, STALE after 3 intervals, OFFLINE after 10, ONLINE again on a report', async () => {
    const { events } = setup();
    live.reported(window('a', T0));
    await settle();
    expect(events).toEqual([{ clientId: 'a', status: 'ONLINE', previous: null, at: T0 }]);

    now = T0 + 29_999;
    tracker.check();
    await settle();
    expect(events).toHaveLength(1);
    // Another report while ONLINE: no event, and the silence counts from its arrival.
    const lastSeen = T0 + 20 * SECOND;
    now = lastSeen;
    live.reported(window('a', T0 + 10 * SECOND));
    now = lastSeen + 29_999;
    tracker.check();
    await settle();
    expect(events).toHaveLength(1);

    now = lastSeen + 30 * SECOND;
    tracker.check();
    tracker.check();
    await settle();
    expect(events.slice(1)).toEqual([
      { clientId: 'a', status: 'STALE', previous: 'ONLINE', at: lastSeen + 30 * SECOND },
    ]);

    now = lastSeen + 99_999;
    tracker.check();
    now = lastSeen + 100 * SECOND;
    tracker.check();
    await settle();
    expect(events.slice(2)).toEqual([
      { clientId: 'a', status: 'OFFLINE', previous: 'STALE', at: lastSeen + 100 * SECOND },
    ]);
    expect(tracker.tracked()).toEqual([]);

    now += 5 * SECOND;
    live.reported(window('a', now));
    await settle();
    expect(events.slice(3)).toEqual([{ clientId: 'a', status: 'ONLINE', previous: 'OFFLINE', at: now }]);
    expect(tracker.statusOf('a')).toBe('ONLINE');
  });

  it("takes the interval from the last report's window length, at least 1 s", async () => {
    const { events } = setup();
    live.reported(window('slow', T0, 60 * SECOND));
    live.reported(window('tiny', T0, 10));
    now = T0 + 3 * SECOND;
    tracker.check();
    await settle();
    expect(events.filter((e) => e.status === 'STALE').map((e) => e.clientId)).toEqual(['tiny']);
    now = T0 + 180 * SECOND;
    tracker.check();
    await settle();
    expect(events.filter((e) => e.clientId === 'slow').map((e) => e.status)).toEqual(['ONLINE', 'STALE']);
  });

  it('goes straight from ONLINE to OFFLINE when the timer comes late', async () => {
    const { events } = setup();
    live.reported(window('a', T0));
    now = T0 + 3_600 * SECOND;
    tracker.check();
    await settle();
    expect(events.map((e) => [e.status, e.previous, e.at])).toEqual([
      ['ONLINE', null, T0],
      ['OFFLINE', 'ONLINE', T0 + 100 * SECOND],
    ]);
  });

  it('OFFLINE when its command stream closes, once; ONLINE again on the next report', async () => {
    const { events } = setup();
    live.reported(window('a', T0));
    now = T0 + SECOND;
    live.openCommandStream('a')();
    tracker.commandStreamClosed('a');
    tracker.check();
    await settle();
    expect(events.map((e) => [e.status, e.previous, e.at])).toEqual([
      ['ONLINE', null, T0],
      ['OFFLINE', 'ONLINE', T0 + SECOND],
    ]);
    live.reported(window('a', T0 + 10 * SECOND));
    await settle();
    expect(events.at(-1)).toEqual({ clientId: 'a', status: 'ONLINE', previous: 'OFFLINE', at: now });
  });

  it('stops publishing once stopped', async () => {
    const { events } = setup();
    await tracker.stop();
    live.reported(window('a', T0));
    live.openCommandStream('a')();
    await settle();
    expect(events).toEqual([]);
  });
});

describe('clientStatusChanged over graphql-ws', () => {
  it("delivers a client's changes with clientId, status, previous and at; the server's timer finds STALE", async () => {
    let now = T0;
    await using srv = await startTestServerDisposable({ now: () => now });
    const client = wsClient(srv.url);
    const mine = collect(client, STATUS_CHANGED, { clientId: 'st-a' });
    const all = collect(client, 'subscription { clientStatusChanged { clientId status } }');
    // Subscribing takes effect some time after the request: report warm-up clients (each new one changes
    // status once) until the second subscription sees one; the first was asked for before it.
    const isWarmUp = (e: { clientStatusChanged: { clientId: string } }) =>
      e.clientStatusChanged.clientId.startsWith('st-warm-');
    for (let i = 0; !all.events.some(isWarmUp); i += 1) {
      const warm = reportInput({ clientId: `st-warm-${i}` });
      expect((await graphql(srv.url, REPORT_MUTATION, { input: warm })).body.errors).toBeUndefined();
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const clientId of ['st-b', 'st-a']) {
      const res = await graphql(srv.url, REPORT_MUTATION, { input: reportInput({ clientId }) });
      expect(res.body.errors).toBeUndefined();
    }
    await mine.until(1);
    expect(mine.events[0].clientStatusChanged).toEqual({
      clientId: 'st-a',
      status: 'ONLINE',
      previous: null,
      at: '2026-01-01T00:00:10.000Z',
    });
    // reportInput's window is 10 s long: 30 s of silence is STALE; the server checks every second.
    now = T0 + 30 * SECOND;
    await mine.until(2);
    expect(mine.events[1].clientStatusChanged).toEqual({
      clientId: 'st-a',
      status: 'STALE',
      previous: 'ONLINE',
      at: '2026-01-01T00:00:40.000Z',
    });
    srv.app.live.openCommandStream('st-a')();
    await mine.until(3);
    expect(mine.events[2].clientStatusChanged).toMatchObject({ status: 'OFFLINE', previous: 'STALE' });
    const observed = () => all.events.filter((e) => !isWarmUp(e));
    while (observed().length < 5) await all.until(all.events.length + 1);
    expect(
      observed()
        .map((e) => Object.values(e.clientStatusChanged).join(' '))
        .sort(),
    ).toEqual(['st-a OFFLINE', 'st-a ONLINE', 'st-a STALE', 'st-b ONLINE', 'st-b STALE']);
    mine.close();
    all.close();
    await client.dispose();
  });
});

async function startTestServerDisposable(clock: { now(): number }) {
  const srv = await startTestServer({ clock });
  return Object.assign(srv, { [Symbol.asyncDispose]: () => srv.stop() });
}

// graphql-jit 0.8 hands a subscription's `subscribe` the operation's variables instead of the field's
// arguments; subscriptions therefore run on graphql-js (server/src/graphql/use-compiled-execution.ts).
it('filters on a literal clientId argument', async () => {
  await using srv = await startTestServerDisposable({ now: () => T0 });
  const client = wsClient(srv.url);
  const mine = collect(client, 'subscription { clientStatusChanged(clientId: "lit-a") { clientId } }');
  await new Promise((r) => setTimeout(r, 100));
  for (const clientId of ['lit-b', 'lit-a']) {
    await graphql(srv.url, REPORT_MUTATION, { input: reportInput({ clientId }) });
  }
  await mine.until(1);
  mine.close();
  await client.dispose();
  expect(mine.events.map((e) => e.clientStatusChanged.clientId)).toEqual(['lit-a']);
});
