import { Agent, request } from 'node:http';
import { sleep } from '@metrics-collector/common/backoff';
import WebSocket from 'ws';
import { originalReport } from '../server/test/helpers.js';
import { cpuSeconds, procMemory } from './proc.js';
import { bodyFactory, ingestBase, WINDOW_MS } from './workload.js';

/** What `run.ts` lends this part: its server processes, temp folders and list of problems. */
export interface FanoutHost {
  startServer(
    label: string,
    args: string[],
  ): Promise<{ port: number; pid: number | undefined; errors: string[]; stop(): Promise<void> }>;
  tempDir(prefix: string): string;
  problems: string[];
}

export interface FanoutSettings {
  /** Subscriber counts, one phase each; the baseline (0) is always measured first. */
  subscribers: number[];
  /** Reports per second. */
  rate: number;
  /** Seconds of reports measured per phase. */
  seconds: number;
  /** Seconds of reports before measuring (delivered and counted, not timed). */
  warmup: number;
}

export interface FanoutPhase {
  subscribers: number;
  /** Measured reports sent, and the rate they were actually sent at. */
  reports: number;
  sentRate: number;
  /** Reports of the warm-up and of the measured seconds, each of which every subscriber must receive. */
  counted: number;
  expected: number;
  received: number;
  /** Delivery delays of measured reports, ms: receive time at a subscriber − send time of the report. */
  delay: { p50: number; p99: number; max: number } | null;
  /** HTTP latency of the measured reports, ms. */
  report: { p50: number; p99: number };
  /** Reports that failed or answered something else than the acknowledgement. */
  failedReports: number;
  /** Sockets closed or errored before the end, by close code or error, and error messages received. */
  closes: Record<string, number>;
  subscriptionErrors: number;
  /** Seconds to open every socket and have every subscription deliver. */
  connectSeconds: number;
  /** From the last measured report's answer to the last delivery, ms. */
  drainMs: number;
  /** Deliveries per second asked for (subscribers × report rate) and achieved (from the first counted send to the last delivery). */
  deliveryRate: { offered: number; achieved: number };
  /** Server RSS, MB: once listening, with every subscriber connected (before the reports), and the peak. */
  rss: { start: number; subscribed: number; peak: number; end: number };
  /** Size of one delivery (a `next` message), bytes. */
  messageBytes: number;
  /** CPU use during the measured seconds, % of one core: the server process and this one. */
  cpu: { server: number; bench: number };
}

const SUBSCRIPTION = `subscription Fanout($clientId: ID) {
  metricReported(clientId: $clientId) {
    clientId windowStart windowEnd observations
    stats { metric core count mean variance min max }
  }
}`;
const CLIENT_ID = originalReport.user_id;
/** Sockets opened at once while connecting subscribers (the server's listen backlog is 511). */
const CONNECT_CONCURRENCY = 200;
/**
 * Node's warning when the in-memory pubsub's EventTarget gets its 11th `metricReported` listener (one per
 * subscription); EventTarget only warns, nothing is limited. Shown below the table rather than failing the
 * run, until the server raises the target's limit.
 */
const KNOWN_WARNING = ['MaxListenersExceededWarning', 'node --trace-warnings'];
/** Server stderr lines matching `KNOWN_WARNING`, shown after the table. */
export const warnings = new Set<string>();
/** A phase fails when deliveries stop arriving for this long before every expected one arrived. */
const STALL_MS = 15_000;

