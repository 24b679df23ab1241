/**
 * Fan-out: WebSocket subscribers to `metricReported`, reports at a fixed rate; delivery delay, report
 * latency and server RSS, beside (a) the same reports with no subscriber and (b) a bare `ws` server
 * broadcasting one pre-serialised frame per report to the same number of sockets at the same rate
 * (`broadcast.ts`), received and timed by the same subscribers. Each phase runs on a fresh server
 * (`fanout-phase.ts`). The three servers alternate in rounds (`FanoutSettings.rounds`), and a case is
 * judged by the median of its rounds' ratios. Called by `run.ts`.
 *
 * The cases (subscribers × reports/s): `BENCH_FANOUT_CASES`, e.g. `1000x20,10000x2` (the default); when
 * it is unset but `BENCH_FANOUT_SUBSCRIBERS` is set, those counts at the run's rate.
 */
import { type FanoutPhase, type FanoutSettings, type FanoutTarget, phase, warmUp } from './fanout-phase.js';
import { fanoutSearch, printSearch, type SearchFigures } from './fanout-search.js';
import type { BenchHost } from './servers.js';
import { median, table } from './table.js';

export interface FanoutFigures {
  /** Per rate the baseline (no subscriber) first, then per case graphql-ws and the bare broadcast. */
  phases: FanoutPhase[];
  /** Server warnings known to be harmless, shown below the table rather than failing the run. */
  warnings: Set<string>;
  /** The highest rate with `BENCH_FANOUT_SEARCH` subscribers, and past it (`fanout-search.ts`). */
  search?: SearchFigures;
}

/** Subscribers of the highest-rate search: `BENCH_FANOUT_SEARCH` (10,000; 0 leaves the search out). */
export function searchSubscribers(): number {
  const n = Number(process.env.BENCH_FANOUT_SEARCH ?? 10_000);
  if (!(Number.isSafeInteger(n) && n >= 0))
    throw new Error('BENCH_FANOUT_SEARCH must be a count of subscribers');
  return n;
}

interface FanoutCase {
  subscribers: number;
  rate: number;
}

const DEFAULT_CASES = '1000x20,10000x2';
/** Seconds of reports in each case's warm-up (`warmUp`), after `BENCH_WARMUP`'s. */
const WARM_UP_SECONDS = 3;

/** The cases to run, from the environment (see the file's comment). */
export function fanoutCases(settings: FanoutSettings): FanoutCase[] {
  const spec = process.env.BENCH_FANOUT_CASES;
  if (!spec && process.env.BENCH_FANOUT_SUBSCRIBERS)
    return settings.subscribers.map((subscribers) => ({ subscribers, rate: settings.rate }));
  return (spec || DEFAULT_CASES).split(',').map((item) => {
    const [subscribers, rate] = item.trim().split('x').map(Number) as [number, number];
    if (!(Number.isSafeInteger(subscribers) && subscribers > 0 && rate > 0))
      throw new Error('BENCH_FANOUT_CASES must be a list of <subscribers>x<reports per second>');
    return { subscribers, rate };
  });
}

