/**
 * Load with wrk (`wrk.ts`): paths beside their baseline, in alternating rounds. Used by the ingest part and the
 * InfluxDB part's ingest.
 */
import { cpuSeconds } from './proc.js';
import type { BenchHost, ServerProcess } from './servers.js';
import { type FleetBodies, runWrk, writeTemplate } from './wrk.js';

export interface LoadSettings {
  /** wrk connections. */
  connections: number;
  /** Seconds measured per path, split into `rounds`. */
  seconds: number;
  rounds: number;
  /** Seconds of each path before measuring. */
  warmup: number;
}

export interface IngestRow {
  label: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  /** req/s of each measured round, in order. */
  rounds: number[];
  /** Non-2xx, connection errors and wrong answers, warm-up included. */
  failed: number;
  /** 2xx answers, warm-up and the first check included. */
  acked: number;
  /** Windows found in the store afterwards (`undefined` for the raw server, which stores nothing). */
  stored?: number;
  /** CPU seconds per 1,000 acknowledged requests, of the process under load and of the watched ones. */
  cpuPerThousand?: Record<string, number>;
}

/** A check of an answer's body, and the same check as `wrk-load.lua` makes it (`empty`, or a prefix). */
export type Verify = ((body: string) => boolean) & { wrk: string };

export const emptyBody: Verify = Object.assign((body: string) => body === '', { wrk: 'empty' });
const ACK = '{"data":{"reportMetrics":{';
export const graphqlAck: Verify = Object.assign(
  (body: string) => body.startsWith(ACK) && !body.includes('"errors"'),
  { wrk: ACK },
);

/** One server under load: its process, what it is sent, and everything measured so far. */
interface Target {
  label: string;
  stored: (() => Promise<number>) | undefined;
  proc: ServerProcess;
  /** The template file of its bodies, for wrk, and the next request index. */
  templateFile: string;
  next: number;
  /** 2xx answers: all, and in measured rounds only. */
  ok: number;
  measuredOk: number;
  seconds: number;
  /** Latency µs -> count, of the measured rounds. */
  latencies: Map<number, number>;
  rounds: number[];
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
}

/** What one side of a pair is: a started process, what to send it, how to check and count. */
export interface TargetSpec {
  label: string;
  proc: ServerProcess;
  path: string;
  body: FleetBodies;
  contentType: string;
  verify: Verify;
  /** Windows the server stored, counted after the run; absent for baselines that store nothing we count. */
  stored?: () => Promise<number>;
}

async function target(host: BenchHost, spec: TargetSpec, dir: string, name: string): Promise<Target> {
  const { label, proc, path, body, verify } = spec;
  const first = await host.http.request(proc.port, 'POST', path, body(0), spec.contentType);
  if (first.status < 200 || first.status > 299 || !verify(first.text)) {
    throw new Error(`${label}: the first request answered ${first.status} ${first.text.slice(0, 500)}`);
  }
  const templateFile = writeTemplate(dir, name, body.template, {
    path,
    contentType: spec.contentType,
    verify: verify.wrk,
  });
  return {
    label,
    stored: spec.stored,
    proc,
    templateFile,
    next: 1,
    ok: 1,
    measuredOk: 0,
    seconds: 0,
    latencies: new Map(),
    rounds: [],
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    mismatches: 0,
  };
}

/**
 * wrk's connections for a fleet of `clients`: one per client, at least `settings.connections`. Each agent keeps
 * its own keep-alive connection, so a fleet of 1,000 hosts has up to 1,000 reports in flight, not 32; the
 * baseline gets the same connections.
 */
export const fleetConnections = (settings: LoadSettings, clients: number): number =>
  Math.max(settings.connections, clients);

/** One wrk run of `seconds` against `t`; counts failures always, the rest only when `measured`. */
async function load(t: Target, connections: number, seconds: number, measured: boolean): Promise<void> {
  const result = await runWrk(t.proc.port, t.templateFile, t.next, connections, seconds);
  t.next = result.next;
  t.ok += result.ok;
  t.non2xx += result.non2xx;
  t.errors += result.errors;
  t.timeouts += result.timeouts;
  t.mismatches += result.mismatches;
  if (measured) {
    t.seconds += result.duration;
    t.measuredOk += result.ok;
    t.rounds.push(result.ok / result.duration);
    for (const [us, count] of result.latency) t.latencies.set(us, (t.latencies.get(us) ?? 0) + count);
  }
}

