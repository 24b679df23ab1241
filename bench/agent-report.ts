/** The agent part's table (the agent beside node_exporter, with the targets) and the lines under it. */
import type { AgentFigures } from './agent.js';
import { REPORT_MS } from './agent-process.js';
import { SCRAPE_MS } from './node-exporter.js';
import type { ProcessCost } from './proc.js';
import { fixed, table } from './table.js';

/** Prints the part: what the figures are, the table and the lines under it. */
export function printAgent(f: AgentFigures): void {
  console.log(
    `\nagent: the same ${fixed(f.seconds, 0)} s for both (after ${fixed(f.warmupSeconds, 0)} s of the agent); CPU = utime + stime (+ cutime + cstime of waited-for children) from /proc/<pid>/stat; bytes = TCP payload, headers included\n`,
  );
  console.log(agentReport(f));
}

/** The part's table and the lines under it. */
function agentReport(f: AgentFigures): string {
  const fx = (n: number | undefined, d: number) =>
    n !== undefined && Number.isFinite(n) ? n.toFixed(d) : '-';
  const kb = (n: number | undefined) => (n === undefined ? '-' : `${(n / 1000).toFixed(1)} kB`);
  const ne = f.nodeExporter;
  const perMinute = (n: number) => (n / f.seconds) * 60;
  const agentMinute = perMinute(f.bytes.up + f.bytes.down);
  const agentUpMinute = perMinute(f.bytes.up);
  // node_exporter at a 15 s scrape interval: 4 scrapes a minute, of the size measured in the period.
  const neMinute = ne ? ne.scrapeBytes * (60_000 / SCRAPE_MS) : undefined;
  const neUpMinute = ne ? ne.gzip.response * (60_000 / SCRAPE_MS) : undefined;
  const nePlainMinute = ne ? (ne.plain.request + ne.plain.response) * (60_000 / SCRAPE_MS) : undefined;
  const cpu = f.agent.cpu;
  const neCpu = ne?.cost.cpu;
  const verdict = (ok: boolean | undefined, what: string) =>
    `${what} ${ok === undefined ? '(not measured)' : ok ? 'met' : 'MISSED'}`;
  const bytesRatio = neMinute === undefined || !(agentMinute > 0) ? undefined : neMinute / agentMinute;
  const rows = [
    [
      'CPU, % of one core (process + children it spawned)',
      fx(cpu.total, 2),
      fx(neCpu?.total, 2),
      neCpu ? `${fx(cpu.total / neCpu.total, 2)} agent/ne` : '-',
      verdict(cpu.total < 1, '< 1 %'),
    ],
    [
      '  of which the process itself / children',
      `${fx(cpu.own, 2)} / ${fx(cpu.children, 2)}`,
      neCpu ? `${fx(neCpu.own, 2)} / ${fx(neCpu.children, 2)}` : '-',
      '',
      '',
    ],
    [
      'RSS MB, mean (VmRSS every second)',
      fx(f.agent.rss.mean, 1),
      fx(ne?.cost.rss.mean, 1),
      ne ? `${fx(f.agent.rss.mean / ne.cost.rss.mean, 2)} agent/ne` : '-',
      '',
    ],
    [
      'RSS MB, peak of the samples (VmHWM since start)',
      `${fx(f.agent.rss.peak, 1)} (${fx(f.agent.hwm, 1)})`,
      ne ? `${fx(ne.cost.rss.peak, 1)} (${fx(ne.cost.hwm, 1)})` : '-',
      ne ? `${fx(f.agent.rss.peak / ne.cost.rss.peak, 2)} agent/ne` : '-',
      verdict(f.agent.rss.peak < 80, '< 80 MB'),
    ],
    [
      'bytes per minute on the wire, both directions (ne: gzip scrapes every 15 s)',
      kb(agentMinute),
      kb(neMinute),
      bytesRatio === undefined ? '-' : `${fx(bytesRatio, 1)}× ne/agent`,
      verdict(bytesRatio === undefined ? undefined : bytesRatio >= 20, '≥ 20×'),
    ],
    [
      '  sent by the watched host only (agent → server; ne: its responses)',
      kb(agentUpMinute),
      kb(neUpMinute),
      neUpMinute === undefined ? '-' : `${fx(neUpMinute / agentUpMinute, 1)}× ne/agent`,
      '',
    ],
    [
      '  ne scraped without gzip (both directions)',
      '',
      kb(nePlainMinute),
      nePlainMinute === undefined ? '-' : `${fx(nePlainMinute / agentMinute, 1)}× ne/agent`,
      '',
    ],
  ];
  const lines = [
    table(['per watched host', 'metrics-agent', 'node_exporter', 'ratio', 'target'], rows, [
      false,
      true,
      true,
      true,
      false,
    ]),
  ];
  const perReport = f.reports > 0 ? (f.bytes.up + f.bytes.down) / f.reports : Number.NaN;
  if (Math.round(f.seconds) % (REPORT_MS / 1000) !== 0)
    lines.push(
      `BENCH_AGENT_SECONDS is not a multiple of ${REPORT_MS / 1000}: the period does not hold whole windows, so the agent's bytes per minute are off`,
    );
  lines.push(
    `agent: ${fx(f.bytes.up, 0)} bytes up, ${fx(f.bytes.down, 0)} down in ${fx(f.seconds, 1)} s holding ${f.reports} window boundaries (${fx(perReport, 0)} bytes per report, keep-alive included); since it started (${fx(f.bytesSinceStart.seconds, 0)} s, connection set-up included): ${f.bytesSinceStart.up} up, ${f.bytesSinceStart.down} down`,
  );
  lines.push(
    `agent connections through the proxy: ${f.connections.map((c) => `${c.request}${c.upgrade ? ' (WebSocket upgrade)' : ''}, opened ${c.opened === 'after' ? 'after the period (on stop)' : `${c.opened} the period`}`).join('; ')}`,
  );
  const rss = (c: ProcessCost) =>
    `first ${fx(c.rss.first, 1)}, min ${fx(c.rss.min, 1)}, last ${fx(c.rss.last, 1)} (${c.rss.samples} samples)`;
  lines.push(`RSS MB over the period: agent ${rss(f.agent)}${ne ? `; node_exporter ${rss(ne.cost)}` : ''}`);
  if (f.stopped)
    lines.push(
      `agent on stop: ${f.stopped.windows} windows, ${f.stopped.sent} acknowledged, ${f.stopped.refused} refused, ${f.stopped.dropped} dropped, ${f.stopped.lost} lost`,
    );
  if (ne) {
    lines.push(
      `node_exporter ${ne.version}: one scrape = ${ne.samples.toLocaleString('en-US')} samples; plain ${ne.plain.request} B request + ${ne.plain.response.toLocaleString('en-US')} B response (body ${ne.plain.body.toLocaleString('en-US')}); gzip ${ne.gzip.request} B + ${ne.gzip.response.toLocaleString('en-US')} B (body ${ne.gzip.body.toLocaleString('en-US')}); ${ne.scrapes} gzip scrapes in the period, ${fx(ne.scrapeBytes, 0)} B each on average`,
    );
  }
  if (f.skipped) lines.push(f.skipped);
  return lines.join('\n');
}
