/**
 * The fan-out's highest rate: with `BENCH_FANOUT_SEARCH` subscribers (10,000), the report rate is stepped
 * up on the real server (graphql-ws) and on the bare `ws` broadcast (`broadcast.ts`) to find the highest rate
 * each keeps up with; then phases past the graphql-ws maximum, where slow consumers must be shed while
 * ingest holds: in rounds, each the loaded phase then the same rate without subscribers, judged by the
 * median of the rounds' ratios as the cases are (one phase of each swung from 1.8× to 4.1× between two
 * runs on a quiet machine). Called by `fanout.ts`.
 *
 * A step at a rate: `STEP_WARMUP_S` s of counted reports, then `STEP_SECONDS` s measured (at least
 * `MIN_REPORTS` reports), on a server whose
 * subscribers are all live. It **keeps up** when every subscriber received every counted report within
 * `DRAIN_MS` of the last report's answer, no socket was closed, no report failed, and the delivery delay p99
 * of the measured reports is at most `KEEP_UP_P99_MS`. The search doubles the rate from `FIRST_RATE` until a
 * step fails (or, when the first fails, halves it down to `MIN_RATE` until one keeps up), then bisects
 * `BISECTIONS` times between the last kept and the first failed rate (to a quarter report per second). Steps that
 * keep up run one after another on the same server and sockets; after a failed one (a backlog, perhaps
 * sockets shed) the next step starts on a fresh server with fresh subscribers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type FanoutPhase,
  type FanoutSession,
  type FanoutTarget,
  openSession,
  phase,
} from './fanout-phase.js';
import { Samples } from './fanout-subscriber.js';
import { cpuSeconds, procMemory } from './proc.js';
import type { BenchHost } from './servers.js';
import { median, quantileOfSorted as quantile, table } from './table.js';

export const FIRST_RATE = 2;
/** The lowest rate tried when `FIRST_RATE` is already too high. */
export const MIN_RATE = 0.25;
export const BISECTIONS = 2;
export const STEP_WARMUP_S = 1;
export const STEP_SECONDS = 3;
/** At a low rate a step measures longer, so that its p99 is over at least this many reports (at most `MAX_STEP_SECONDS`). */
export const MIN_REPORTS = 10;
export const MAX_STEP_SECONDS = 10;
export const DRAIN_MS = 2_000;
export const KEEP_UP_P99_MS = 1_000;
/** Issue 13's targets: graphql-ws's highest rate ≥ 0.7 × the bare broadcast's; past it, report p99 ≤ 3×. */
export const TARGET = { vsBare: 0.7, reportP99: 3 };
/** The phase past the maximum runs at this many times graphql-ws's highest rate. */
export const PAST_FACTOR = 2;

export interface SearchStep {
  rate: number;
  keptUp: boolean;
  /** Why not, when it did not keep up. */
  why: string;
  delayP99: number;
  /** CPU % of one core during the measured seconds: the server, and this process (the subscribers). */
  cpu: { server: number; bench: number };
}

export interface SearchResult {
  target: FanoutTarget;
  subscribers: number;
  steps: SearchStep[];
  /** The highest rate kept up with (0: not even `FIRST_RATE`). */
  max: number;
  /** Peak server RSS over the search's servers, MB (VmHWM). */
  peakRss: number;
}

export interface SearchFigures {
  searches: SearchResult[];
  /** Past graphql-ws's maximum, a round each: the phase with subscribers, and the same rate without any. */
  past: { loaded: FanoutPhase; alone: FanoutPhase }[];
}

const closesOf = (s: FanoutSession) => Object.values(s.tally.closes).reduce((a, b) => a + b, 0);

