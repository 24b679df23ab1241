import { MessageType, stringifyMessage } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { REPORT_MUTATION, reportInput } from '../../testing/fixtures.js';
import { DELIVERY_CHUNK } from '../src/http/ws-send.js';
import { graphql, startTestServer, type TestServer } from './helpers.js';
import { waitFor } from './ws-helpers.js';

const SUBSCRIPTION = `subscription ($clientId: ID) {
  metricReported(clientId: $clientId) { clientId windowStart observations stats { metric core count mean } }
}`;
/** More sockets than one chunk of the delivery queue, so that every event is written over several turns. */
const SOCKETS = DELIVERY_CHUNK * 2 + 44;
/** Operation ids graphql-ws allows that JSON must escape: the spliced frame has to escape them the same way. */
const ODD_IDS = ['"quoted"', 'back\\slash', 'line\u2028sep', 'ünïcode', 'tab\there'];

interface Subscriber {
  id: string;
  frames: string[];
}

/** A raw graphql-ws subscriber: keeps every message as the text the server sent. */
function subscriber(url: string, id: string, sockets: WebSocket[]): Promise<Subscriber> {
  const sub: Subscriber = { id, frames: [] };
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    sockets.push(socket);
    socket.on('error', reject);
    socket.on('open', () => socket.send('{"type":"connection_init"}'));
    socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      const message = JSON.parse(text) as { type: string };
      if (message.type === 'connection_ack') {
        const payload = { query: SUBSCRIPTION, variables: { clientId: 'fan' } };
        socket.send(JSON.stringify({ id, type: 'subscribe', payload }));
        resolve(sub);
      } else sub.frames.push(text);
    });
  });
}

const windowStartOf = (frame: string) =>
  (JSON.parse(frame) as { payload: { data: { metricReported: { windowStart: string } } } }).payload.data
    .metricReported.windowStart;

const report = async (url: string, windowStart: number) => {
  const input = reportInput({ clientId: 'fan', windowStart, windowEnd: windowStart + 10_000 });
  expect((await graphql(url, REPORT_MUTATION, { input })).body.errors).toBeUndefined();
};

describe('fan-out over graphql-ws', () => {
  let srv: TestServer;
  const sockets: WebSocket[] = [];
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    for (const socket of sockets) socket.terminate();
    await srv.stop();
  });

  it(`delivers every event, in order, to each of ${SOCKETS} subscribers, as the frame graphql-ws would send`, async () => {
    const ids = Array.from({ length: SOCKETS }, (_, i) => ODD_IDS[i] ?? `s${i}`);
    const subs = await Promise.all(ids.map((id) => subscriber(srv.url, id, sockets)));
    // Reports until every subscription delivered one: from then on, each is live.
    let window = 0;
    await waitFor(
      async () => {
        window += 10_000;
        await report(srv.url, window);
        return subs.every((s) => s.frames.length > 0);
      },
      'every subscription live',
      60_000,
    );
    const expected: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      window += 10_000;
      expected.push(new Date(window).toISOString());
      await report(srv.url, window);
    }
    const last = expected[expected.length - 1];
    const done = (s: Subscriber) => s.frames.length > 0 && windowStartOf(s.frames.at(-1) as string) === last;
    await waitFor(() => subs.every(done), 'every event', 60_000);

    for (const sub of subs) {
      // Each report once, in the order reported (warm-up reports included), the measured ones last.
      const windows = sub.frames.map(windowStartOf);
      expect(windows).toEqual([...windows].sort());
      expect(new Set(windows).size).toBe(windows.length);
      expect(windows.slice(-expected.length)).toEqual(expected);
      for (const frame of sub.frames) {
        const { payload } = JSON.parse(frame);
        expect(frame).toBe(stringifyMessage({ id: sub.id, type: MessageType.Next, payload }));
      }
    }
  });
});