/** Every case in `settings` (see `fanoutCases`), each phase on a fresh server. */
export async function fanoutBench(host: BenchHost, settings: FanoutSettings): Promise<FanoutFigures> {
  const phases: FanoutPhase[] = [];
  const warnings = new Set<string>();
  const cases = fanoutCases(settings);
  const rounds = settings.rounds ?? 1;
  const run = async (
    round: number,
    subscribers: number,
    rate: number,
    target: FanoutTarget,
    frameBytes = 0,
  ) => {
    const what = target === 'bare' ? 'bare ws broadcast' : 'graphql-ws';
    const of = rounds > 1 ? ` (round ${round} of ${rounds})` : '';
    console.log(`  fanout: ${what}, ${subscribers} subscribers at ${rate} reports/s${of}…`);
    let result: FanoutPhase;
    try {
      result = await phase(host, { ...settings, rate }, subscribers, warnings, target, frameBytes, round);
    } catch (error) {
      host.problems.push(
        `fanout, ${what}, ${subscribers} subscribers at ${rate}/s: ${(error as Error).message}`,
      );
      return null;
    }
    phases.push(result);
    const { closes, subscriptionErrors, failedReports } = result;
    const label = `fanout, ${what}, ${subscribers} subscribers at ${rate}/s`;
    if (result.received !== result.expected)
      host.problems.push(`${label}: ${result.received} of ${result.expected} deliveries received`);
    if (failedReports > 0) host.problems.push(`${label}: ${failedReports} reports failed`);
    if (subscriptionErrors > 0) host.problems.push(`${label}: ${subscriptionErrors} subscription errors`);
    if (Object.keys(closes).length > 0)
      host.problems.push(`${label}: sockets closed or failed before the end: ${JSON.stringify(closes)}`);
    return result;
  };
  for (const { subscribers, rate } of cases.filter((c) => c.subscribers > 0)) {
    console.log(`  fanout: warm-up (not measured), bare ws broadcast, ${subscribers} subscribers…`);
    await warmUp(host, subscribers, rate, settings.warmup + WARM_UP_SECONDS, warnings).catch((error) => {
      host.problems.push(`fanout warm-up, ${subscribers} subscribers: ${(error as Error).message}`);
    });
  }
  // Rounds alternate the three servers, so that a machine that slows down for minutes (other guests on
  // its cores) weighs on each of them; a case is judged by the median of its rounds' ratios.
  for (let round = 1; round <= rounds; round += 1) {
    for (const rate of new Set(cases.map((c) => c.rate))) await run(round, 0, rate, 'app');
    // graphql-ws first: the bare broadcast then sends frames of the same size.
    for (const { subscribers, rate } of cases) {
      const app = await run(round, subscribers, rate, 'app');
      await run(round, subscribers, rate, 'bare', app?.messageBytes ?? 0);
    }
  }
  const searching = searchSubscribers();
  if (searching === 0) return { phases, warnings };
  const frameBytes = phases.find((p) => p.target === 'app' && p.messageBytes > 0)?.messageBytes ?? 0;
  try {
    const search = await fanoutSearch(host, searching, { ...settings, rounds }, warnings, frameBytes);
    return { phases, warnings, search };
  } catch (error) {
    host.problems.push(`fanout search, ${searching} subscribers: ${(error as Error).message}`);
    return { phases, warnings };
  }
}

/** Prints the part: what the columns mean, the table of phases and the lines under it. */
export function printFanout({ phases, warnings, search }: FanoutFigures): void {
  console.log(
    `\nfan-out: delay = receive time at a subscriber - send time of the report, over every delivery of the measured reports; report = HTTP latency of reportMetrics; "vs bare" = graphql-ws delay p99 / the bare ws broadcast's (same subscribers, same rate, same run); "vs no subscriber" = report latency / the no-subscriber phase's at the same rate; RSS from /proc/<pid>/status (peak: VmHWM)\n`,
  );
  console.log(fanoutTable(phases));
  console.log(`\nfan-out by case, over the rounds (each ratio within one round):\n`);
  console.log(casesTable(phases));
  const bytes = (target: FanoutTarget) =>
    phases.find((p) => p.target === target && p.messageBytes > 0)?.messageBytes;
  if (bytes('app')) console.log(`one delivery (graphql-ws next message): ${bytes('app')} bytes`);
  if (bytes('bare')) console.log(`one delivery (bare broadcast frame): ${bytes('bare')} bytes`);
  if (search) printSearch(search);
  for (const warning of warnings) console.log(`server warned (not counted as a failure): ${warning}`);
}

