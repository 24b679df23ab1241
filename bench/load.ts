/**
 * Load with autocannon: paths beside their baseline, in alternating rounds. Used by the ingest part and the
 * InfluxDB part's ingest.
 */
import autocannon from 'autocannon';
import { cpuSeconds } from './proc.js';
import type { BenchHost, ServerProcess } from './servers.js';
import { quantile } from './table.js';

export interface LoadSettings {
  /** autocannon connections. */
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

export const emptyBody = (body: string) => body === '';
export const graphqlAck = (body: string) =>
  body.startsWith('{"data":{"reportMetrics":{') && !body.includes('"errors"');

/** One server under load: its process, what it is sent, and everything measured so far. */
interface Target {
  label: string;
  stored: (() => Promise<number>) | undefined;
  proc: ServerProcess;
  options: autocannon.Options;
  /** 2xx answers: all, and in measured rounds only. */
  ok: number;
  measuredOk: number;
  seconds: number;
  latencies: number[];
  rounds: number[];
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  statusCodes: Record<string, number>;
}

/** What one side of a pair is: a started process, what to send it, how to check and count. */
export interface TargetSpec {
  label: string;
  proc: ServerProcess;
  path: string;
  body: (i: number) => string;
  contentType: string;
  verify: (body: string) => boolean;
  /** Windows the server stored, counted after the run; absent for baselines that store nothing we count. */
  stored?: () => Promise<number>;
}

async function target(host: BenchHost, spec: TargetSpec, connections: number): Promise<Target> {
  const { label, proc, path, body, verify } = spec;
  const first = await host.http.request(proc.port, 'POST', path, body(0), spec.contentType);
  if (first.status < 200 || first.status > 299 || !verify(first.text)) {
    throw new Error(`${label}: the first request answered ${first.status} ${first.text.slice(0, 500)}`);
  }
  let next = 1;
  const options: autocannon.Options = {
    url: `http://127.0.0.1:${proc.port}${path}`,
    method: 'POST',
    headers: { 'content-type': spec.contentType },
    connections,
    pipelining: 1,
    requests: [
      {
        setupRequest: (req) => {
          req.body = body(next++);
          return req;
        },
      },
    ],
    verifyBody: (text) => verify(String(text)),
  };
  return {
    label,
    stored: spec.stored,
    proc,
    options,
    ok: 1,
    measuredOk: 0,
    seconds: 0,
    latencies: [],
    rounds: [],
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    mismatches: 0,
    statusCodes: {},
  };
}

/** One autocannon run of `seconds` against `t`; counts failures always, the rest only when `measured`. */
function load(t: Target, seconds: number, measured: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const instance = autocannon({ ...t.options, duration: seconds }, (error, result) => {
      if (error) return reject(error);
      t.ok += result['2xx'];
      t.non2xx += result.non2xx;
      t.errors += result.errors;
      t.timeouts += result.timeouts;
      t.mismatches += result.mismatches;
      for (const [code, { count = 0 }] of Object.entries(result.statusCodeStats ?? {})) {
        t.statusCodes[code] = (t.statusCodes[code] ?? 0) + count;
      }
      if (measured) {
        t.seconds += result.duration;
        t.measuredOk += result['2xx'];
        t.rounds.push(result['2xx'] / result.duration);
        for (const ms of latencies) t.latencies.push(ms);
      }
      resolve();
    });
    if (measured) instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
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
    for (const spec of specs) started.push(await target(host, await spec(), settings.connections));
    for (const t of started) await load(t, settings.warmup, false);
    const slice = settings.seconds / settings.rounds;
    for (let round = 0; round < settings.rounds; round += 1) {
      for (const t of round % 2 === 0 ? started : [...started].reverse()) {
        const pids: Record<string, number | undefined> = { server: t.proc.pid, ...watch };
        const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
        await load(t, slice, true);
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
  const failed = t.non2xx + t.errors + t.mismatches;
  if (failed > 0) {
    host.problems.push(
      `${t.label}: ${t.non2xx} non-2xx, ${t.errors} errors (${t.timeouts} timeouts), ${t.mismatches} wrong bodies; status codes ${JSON.stringify(t.statusCodes)}`,
    );
  }
  const row: IngestRow = {
    label: t.label,
    reqPerSec: t.seconds > 0 ? t.measuredOk / t.seconds : 0,
    p50: quantile(t.latencies, 0.5),
    p99: quantile(t.latencies, 0.99),
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
