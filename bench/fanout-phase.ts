/** One phase of the fan-out part: a fresh server, its subscribers, reports at a fixed rate. */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type WebSocket from 'ws';
import { Reporter } from './fanout-reporter.js';
import { clockStep, connectSubscribers, epochNow, newTally, type Tally } from './fanout-subscriber.js';
import { cpuSeconds, procMemory } from './proc.js';
import type { BenchHost } from './servers.js';
import { quantileOfSorted as quantile } from './table.js';
import { ingestBase } from './workload.js';

export interface FanoutSettings {
  /** Subscriber counts, one phase each; the baseline (0) is always measured first. */
  subscribers: number[];
  /** Reports per second (a phase may be given its own). */
  rate: number;
  /** Seconds of reports measured per phase. */
  seconds: number;
  /** Seconds of reports before measuring (delivered and counted, not timed). */
  warmup: number;
  /**
   * Rounds of every case (`fanout.ts`): each round runs the no-subscriber, graphql-ws and bare phases
   * again, and a case's ratios are the medians over the rounds. @default 1
   */
  rounds?: number;
}

/** The server a phase measures: the real one (graphql-ws), or the bare `ws` broadcast (`broadcast.ts`). */
export type FanoutTarget = 'app' | 'bare';

export interface FanoutPhase {
  target: FanoutTarget;
  /** The round it ran in (`FanoutSettings.rounds`), from 1. */
  round: number;
  subscribers: number;
  /** Reports per second asked for. */
  rate: number;
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

/**
 * Node's warning when the in-memory pubsub's EventTarget gets its 11th `metricReported` listener (one per
 * subscription); EventTarget only warns, nothing is limited. Shown below the table rather than failing the
 * run, until the server raises the target's limit.
 */
/** The fan-out baseline: a bare `ws` server broadcasting pre-serialised frames (`broadcast.ts`). */
export const BROADCAST_SCRIPT = fileURLToPath(new URL('./broadcast.ts', import.meta.url));
/** A step of the wall clock (against the monotonic one) beyond this, ms, during a phase spoils it. */
const MAX_CLOCK_STEP_MS = 20;

export const KNOWN_WARNING = ['MaxListenersExceededWarning', 'node --trace-warnings'];
/** Reports timed per phase at least (`BENCH_FANOUT_SECONDS` is stretched for low rates). */
const MIN_TIMED_REPORTS = 100;
/** A phase fails when deliveries stop arriving for this long before every expected one arrived. */
const STALL_MS = 15_000;

/** Waits until every subscriber received every counted report, deliveries stall or every socket closed. */
async function awaitDeliveries(tally: Tally, expected: number, sockets: WebSocket[]): Promise<void> {
  let seen = tally.received;
  let progress = performance.now();
  while (tally.received < expected) {
    await sleep(100);
    if (tally.received !== seen) {
      seen = tally.received;
      progress = performance.now();
    } else if (performance.now() - progress > STALL_MS) break;
    if (
      sockets.length > 0 &&
      Object.keys(tally.closes).length > 0 &&
      sockets.every((s) => s.readyState !== s.OPEN)
    )
      break;
  }
}

/** A fresh server (or bare broadcast) with `subscribers` live subscriptions, ready for reports. */
export interface FanoutSession {
  proc: Awaited<ReturnType<BenchHost['startServer']>>;
  sockets: WebSocket[];
  tally: Tally;
  reporter: Reporter;
  connectSeconds: number;
  /** Server RSS, MB, once listening and once every subscriber is connected. */
  rssStart: number;
  rssSubscribed: number;
  /** Terminates the sockets and stops the server; its known warnings go to `warnings`, other errors to the run's problems. */
  close(host: BenchHost, warnings: Set<string>): Promise<void>;
}

/**
 * Starts the server of `target` and connects `subscribers` subscribers, then sends reports one at a time
 * until every subscription delivered one, so that every subscription is live before the counted reports.
 */
export async function openSession(
  host: BenchHost,
  label: string,
  target: FanoutTarget,
  subscribers: number,
  frameBytes: number,
): Promise<FanoutSession> {
  const proc =
    target === 'app'
      ? await host.startServer(label, ['app', host.tempDir('mc-bench-fanout-')])
      : await host.startProcess(label, BROADCAST_SCRIPT, [String(frameBytes)]);
  const sockets: WebSocket[] = [];
  const tally = newTally();
  let reporter: Reporter | undefined;
  const clockAtStart = clockStep();
  const close = async (host: BenchHost, warnings: Set<string>) => {
    tally.ending = true;
    const stepped = clockStep() - clockAtStart;
    if (Math.abs(stepped) > MAX_CLOCK_STEP_MS) {
      host.problems.push(
        `${label}: the wall clock was stepped by ${Math.round(stepped)} ms during the phase: its delays, timed across processes by the wall clock, are not valid`,
      );
    }
    for (const socket of sockets) socket.terminate();
    reporter?.close();
    await proc.stop();
    for (const line of proc.errors) {
      if (KNOWN_WARNING.some((known) => line.includes(known))) warnings.add(line.replace(/^.*stderr: /, ''));
      else host.problems.push(line);
    }
  };
  try {
    reporter = await Reporter.start(proc.port, tally, ingestBase(Date.now()));
    const rssStart = procMemory(proc.pid, 'VmRSS');
    const connectStarted = performance.now();
    const subs = await connectSubscribers(`ws://127.0.0.1:${proc.port}/graphql`, subscribers, tally, sockets);
    const syncDeadline = performance.now() + 60_000;
    // One synchronisation report at a time, the next once the previous one reached every subscriber or
    // 3 s passed: sent faster, they would load a server that answers before delivering beyond the rate measured.
    do {
      await reporter.send('sync');
      const next = performance.now() + 3_000;
      while (subs.some((s) => !s.synced()) && performance.now() < next) await sleep(100);
      if (performance.now() > syncDeadline) throw new Error(`${label}: subscriptions not live after 60 s`);
    } while (subs.some((s) => !s.synced()));
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    await sleep(500);
    const rssSubscribed = procMemory(proc.pid, 'VmRSS');
    return { proc, sockets, tally, reporter, connectSeconds, rssStart, rssSubscribed, close };
  } catch (error) {
    await close(host, new Set());
    throw error;
  }
}

/**
 * Not measured: `subscribers` sockets on a bare broadcast, `seconds` of reports at `rate`, then closed.
 * Every phase has a fresh server, but the subscribers live in this process, and its first phase with
 * subscribers ran slower than later ones whichever server it measured: round 1 gave graphql-ws a delay p99
 * 1.36–3.06× the bare broadcast's in five runs, against 0.82–1.56× in later rounds, and in one experiment with
 * the bare broadcast first, its first phase gave 48 ms and its second 38. So each case's number of
 * sockets is warmed up once before the rounds (`fanout.ts`).
 */
export async function warmUp(
  host: BenchHost,
  subscribers: number,
  rate: number,
  seconds: number,
  warnings: Set<string>,
): Promise<void> {
  const label = `fanout warm-up, ${subscribers} subscribers`;
  const session = await openSession(host, label, 'bare', subscribers, 0);
  try {
    const inFlight: Promise<void>[] = [];
    await session.reporter.run(rate, seconds, 'counted', inFlight);
    await Promise.all(inFlight);
  } finally {
    await session.close(host, warnings);
  }
}

/**
 * One phase on a fresh server: `subscribers` sockets, then reports at the settings' rate. Server warnings
 * matching `KNOWN_WARNING` go to `warnings`, its other errors to the run's problems.
 */
export async function phase(
  host: BenchHost,
  settings: FanoutSettings,
  subscribers: number,
  warnings: Set<string>,
  target: FanoutTarget = 'app',
  /** The bare broadcast's frame size (the real server's, from the same run); 0: not padded. */
  frameBytes = 0,
  round = 1,
): Promise<FanoutPhase> {
  const label = `fanout ${target === 'app' ? 'server' : 'bare broadcast'}, ${subscribers} subscribers`;
  const session = await openSession(host, label, target, subscribers, frameBytes);
  const { proc, sockets, tally, reporter, connectSeconds, rssStart, rssSubscribed } = session;
  try {
    const inFlight: Promise<void>[] = [];
    await reporter.run(settings.rate, settings.warmup, 'counted', inFlight);
    const cpuBefore = { server: cpuSeconds(proc.pid), bench: process.cpuUsage() };
    const wallBefore = epochNow();
    // At a low rate the phase measures longer: a p99 of 20 reports (10,000 × 2/s for 10 s) is their maximum,
    // and it moved between 0.65× and 4.2× the no-subscriber phase's from one run to the next.
    const seconds = Math.max(settings.seconds, MIN_TIMED_REPORTS / settings.rate);
    const measured = await reporter.run(settings.rate, seconds, 'measured', inFlight);
    await Promise.all(inFlight);
    const answered = epochNow();
    const cpuWall = (answered - wallBefore) / 1000;
    const benchCpu = process.cpuUsage(cpuBefore.bench);
    const cpu = {
      server: ((cpuSeconds(proc.pid) - cpuBefore.server) / cpuWall) * 100,
      bench: ((benchCpu.user + benchCpu.system) / 1e6 / cpuWall) * 100,
    };

    // Every subscriber must receive every counted report.
    const expected = subscribers * tally.sentAt.size;
    await awaitDeliveries(tally, expected, sockets);
    const drainMs = subscribers > 0 ? Math.max(0, tally.lastDelivery - answered) : 0;
    const rssPeak = procMemory(proc.pid, 'VmHWM');
    const rssEnd = procMemory(proc.pid, 'VmRSS');

    const delays = tally.delays.sorted();
    const sortedLatencies = [...reporter.latencies].sort((a, b) => a - b);
    return {
      target,
      round,
      subscribers,
      rate: settings.rate,
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
      failedReports: reporter.failed,
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
    await session.close(host, warnings);
  }
}
