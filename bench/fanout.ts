/**
 * Fan-out: 1,000 and 5,000 WebSocket subscribers to `metricReported`, reports at a fixed rate; delivery
 * delay, report latency and server RSS beside the same reports with no subscriber. Each phase runs on a
 * fresh server (`fanout-phase.ts`). Called by `run.ts`.
 */
import { type FanoutPhase, type FanoutSettings, phase } from './fanout-phase.js';
import type { BenchHost } from './servers.js';
import { table } from './table.js';

export interface FanoutFigures {
  /** The baseline (no subscriber) first, then one phase per subscriber count. */
  phases: FanoutPhase[];
  /** Server warnings known to be harmless, shown below the table rather than failing the run. */
  warnings: Set<string>;
}

/** The baseline (no subscriber) and every subscriber count in `settings`, each on a fresh server. */
export async function fanoutBench(host: BenchHost, settings: FanoutSettings): Promise<FanoutFigures> {
  const phases: FanoutPhase[] = [];
  const warnings = new Set<string>();
  for (const subscribers of [0, ...settings.subscribers.filter((n) => n > 0)]) {
    console.log(`  fanout: ${subscribers} subscribers…`);
    const result = await phase(host, settings, subscribers, warnings);
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
  return { phases, warnings };
}

/** Prints the part: what the columns mean, the table of phases and the lines under it. */
export function printFanout({ phases, warnings }: FanoutFigures): void {
  console.log(
    `\nfan-out: delay = receive time at a subscriber - send time of the report, over every delivery of the measured reports; report = HTTP latency of reportMetrics; RSS from /proc/<pid>/status (peak: VmHWM)\n`,
  );
  console.log(fanoutTable(phases));
  const bytes = phases.find((p) => p.messageBytes > 0)?.messageBytes;
  if (bytes) console.log(`one delivery (graphql-ws next message): ${bytes} bytes`);
  for (const warning of warnings) console.log(`server warned (not counted as a failure): ${warning}`);
}

/** The table of the phases, the first being the baseline. */
function fanoutTable(phases: FanoutPhase[]): string {
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
