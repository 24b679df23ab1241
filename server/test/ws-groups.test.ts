import { once } from 'node:events';
import type { Socket } from 'node:net';
import type { ReportedWindow } from '@metrics-collector/schema/live/types';
import { MessageType, stringifyMessage } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SLOW_CONSUMER_CLOSE_CODE } from '../src/http/error-boundary.js';
import { startTestServer, type TestServer } from './helpers.js';
import { waitFor } from './ws-helpers.js';

/** One document for every subscriber: subscribers with the same variables form one delivery group. */
const QUERY = `subscription ($clientId: ID) {
  metricReported(clientId: $clientId) { clientId windowStart stats { metric core mean } }
}`;

interface Message {
  type: string;
  id?: string;
  payload?: { data?: { metricReported: { clientId: string; windowStart: string } }; errors?: unknown[] };
}

/** A graphql-transport-ws connection by hand: every message kept as sent, and reading can be paused. */
async function connect(url: string) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(String(data)));
  ws.on('error', () => {});
  await once(ws, 'open');
  ws.send(JSON.stringify({ type: 'connection_init' }));
  const parsed = () => frames.map((f) => JSON.parse(f) as Message);
  await waitFor(() => parsed().some((m) => m.type === 'connection_ack'), 'connection_ack');
  const socket = (ws as unknown as { _socket: Socket })._socket;
  return {
    ws,
    frames,
    closed,
    subscribe: (id: string, clientId: string) =>
      ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query: QUERY, variables: { clientId } } })),
    complete: (id: string) => ws.send(JSON.stringify({ id, type: 'complete' })),
    /** The windows (ms) of the events of operation `id`, in the order they came. */
    windows: (id: string) =>
      parsed()
        .filter((m) => m.id === id && m.type === 'next' && m.payload?.data)
        .map((m) => Date.parse(m.payload?.data?.metricReported.windowStart as string)),
    messages: (id: string) => parsed().filter((m) => m.id === id),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}

type Connection = Awaited<ReturnType<typeof connect>>;

function windowOf(clientId: string, windowStart: number, cores = 1): ReportedWindow {
  return {
    clientId,
    windowStart,
    windowEnd: windowStart + 1_000,
    observations: 10,
    points: Array.from({ length: cores }, (_, core) => ({
      clientId,
      metric: 'CPU_CORE_UTILIZATION' as const,
      core,
      windowStart,
      windowEnd: windowStart + 1_000,
      count: 10,
      mean: 0.5,
      variance: 0.01,
      min: 0.1,
      max: 0.9,
    })),
  };
}