/** The `q` quantile, in milliseconds, of a latency histogram in microseconds. */
function histogramQuantile(histogram: Map<number, number>, q: number): number {
  const sorted = [...histogram].sort((x, y) => x[0] - y[0]);
  const total = sorted.reduce((sum, [, count]) => sum + count, 0);
  let seen = 0;
  for (const [us, count] of sorted) {
    seen += count;
    if (seen >= q * total) return us / 1000;
  }
  return Number.NaN;
}

/**
 * Measures paths beside their raw baseline (the first spec). All servers run at once, each in its own
 * process, but only one is under load at a time: after a warm-up each, `rounds` rounds of `seconds / rounds`
 * seconds go through them in turn, forwards then backwards (A B C, C B A, ...), so that a noisy neighbour or
 * a trend over the run hits all alike. The rows come back in the order of `specs`.
 */
export async function ingestGroup(
  host: BenchHost,
  settings: LoadSettings,
  specs: (() => Promise<TargetSpec>)[],
  /** Other processes whose CPU time to charge to each target while it is under load (influxd). */
  watch: Record<string, number | undefined> = {},
): Promise<IngestRow[]> {
  const started: Target[] = [];
  const cpu = new Map<Target, Record<string, number>>();
  try {
    const dir = host.tempDir('mc-bench-wrk-');
    for (const [k, spec] of specs.entries())
      started.push(await target(host, await spec(), dir, `target-${k}`));
    for (const t of started) await load(t, settings.connections, settings.warmup, false);
    const slice = settings.seconds / settings.rounds;
    for (let round = 0; round < settings.rounds; round += 1) {
      for (const t of round % 2 === 0 ? started : [...started].reverse()) {
        const pids: Record<string, number | undefined> = { server: t.proc.pid, ...watch };
        const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
        await load(t, settings.connections, slice, true);
        const used = cpu.get(t) ?? {};
        for (const [k, pid] of Object.entries(pids)) {
          used[k] = (used[k] ?? 0) + cpuSeconds(pid) - (before[k] ?? Number.NaN);
        }
        cpu.set(t, used);
      }
    }
  } finally {
    for (const t of started) {
      await t.proc.stop();
      host.problems.push(...t.proc.errors);
    }
  }
  const rows: IngestRow[] = [];
  for (const t of started) rows.push(await ingestRow(host, t, cpu.get(t) ?? {}));
  return rows;
}

/** The row of a measured target; its failures and missing windows go to the run's problems. */
async function ingestRow(host: BenchHost, t: Target, cpu: Record<string, number>): Promise<IngestRow> {
  const failed = t.non2xx + t.errors + t.timeouts + t.mismatches;
  if (failed > 0) {
    host.problems.push(
      `${t.label}: ${t.non2xx} non-2xx, ${t.errors} errors (${t.timeouts} timeouts), ${t.mismatches} wrong bodies`,
    );
  }
  const row: IngestRow = {
    label: t.label,
    reqPerSec: t.seconds > 0 ? t.measuredOk / t.seconds : 0,
    p50: histogramQuantile(t.latencies, 0.5),
    p99: histogramQuantile(t.latencies, 0.99),
    rounds: t.rounds,
    failed,
    acked: t.ok,
    cpuPerThousand: Object.fromEntries(
      Object.entries(cpu).map(([k, seconds]) => [k, (seconds / t.measuredOk) * 1000]),
    ),
  };
  if (t.stored) {
    row.stored = await t.stored();
    // Ack means stored: every acknowledged window must be there (in-flight ones at the end may be too).
    if (row.stored < row.acked)
      host.problems.push(`${t.label}: ${row.acked} windows acked but ${row.stored} stored`);
  }
  return row;
}