const quantile = (sorted: Float64Array | number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;

/** A growable array of doubles: a 5,000-subscriber phase records about a million delays. */
class Samples {
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
interface Tally {
  /** windowStart as the server serialises it (ISO) → the report's send time; only counted reports. */
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

const WINDOW_START = '"windowStart":"';

/** One subscriber: a socket, `connection_init`, one `subscribe`. Resolves once the server acknowledged. */
function subscribe(url: string, tally: Tally): Promise<{ socket: WebSocket; synced: () => boolean }> {
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
      const now = performance.now();
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

/** One phase on a fresh server: `subscribers` sockets, then reports at `rate`. */
async function phase(host: FanoutHost, settings: FanoutSettings, subscribers: number): Promise<FanoutPhase> {
  const label = `fanout server, ${subscribers} subscribers`;
  const proc = await host.startServer(label, ['app', host.tempDir('mc-bench-fanout-')]);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const sockets: WebSocket[] = [];
  const tally: Tally = {
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
  try {
    const base = ingestBase(Date.now());
    const body = bodyFactory('graphql', base);
    let next = 0;
    const latencies: number[] = [];
    let failedReports = 0;
    /** Sends report `next`; resolves with its HTTP latency once answered. */
    const send = (kind: 'sync' | 'counted' | 'measured') => {
      const i = next++;
      // The window start as the subscription serialises it (`DateTime`: ISO 8601 in UTC).
      const key = new Date(base + i * WINDOW_MS).toISOString();
      const text = body(i);
      return new Promise<void>((resolve) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: proc.port,
            method: 'POST',
            path: '/graphql',
            agent,
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              const answer = Buffer.concat(chunks).toString('utf8');
              if (kind === 'measured') latencies.push(performance.now() - started);
              if (
                res.statusCode !== 200 ||
                !answer.startsWith('{"data":{"reportMetrics":{') ||
                answer.includes('"errors"')
              ) {
                failedReports += 1;
                if (failedReports <= 3)
                  console.error(`  [fanout] report answered ${res.statusCode} ${answer.slice(0, 300)}`);
              }
              resolve();
            });
          },
        );
        req.on('error', (error) => {
          failedReports += 1;
          if (failedReports <= 3) console.error(`  [fanout] report failed: ${error.message}`);
          resolve();
        });
        const started = performance.now();
        if (kind === 'sync') tally.sync.add(key);
        else {
          if (tally.sentAt.size === 0) tally.firstSent = started;
          tally.sentAt.set(key, started);
          if (kind === 'measured') tally.measured.add(key);
        }
        req.end(text);
      });
    };
    const rssStart = procMemory(proc.pid, 'VmRSS');

    // Subscribers, CONNECT_CONCURRENCY at a time; then reports until every subscription delivered one, so
    // that every subscription is live before the counted reports.
    const connectStarted = performance.now();
    const url = `ws://127.0.0.1:${proc.port}/graphql`;
    const subs: { socket: WebSocket; synced: () => boolean }[] = [];
    for (let first = 0; first < subscribers; first += CONNECT_CONCURRENCY) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(CONNECT_CONCURRENCY, subscribers - first) }, () =>
          subscribe(url, tally),
        ),
      );
      for (const sub of batch) {
        subs.push(sub);
        sockets.push(sub.socket);
      }
    }
    const syncDeadline = performance.now() + 60_000;
    do {
      await send('sync');
      await sleep(200);
      if (performance.now() > syncDeadline) throw new Error(`${label}: subscriptions not live after 60 s`);
    } while (subs.some((s) => !s.synced()));
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    await sleep(500);
    const rssSubscribed = procMemory(proc.pid, 'VmRSS');

    // Reports at a fixed rate, open loop: each is sent at its time whether the previous one was answered.
    const inFlight: Promise<void>[] = [];
    const run = async (seconds: number, kind: 'counted' | 'measured') => {
      const count = Math.round(seconds * settings.rate);
      const t0 = performance.now();
      for (let k = 0; k < count; k += 1) {
        const wait = t0 + (k * 1000) / settings.rate - performance.now();
        if (wait > 0) await sleep(wait);
        inFlight.push(send(kind));
      }
      return { count, seconds: (performance.now() - t0) / 1000 };
    };
    await run(settings.warmup, 'counted');
    const cpuBefore = { server: cpuSeconds(proc.pid), bench: process.cpuUsage() };
    const wallBefore = performance.now();
    const measured = await run(settings.seconds, 'measured');
    await Promise.all(inFlight);
    const answered = performance.now();
    const cpuWall = (answered - wallBefore) / 1000;
    const benchCpu = process.cpuUsage(cpuBefore.bench);
    const cpu = {
      server: ((cpuSeconds(proc.pid) - cpuBefore.server) / cpuWall) * 100,
      bench: ((benchCpu.user + benchCpu.system) / 1e6 / cpuWall) * 100,
    };

    // Every subscriber must receive every counted report.
    const expected = subscribers * tally.sentAt.size;
    let seen = tally.received;
    let progress = performance.now();
    while (tally.received < expected) {
      await sleep(100);
      if (tally.received !== seen) {
        seen = tally.received;
        progress = performance.now();
      } else if (performance.now() - progress > STALL_MS) break;
      if (
        subscribers > 0 &&
        Object.keys(tally.closes).length > 0 &&
        sockets.every((s) => s.readyState !== s.OPEN)
      )
        break;
    }
    const drainMs = subscribers > 0 ? Math.max(0, tally.lastDelivery - answered) : 0;
    const rssPeak = procMemory(proc.pid, 'VmHWM');
    const rssEnd = procMemory(proc.pid, 'VmRSS');

    const delays = tally.delays.sorted();
    const sortedLatencies = [...latencies].sort((a, b) => a - b);
    return {
      subscribers,
      reports: measured.count,
      sentRate: measured.count / measured.seconds,
      counted: tally.sentAt.size,
      expected,
      received: tally.received,
      delay:
        delays.length > 0
          ? {
              p50: quantile(delays, 0.5),
              p99: quantile(delays, 0.99),
              max: delays[delays.length - 1] as number,
            }
          : null,
      report: { p50: quantile(sortedLatencies, 0.5), p99: quantile(sortedLatencies, 0.99) },
      failedReports,
      closes: { ...tally.closes },
      subscriptionErrors: tally.subscriptionErrors,
      connectSeconds,
      drainMs,
      deliveryRate: {
        offered: subscribers * (measured.count / measured.seconds),
        achieved: subscribers > 0 ? tally.received / ((tally.lastDelivery - tally.firstSent) / 1000) : 0,
      },
      rss: { start: rssStart, subscribed: rssSubscribed, peak: rssPeak, end: rssEnd },
      messageBytes: tally.messageBytes,
      cpu,
    };
  } finally {
    tally.ending = true;
    for (const socket of sockets) socket.terminate();
    agent.destroy();
    await proc.stop();
    for (const line of proc.errors) {
      if (KNOWN_WARNING.some((known) => line.includes(known))) warnings.add(line.replace(/^.*stderr: /, ''));
      else host.problems.push(line);
    }
  }
}

