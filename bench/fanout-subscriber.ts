/** The fan-out part's subscribers: raw graphql-ws sockets that time each delivery of a report. */
import WebSocket from 'ws';
import { originalReport } from '../testing/fixtures.js';

const SUBSCRIPTION = `subscription Fanout($clientId: ID) {
  metricReported(clientId: $clientId) {
    clientId windowStart windowEnd observations
    stats { metric core count mean variance min max }
  }
}`;
const CLIENT_ID = originalReport.user_id;
/** Sockets opened at once while connecting subscribers (the server's listen backlog is 511). */
const CONNECT_CONCURRENCY = 200;
const WINDOW_START = '"windowStart":"';

/**
 * The tally's clock, epoch ms with performance.now()'s resolution: the reports' send times come from the
 * reporter process (fanout-reporter.ts), deliveries are timed here, so both need one clock.
 */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/**
 * How far the wall clock has moved from `epochNow` since this process started, ms: 0 unless the system
 * clock was stepped. A step during a phase spoils its delays, which are timed across processes by the
 * clock each process read at its start.
 */
export const clockStep = (): number => Date.now() - epochNow();

/** A growable array of doubles: a 5,000-subscriber phase records about a million delays. */
export class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;
  push(value: number) {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

/** What the subscribers of one phase share: which windows to expect and when each was sent. */
export interface Tally {
  /** windowStart as the server serialises it (ISO) → when the report was due to be sent (epoch ms); only counted reports. */
  sentAt: Map<string, number>;
  /** windowStart → whether the report is measured (its delays are recorded). */
  measured: Set<string>;
  /** windowStarts of the synchronisation reports. */
  sync: Set<string>;
  received: number;
  delays: Samples;
  lastDelivery: number;
  messageBytes: number;
  /** Send time of the first counted report. */
  firstSent: number;
  closes: Record<string, number>;
  subscriptionErrors: number;
  /** Set at the end of a phase: closes from then on are ours. */
  ending: boolean;
}

/** A tally before the first report. */
export function newTally(): Tally {
  return {
    sentAt: new Map(),
    measured: new Set(),
    sync: new Set(),
    received: 0,
    delays: new Samples(),
    lastDelivery: 0,
    messageBytes: 0,
    firstSent: Number.NaN,
    closes: {},
    subscriptionErrors: 0,
    ending: false,
  };
}

export interface Subscriber {
  socket: WebSocket;
  /** Whether a synchronisation report reached this subscriber (its subscription is live). */
  synced: () => boolean;
}

/** One subscriber: a socket, `connection_init`, one `subscribe`. Resolves once the server acknowledged. */
function subscribe(url: string, tally: Tally): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
    let synced = false;
    let acked = false;
    const fail = (what: string) => {
      if (tally.ending) return;
      tally.closes[what] = (tally.closes[what] ?? 0) + 1;
      if (!acked) reject(new Error(`subscriber: ${what} before connection_ack`));
    };
    socket.on('open', () => socket.send('{"type":"connection_init"}'));
    socket.on('error', (error) => fail(`error ${(error as NodeJS.ErrnoException).code ?? error.message}`));
    socket.on('close', (code) => fail(`close ${code}`));
    socket.on('message', (data: Buffer) => {
      const now = epochNow();
      // Only the window start is read, by position: parsing a kilobyte of JSON per delivery would make this
      // process, not the server, the bottleneck at 5,000 subscribers.
      const text = data.toString('latin1');
      const at = text.indexOf(WINDOW_START);
      if (at !== -1 && text.startsWith('{"id":"1","type":"next"')) {
        const key = text.slice(at + WINDOW_START.length, text.indexOf('"', at + WINDOW_START.length));
        const sent = tally.sentAt.get(key);
        if (sent !== undefined) {
          tally.received += 1;
          tally.lastDelivery = now;
          tally.messageBytes = data.length;
          if (tally.measured.has(key)) tally.delays.push(now - sent);
        } else if (tally.sync.has(key)) {
          synced = true;
        }
        return;
      }
      const message = JSON.parse(text) as { type: string };
      if (message.type === 'connection_ack') {
        acked = true;
        socket.send(
          JSON.stringify({
            id: '1',
            type: 'subscribe',
            payload: { query: SUBSCRIPTION, variables: { clientId: CLIENT_ID } },
          }),
        );
        resolve({ socket, synced: () => synced });
      } else if (message.type === 'ping') {
        socket.send('{"type":"pong"}');
      } else if (message.type !== 'pong') {
        // `next` with errors, `error`, `complete`: the subscription is over or broken.
        tally.subscriptionErrors += 1;
        if (tally.subscriptionErrors <= 3) console.error(`  [fanout] subscriber got ${text.slice(0, 300)}`);
      }
    });
  });
}

/**
 * `count` subscribers, `CONNECT_CONCURRENCY` at a time; each socket goes into `sockets` as soon as it is
 * subscribed, so that the caller can close them whatever happens.
 */
export async function connectSubscribers(
  url: string,
  count: number,
  tally: Tally,
  sockets: WebSocket[],
): Promise<Subscriber[]> {
  const subs: Subscriber[] = [];
  for (let first = 0; first < count; first += CONNECT_CONCURRENCY) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(CONNECT_CONCURRENCY, count - first) }, () => subscribe(url, tally)),
    );
    for (const sub of batch) {
      subs.push(sub);
      sockets.push(sub.socket);
    }
  }
  return subs;
}