/** One step at `rate` on an open session. */
async function step(session: FanoutSession, subscribers: number, rate: number): Promise<SearchStep> {
  const { tally, reporter, proc } = session;
  tally.sentAt.clear();
  tally.measured.clear();
  tally.received = 0;
  tally.delays = new Samples();
  const closesBefore = closesOf(session);
  const failedBefore = reporter.failed;
  const inFlight: Promise<void>[] = [];
  await reporter.run(rate, STEP_WARMUP_S, 'counted', inFlight);
  const before = { server: cpuSeconds(proc.pid), bench: process.cpuUsage(), wall: performance.now() };
  await reporter.run(
    rate,
    Math.max(STEP_SECONDS, Math.min(MAX_STEP_SECONDS, MIN_REPORTS / rate)),
    'measured',
    inFlight,
  );
  await Promise.all(inFlight);
  const wall = (performance.now() - before.wall) / 1000;
  const bench = process.cpuUsage(before.bench);
  const cpu = {
    server: ((cpuSeconds(proc.pid) - before.server) / wall) * 100,
    bench: ((bench.user + bench.system) / 1e6 / wall) * 100,
  };
  const expected = subscribers * tally.sentAt.size;
  const deadline = performance.now() + DRAIN_MS;
  while (tally.received < expected && performance.now() < deadline) await sleep(50);
  const delays = tally.delays.sorted();
  const delayP99 = delays.length > 0 ? quantile(delays, 0.99) : Number.NaN;
  const closed = closesOf(session) - closesBefore;
  const why = [
    tally.received < expected ? `${expected - tally.received} of ${expected} deliveries late` : '',
    closed > 0 ? `${closed} sockets closed ${JSON.stringify(tally.closes)}` : '',
    reporter.failed > failedBefore ? `${reporter.failed - failedBefore} reports failed` : '',
    Number.isNaN(delayP99)
      ? 'no measured delivery arrived'
      : delayP99 > KEEP_UP_P99_MS
        ? `delay p99 ${delayP99.toFixed(0)} ms`
        : '',
  ]
    .filter(Boolean)
    .join(', ');
  return { rate, keptUp: why === '', why, delayP99, cpu };
}

/** The highest rate `target` keeps up with for `subscribers` subscribers. */
export async function searchRate(
  host: BenchHost,
  target: FanoutTarget,
  subscribers: number,
  warnings: Set<string>,
  frameBytes = 0,
): Promise<SearchResult> {
  const what = target === 'bare' ? 'bare ws broadcast' : 'graphql-ws';
  const steps: SearchStep[] = [];
  let session: FanoutSession | undefined;
  let peakRss = 0;
  const closeSession = async () => {
    if (!session) return;
    peakRss = Math.max(peakRss, procMemory(session.proc.pid, 'VmHWM'));
    await session.close(host, warnings);
    session = undefined;
  };
  const tryRate = async (rate: number) => {
    session ??= await openSession(host, `fanout search, ${what}`, target, subscribers, frameBytes);
    const result = await step(session, subscribers, rate);
    steps.push(result);
    const cpu = `CPU server ${result.cpu.server.toFixed(0)}%, subscribers ${result.cpu.bench.toFixed(0)}%`;
    console.log(
      `  fanout search, ${what}, ${subscribers} subscribers at ${rate}/s: ${result.keptUp ? `kept up (delay p99 ${result.delayP99.toFixed(0)} ms)` : `did not keep up: ${result.why}`}; ${cpu}`,
    );
    if (!result.keptUp) await closeSession();
    return result.keptUp;
  };
  try {
    let kept = 0;
    let failed = 0;
    for (let rate = FIRST_RATE; failed === 0 && rate <= 4096; rate *= 2) {
      if (await tryRate(rate)) kept = rate;
      else failed = rate;
    }
    // Below the first rate: halve until a step keeps up.
    for (let rate = FIRST_RATE / 2; kept === 0 && rate >= MIN_RATE; rate /= 2) {
      if (await tryRate(rate)) kept = rate;
      else failed = rate;
    }
    for (let i = 0; i < BISECTIONS && failed > 0 && kept > 0; i += 1) {
      const mid = Math.round(((kept + failed) / 2) * 4) / 4;
      if (mid === kept || mid === failed) break;
      if (await tryRate(mid)) kept = mid;
      else failed = mid;
    }
    return { target, subscribers, steps, max: kept, peakRss };
  } finally {
    await closeSession();
  }
}

/**
 * Both searches, graphql-ws first (the bare broadcast then pads its frames to the same size), then
 * `settings.rounds` rounds past graphql-ws's maximum, each beside the same rate without subscribers.
 */
export async function fanoutSearch(
  host: BenchHost,
  subscribers: number,
  settings: { seconds: number; warmup: number; rounds: number },
  warnings: Set<string>,
  frameBytes: number,
): Promise<SearchFigures> {
  const app = await searchRate(host, 'app', subscribers, warnings, frameBytes);
  const bare = await searchRate(host, 'bare', subscribers, warnings, frameBytes);
  const figures: SearchFigures = { searches: [app, bare], past: [] };
  const rate = PAST_FACTOR * (app.max || MIN_RATE);
  const { seconds, warmup, rounds } = settings;
  for (let round = 1; round <= rounds; round += 1) {
    const of = `round ${round} of ${rounds}`;
    console.log(
      `  fanout: past the maximum (${of}), graphql-ws, ${subscribers} subscribers at ${rate}/s, then none…`,
    );
    const at = { seconds, warmup, rate };
    const loaded = await phase(host, { ...at, subscribers: [subscribers] }, subscribers, warnings);
    const alone = await phase(host, { ...at, subscribers: [0] }, 0, warnings);
    figures.past.push({ loaded, alone });
  }
  return figures;
}