/** The baseline (no subscriber) and every subscriber count in `settings`, each on a fresh server. */
export async function fanout(host: FanoutHost, settings: FanoutSettings): Promise<FanoutPhase[]> {
  const phases: FanoutPhase[] = [];
  for (const subscribers of [0, ...settings.subscribers.filter((n) => n > 0)]) {
    console.log(`  fanout: ${subscribers} subscribers…`);
    const result = await phase(host, settings, subscribers);
    phases.push(result);
    const { closes, subscriptionErrors, failedReports } = result;
    const label = `fanout, ${subscribers} subscribers`;
    if (result.received !== result.expected)
      host.problems.push(`${label}: ${result.received} of ${result.expected} deliveries received`);
    if (failedReports > 0) host.problems.push(`${label}: ${failedReports} reports failed`);
    if (subscriptionErrors > 0) host.problems.push(`${label}: ${subscriptionErrors} subscription errors`);
    if (Object.keys(closes).length > 0)
      host.problems.push(`${label}: sockets closed or failed before the end: ${JSON.stringify(closes)}`);
  }
  return phases;
}

type Table = (head: string[], rows: string[][], right: boolean[]) => string;

/** The table of `fanout`'s phases, the first being the baseline. */
export function fanoutTable(phases: FanoutPhase[], table: Table): string {
  const base = phases[0];
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  return table(
    [
      'subscribers',
      'reports (per s)',
      'deliveries expected / received',
      'delay p50 / p99 / max ms',
      'drain ms',
      'deliveries/s offered / achieved',
      'report p50 / p99 ms',
      'vs no subscriber p50 / p99',
      'server RSS MB: start / subscribed / peak / end',
      'peak vs no subscriber',
      'CPU % server / bench',
    ],
    phases.map((p) => [
      p.subscribers === 0 ? '0 (baseline)' : n(p.subscribers),
      `${n(p.reports)} (${f(p.sentRate)})`,
      p.subscribers === 0 ? '-' : `${n(p.expected)} / ${n(p.received)}`,
      p.delay ? `${f(p.delay.p50)} / ${f(p.delay.p99)} / ${f(p.delay.max, 0)}` : '-',
      p.subscribers === 0 ? '-' : f(p.drainMs, 0),
      p.subscribers === 0 ? '-' : `${n(p.deliveryRate.offered)} / ${n(p.deliveryRate.achieved)}`,
      `${f(p.report.p50)} / ${f(p.report.p99)}`,
      base && p !== base
        ? `${f(p.report.p50 / base.report.p50, 2)} / ${f(p.report.p99 / base.report.p99, 2)}`
        : '1.00',
      `${f(p.rss.start, 0)} / ${f(p.rss.subscribed, 0)} / ${f(p.rss.peak, 0)} / ${f(p.rss.end, 0)}`,
      base && p !== base ? `+${f(p.rss.peak - base.rss.peak, 0)}` : '-',
      `${f(p.cpu.server, 0)} / ${f(p.cpu.bench, 0)}`,
    ]),
    [false, true, true, true, true, true, true, true, true, true, true],
  );
}