/** The table of the phases. */
function fanoutTable(phases: FanoutPhase[]): string {
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  return table(
    [
      'round',
      'server',
      'subscribers',
      'reports (per s)',
      'deliveries expected / received',
      'delay p50 / p99 / max ms',
      'delay p99 vs bare',
      'drain ms',
      'deliveries/s offered / achieved',
      'report p50 / p99 ms',
      'vs no subscriber p50 / p99',
      'server RSS MB: start / subscribed / peak / end',
      'CPU % server / bench',
    ],
    phases.map((p) => {
      const base = noSubscriber(phases, p);
      const b = bare(phases, p);
      return [
        String(p.round),
        p.target === 'bare' ? 'bare ws' : 'graphql-ws',
        p.subscribers === 0 ? '0 (baseline)' : n(p.subscribers),
        `${n(p.reports)} (${f(p.sentRate)})`,
        p.subscribers === 0 ? '-' : `${n(p.expected)} / ${n(p.received)}`,
        p.delay ? `${f(p.delay.p50)} / ${f(p.delay.p99)} / ${f(p.delay.max, 0)}` : '-',
        p.target === 'app' && b?.delay && p.delay ? f(p.delay.p99 / b.delay.p99, 2) : '-',
        p.subscribers === 0 ? '-' : f(p.drainMs, 0),
        p.subscribers === 0 ? '-' : `${n(p.deliveryRate.offered)} / ${n(p.deliveryRate.achieved)}`,
        `${f(p.report.p50)} / ${f(p.report.p99)}`,
        p.target === 'app' && base && p !== base
          ? `${f(p.report.p50 / base.report.p50, 2)} / ${f(p.report.p99 / base.report.p99, 2)}`
          : p === base
            ? '1.00'
            : '-',
        `${f(p.rss.start, 0)} / ${f(p.rss.subscribed, 0)} / ${f(p.rss.peak, 0)} / ${f(p.rss.end, 0)}`,
        `${f(p.cpu.server, 0)} / ${f(p.cpu.bench, 0)}`,
      ];
    }),
    [true, false, true, true, true, true, true, true, true, true, true, true, true],
  );
}

/** The same round's phase with no subscriber at `p`'s rate. */
const noSubscriber = (phases: FanoutPhase[], p: FanoutPhase) =>
  phases.find((b) => b.subscribers === 0 && b.rate === p.rate && b.round === p.round);

/** The same round's bare broadcast to `p`'s subscribers at `p`'s rate. */
const bare = (phases: FanoutPhase[], p: FanoutPhase) =>
  phases.find(
    (b) => b.target === 'bare' && b.subscribers === p.subscribers && b.rate === p.rate && b.round === p.round,
  );

/**
 * Per case, each round's ratios (delay p99 against the bare broadcast's, report p99 against the phase
 * without subscribers, both of the same round) and their medians, which the targets judge (issue 13:
 * ≤ 1.5 and ≤ 2).
 */
function casesTable(phases: FanoutPhase[]): string {
  // Each case once, by the first of its phases that ran (a round whose phase failed has none).
  const apps = phases.filter((p) => p.target === 'app' && p.subscribers > 0);
  const sameCase = (a: FanoutPhase, b: FanoutPhase) => a.subscribers === b.subscribers && a.rate === b.rate;
  const cases = apps.filter((p, i) => apps.findIndex((q) => sameCase(p, q)) === i);
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
  const rows = cases.map((c) => {
    const rounds = apps.filter((p) => sameCase(p, c));
    const delay = rounds.map((p) => {
      const b = bare(phases, p);
      return p.delay && b?.delay ? p.delay.p99 / b.delay.p99 : Number.NaN;
    });
    const report = rounds.map((p) => p.report.p99 / (noSubscriber(phases, p)?.report.p99 ?? Number.NaN));
    const verdict = (m: number, most: number) => `${f(m)} (≤ ${most}: ${m <= most ? 'met' : 'MISSED'})`;
    return [
      `${c.subscribers.toLocaleString('en-US')} × ${c.rate}/s`,
      delay.map(f).join(' / '),
      verdict(median(delay), 1.5),
      report.map(f).join(' / '),
      verdict(median(report), 2),
      Math.max(...rounds.map((p) => p.rss.peak)).toFixed(0),
    ];
  });
  return table(
    [
      'case',
      'delay p99 vs bare, by round',
      'median',
      'report p99 vs no subscriber, by round',
      'median',
      'peak server RSS MB',
    ],
    rows,
    [false, true, true, true, true, true],
  );
}