/** Prints the search and the phase past the maximum, each beside its target. */
export function printSearch({ searches, past }: SearchFigures): void {
  const [app, bare] = searches;
  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const ratio = app && bare && bare.max > 0 ? app.max / bare.max : Number.NaN;
  console.log(
    `\nfan-out, highest rate: reports/s stepped up from ${FIRST_RATE} (doubling, or halving down to ${MIN_RATE} when ${FIRST_RATE} is too many, then ${BISECTIONS} bisections), each step ${STEP_WARMUP_S} s counted + ${STEP_SECONDS} s measured; kept up = every delivery within ${DRAIN_MS / 1000} s of the last answer, no socket closed, no report failed, delay p99 ≤ ${KEEP_UP_P99_MS} ms\n`,
  );
  console.log(
    table(
      [
        'server',
        'subscribers',
        'steps (reports/s: kept up ✓ / not ✗)',
        'highest rate kept up',
        'deliveries/s',
        'vs bare',
        `target ≥ ${TARGET.vsBare}`,
        'CPU % server / subscribers at it',
        'peak RSS MB',
      ],
      searches.map((s) => {
        const at = s.steps.find((x) => x.rate === s.max && x.keptUp);
        const met = ratio >= TARGET.vsBare ? 'met' : 'MISSED';
        return [
          s.target === 'bare' ? 'bare ws' : 'graphql-ws',
          s.subscribers.toLocaleString('en-US'),
          s.steps.map((x) => `${x.rate}${x.keptUp ? '✓' : '✗'}`).join(' '),
          String(s.max),
          (s.max * s.subscribers).toLocaleString('en-US'),
          s.target === 'app' ? f(ratio, 2) : '(baseline)',
          s.target === 'app' ? met : '',
          at ? `${f(at.cpu.server)} / ${f(at.cpu.bench)}` : '-',
          f(s.peakRss),
        ];
      }),
      [false, true, false, true, true, true, false, true, true],
    ),
  );
  for (const s of searches)
    for (const x of s.steps.filter((y) => !y.keptUp))
      console.log(`${s.target === 'bare' ? 'bare ws' : 'graphql-ws'} at ${x.rate}/s: ${x.why}`);
  if (past.length === 0) return;
  const ratios = past.map(({ loaded, alone }) => loaded.report.p99 / alone.report.p99);
  const vs = median(ratios);
  const { loaded } = past[0] as (typeof past)[number];
  console.log(
    `\npast the maximum: graphql-ws, ${loaded.subscribers.toLocaleString('en-US')} subscribers at ${loaded.rate} reports/s (${PAST_FACTOR}× its highest), ${past.length} round${past.length === 1 ? '' : 's'}, each beside the same rate without subscribers; report p99 vs none, median of the rounds ${f(vs, 2)} (target ≤ ${TARGET.reportP99}: ${vs <= TARGET.reportP99 ? 'met' : 'MISSED'})`,
  );
  past.forEach(({ loaded, alone }, i) => {
    const shed = loaded.closes['close 4008'] ?? 0;
    const others = Object.entries(loaded.closes).filter(([k]) => k !== 'close 4008');
    console.log(
      `  round ${i + 1}: ${shed.toLocaleString('en-US')} sockets shed as slow consumers (close 4008)${others.length > 0 ? `, other closes ${JSON.stringify(Object.fromEntries(others))}` : ''}; ${loaded.received.toLocaleString('en-US')} of ${loaded.expected.toLocaleString('en-US')} deliveries received; report p99 ${f(loaded.report.p99, 1)} ms vs ${f(alone.report.p99, 1)} ms without subscribers = ${f(ratios[i] as number, 2)}×; peak server RSS ${f(loaded.rss.peak)} MB (without subscribers ${f(alone.rss.peak)} MB); CPU % server / subscribers ${f(loaded.cpu.server)} / ${f(loaded.cpu.bench)}`,
    );
  });
}