describe('delivery groups (graphql-ws subscribers of one shared operation)', () => {
  let srv: TestServer;
  const open: Connection[] = [];
  let window = 0;
  const publish = (clientId: string, cores = 1) => {
    window += 1_000;
    srv.app.live.pubsub.publish('metricReported', windowOf(clientId, window, cores));
    return window;
  };
  const listening = () => srv.app.live.pubsub.listening('metricReported');
  /** Publishes for `clientId` until every `(connection, id)` got an event: from then on each is live. */
  const untilLive = async (clientId: string, subs: [Connection, string][]) => {
    await waitFor(() => {
      publish(clientId);
      return subs.every(([c, id]) => c.windows(id).length > 0);
    }, 'every subscription live');
    return window;
  };

  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await srv.stop();
  });
  const connection = async () => {
    const c = await connect(srv.url);
    open.push(c);
    return c;
  };

  it('several subscribers of one operation share one pubsub subscription and each get every event in order', async () => {
    const conns = await Promise.all([0, 1, 2, 3].map(() => connection()));
    // Two operations on one socket too, with ids that need escaping.
    for (const [i, c] of conns.entries()) c.subscribe(`op"${i}`, 'same');
    conns[0]?.subscribe('second', 'same');
    const subs: [Connection, string][] = conns.map((c, i) => [c, `op"${i}`]);
    subs.push([conns[0] as Connection, 'second']);
    const live = await untilLive('same', subs);
    expect(listening()).toBe(1);
    const sent = [publish('same'), publish('other'), publish('same'), publish('same')].filter(
      (_, i) => i !== 1,
    );
    await waitFor(() => subs.every(([c, id]) => c.windows(id).at(-1) === sent.at(-1)), 'every event');
    for (const [c, id] of subs) {
      const windows = c.windows(id);
      expect(windows).toEqual([...new Set(windows)].sort((a, b) => a - b));
      expect(windows.filter((w) => w > live)).toEqual(sent);
      for (const frame of c.frames.filter((f) => f.includes('"type":"next"') && JSON.parse(f).id === id)) {
        const { payload } = JSON.parse(frame);
        expect(frame).toBe(stringifyMessage({ id, type: MessageType.Next, payload }));
      }
    }
    for (const c of conns) c.ws.close();
    await waitFor(() => {
      publish('same');
      return listening() === 0;
    }, 'the shared subscription dropped');
  });

  it('members join and leave mid-stream; the source is dropped when the last one leaves', async () => {
    const [a, b] = [await connection(), await connection()];
    a.subscribe('a', 'mid');
    await untilLive('mid', [[a, 'a']]);
    const before = publish('mid');
    b.subscribe('b', 'mid');
    const joined = await untilLive('mid', [[b, 'b']]);
    expect(listening()).toBe(1);
    const both = publish('mid');
    await waitFor(() => a.windows('a').includes(both) && b.windows('b').includes(both), 'both');
    a.complete('a');
    // The leaving member gets nothing more and no `complete` (it completed itself).
    const after = publish('mid');
    await waitFor(() => b.windows('b').includes(after), 'the member that stayed');
    b.subscribe('b2', 'mid');
    await untilLive('mid', [[b, 'b2']]);
    expect(a.windows('a')).toContain(before);
    expect(b.windows('b')).not.toContain(before);
    expect(b.windows('b').filter((w) => w >= joined)).toEqual(
      b
        .windows('b')
        .filter((w) => w >= joined)
        .sort((x, y) => x - y),
    );
    expect(a.messages('a').some((m) => m.type === 'complete')).toBe(false);
    expect(listening()).toBe(1);
    b.complete('b');
    b.complete('b2');
    // A waiting source takes its return with its next event.
    await waitFor(() => {
      publish('mid');
      return listening() === 0;
    }, 'the source dropped');
    const count = a.windows('a').length;
    publish('mid');
    // A new subscriber founds a new group, which reads again.
    a.subscribe('again', 'mid');
    await untilLive('mid', [[a, 'again']]);
    expect(a.windows('a')).toHaveLength(count);
    expect(listening()).toBe(1);
    a.complete('again');
  });

  it('subscribers with different variables get their own events', async () => {
    const [x, y] = [await connection(), await connection()];
    x.subscribe('1', 'client-x');
    y.subscribe('1', 'client-y');
    const liveX = await untilLive('client-x', [[x, '1']]);
    const liveY = await untilLive('client-y', [[y, '1']]);
    const forX = [publish('client-x'), publish('client-x')];
    const forY = [publish('client-y')];
    await waitFor(
      () => x.windows('1').at(-1) === forX.at(-1) && y.windows('1').at(-1) === forY.at(-1),
      'both clients',
    );
    expect(x.windows('1').filter((w) => w > liveY)).toEqual(forX);
    expect(y.windows('1').filter((w) => w > liveY)).toEqual(forY);
    expect(y.windows('1')).not.toContain(liveX);
  });

  it(`sheds a slow member with ${SLOW_CONSUMER_CLOSE_CODE}; the others of its group keep every event`, async () => {
    const [slow, healthy] = [await connection(), await connection()];
    slow.subscribe('1', 'shed');
    healthy.subscribe('1', 'shed');
    await untilLive('shed', [
      [slow, '1'],
      [healthy, '1'],
    ]);
    slow.pause();
    const flood: number[] = [];
    // ~100 kB per event: 300 of them are far more than the socket buffers and the 1 MiB bound.
    for (let i = 0; i < 300; i++) {
      flood.push(publish('shed', 2_000));
      await new Promise((r) => setTimeout(r, 0));
    }
    slow.resume();
    expect((await slow.closed).code).toBe(SLOW_CONSUMER_CLOSE_CODE);
    await waitFor(() => healthy.windows('1').at(-1) === flood.at(-1), 'the healthy member');
    expect(healthy.windows('1').slice(-flood.length)).toEqual(flood);
    const later = publish('shed');
    await waitFor(() => healthy.windows('1').at(-1) === later, 'an event after the shedding');
  });

  it('a result with errors is sent as graphql-ws sends it (errors last) to every member', async () => {
    const [p, q] = [await connection(), await connection()];
    p.subscribe('1', 'broken');
    q.subscribe('2', 'broken');
    await untilLive('broken', [
      [p, '1'],
      [q, '2'],
    ]);
    window += 1_000;
    const bad = windowOf('broken', window);
    (bad.points[0] as { metric: string }).metric = 'NOT_A_METRIC';
    srv.app.live.pubsub.publish('metricReported', bad);
    const hasErrors = (c: Connection, id: string) => c.messages(id).some((m) => m.payload?.errors);
    await waitFor(() => hasErrors(p, '1') && hasErrors(q, '2'), 'the result with errors');
    for (const [c, id] of [
      [p, '1'],
      [q, '2'],
    ] as const) {
      const frame = c.frames.find((f) => f.includes('"errors"') && JSON.parse(f).id === id) as string;
      const { payload } = JSON.parse(frame);
      expect(Object.keys(payload).at(-1)).toBe('errors');
      expect(frame).toBe(stringifyMessage({ id, type: MessageType.Next, payload }));
    }
    // The subscription goes on.
    const after = publish('broken');
    await waitFor(() => p.windows('1').includes(after) && q.windows('2').includes(after), 'after the error');
  });
});
