/**
 * Fan-out: WebSocket subscribers to `metricReported`, reports at a fixed rate; delivery delay, report
 * latency and server RSS, beside (a) the same reports with no subscriber and (b) a bare `ws` server
 * broadcasting one pre-serialised frame per report to the same number of sockets at the same rate
 * (`broadcast.ts`), received and timed by the same subscribers. Each phase runs on a fresh server
 * (`fanout-phase.ts`). Called by `run.ts`.
 *
 * The cases (subscribers × reports/s): `BENCH_FANOUT_CASES`, e.g. `1000x20,10000x2` (the default); when
 * it is unset but `BENCH_FANOUT_SUBSCRIBERS` is set, those counts at the run's rate.
 */
import { type FanoutPhase, type FanoutSettings, type FanoutTarget, phase } from './fanout-phase.js';
import { fanoutSearch, printSearch, type SearchFigures } from './fanout-search.js';
import type { BenchHost } from './servers.js';
import { table } from './table.js';

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
  const run = async (subscribers: number, rate: number, target: FanoutTarget, frameBytes = 0) => {
    const what = target === 'bare' ? 'bare ws broadcast' : 'graphql-ws';
    console.log(`  fanout: ${what}, ${subscribers} subscribers at ${rate} reports/s…`);
    let result: FanoutPhase;
    try {
      result = await phase(host, { ...settings, rate }, subscribers, warnings, target, frameBytes);
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
  for (const rate of new Set(cases.map((c) => c.rate))) await run(0, rate, 'app');
  // graphql-ws first: the bare broadcast then sends frames of the same size.
  for (const { subscribers, rate } of cases) {
    const app = await run(subscribers, rate, 'app');
    await run(subscribers, rate, 'bare', app?.messageBytes ?? 0);
  }
  const searching = searchSubscribers();
  if (searching === 0) return { phases, warnings };
  const frameBytes = phases.find((p) => p.target === 'app' && p.messageBytes > 0)?.messageBytes ?? 0;
  try {
    const search = await fanoutSearch(host, searching, settings, warnings, frameBytes);
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
  const noSubscriber = (p: FanoutPhase) => phases.find((b) => b.subscribers === 0 && b.rate === p.rate);
  const bare = (p: FanoutPhase) =>
    phases.find((b) => b.target === 'bare' && b.subscribers === p.subscribers && b.rate === p.rate);
  return table(
    [
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
      const base = noSubscriber(p);
      const b = bare(p);
      return [
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
    [false, true, true, true, true, true, true, true, true, true, true, true],
  );
}
