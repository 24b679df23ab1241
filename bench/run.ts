/**
 * `npm run bench`: every figure beside a baseline measured in the same run, printed as a ratio.
 *
 * 1. Ingest (embedded SQLite store): requests/s and latency of a bare `node:http` server that parses the
 *    JSON (the baseline), of `POST /graphql` with `reportMetrics`, and of the original `POST
 *    /api/v1/metrics`. Each server runs in its own process; autocannon runs here.
 * 2. History: `metricHistory` over 7 days of 10-second windows resampled to 15 minutes, over HTTP, beside
 *    the very statements the store runs, executed directly with better-sqlite3 on the same file.
 * 3. InfluxDB (when `influxd` is installed; it is started on a free port with its data in a temporary
 *    folder): `reportMetrics` with `STORE=influxdb` beside a raw line-protocol `POST /write` of the same
 *    lines to the same influxd, and the same history query beside the store's InfluxQL posted directly.
 * 4. Fan-out (`fanout.ts`): 1,000 and 5,000 WebSocket subscribers to `metricReported`, reports at a fixed
 *    rate; delivery delay, report latency and server RSS beside the same reports with no subscriber.
 * 5. SDK (`sdk.ts`): reportMetrics through the SDK over HTTP and over the WebSocket beside bare node:http.
 * 6. Agent (`agent.ts`): the host agent's CPU, RSS and bytes on the wire beside prometheus-node-exporter
 *    watching the same host over the same seconds (when installed), scraped every 15 s.
 * 7. Security (`security.ts`): the longest event-loop block of hostile requests, one at a time, beside a
 *    one-field query; the server's memory through 50 distinct 1 MiB documents.
 *
 * Settings (environment): BENCH_CONNECTIONS (32), BENCH_DURATION (10 s), BENCH_WARMUP (2 s),
 * BENCH_ROUNDS (10), BENCH_HISTORY_RUNS (30), BENCH_DATA_DIR (the OS temp folder), BENCH_CPU_PROF (a
 * folder: profile every server process with `--cpu-prof`), BENCH_SERVER_NODE_ARGS (more Node.js arguments
 * for the servers), BENCH_FANOUT_SUBSCRIBERS (1000,5000), BENCH_FANOUT_RATE (20/s), BENCH_FANOUT_SECONDS (10),
 * BENCH_AGENT_SECONDS (60), BENCH_AGENT_COLLECTORS (all), BENCH_ONLY (a list of ingest,history,influx,fanout,sdk,agent,security: run only those parts). See docs/benchmarks.md. Exits 1 when any request failed or an answer was wrong: such a
 * run measures nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Bucket } from '@metrics-collector/schema/context';
import { defaultLimits } from '@metrics-collector/schema/context';
import { toPoints } from '@metrics-collector/schema/service/ingest';
import { createInfluxMetricStore } from '@metrics-collector/server/metrics/influx/store';
import { createSqliteMetricStore } from '@metrics-collector/server/metrics/sqlite/store';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { originalReport } from '../server/test/helpers.js';
import {
  hasBinary,
  influxdBinary,
  influxQuery,
  type RealServer,
  startInfluxd,
} from '../server/test/real-servers.js';
import { type AgentFigures, agentBench, agentReport } from './agent.js';
import { fanout, fanoutTable, warnings as fanoutWarnings } from './fanout.js';
import { cpuSeconds } from './proc.js';
import { type SdkRow, sdkBench } from './sdk.js';
import { MAX_BLOCK_MS, type SecurityFigures, type SecurityRow, securityBench } from './security.js';
import {
  bodyFactory,
  graphqlReportInput,
  HISTORY_BUCKETS,
  HISTORY_CLIENT,
  HISTORY_QUERY,
  HISTORY_RESAMPLE_MS,
  HISTORY_WINDOWS,
  historyRange,
  ingestBase,
  WINDOW_MS,
} from './workload.js';

const env = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const CONNECTIONS = env('BENCH_CONNECTIONS', 32);
const DURATION = env('BENCH_DURATION', 10);
const WARMUP = env('BENCH_WARMUP', 2);
const ROUNDS = env('BENCH_ROUNDS', 10);
const HISTORY_RUNS = env('BENCH_HISTORY_RUNS', 30);
const HISTORY_WARMUP = 5;
const DATA_ROOT = process.env.BENCH_DATA_DIR || tmpdir();
/** When set, every server process writes a V8 CPU profile (`.cpuprofile`) into this folder. */
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;
/** Extra Node.js arguments for every server process, separated by spaces (experiments: `--import ./x.mjs`). */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const FANOUT_SUBSCRIBERS = (process.env.BENCH_FANOUT_SUBSCRIBERS ?? '1000,5000').split(',').map((n) => {
  const value = Number(n.trim());
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error('BENCH_FANOUT_SUBSCRIBERS must be a list of positive integers');
  return value;
});
const FANOUT_RATE = env('BENCH_FANOUT_RATE', 20);
const FANOUT_SECONDS = env('BENCH_FANOUT_SECONDS', 10);
const AGENT_SECONDS = env('BENCH_AGENT_SECONDS', 60);
/** Seconds of the agent before its measured seconds (at least; the period starts mid-window). */
const AGENT_WARMUP = 5;
const PARTS = ['ingest', 'history', 'influx', 'fanout', 'sdk', 'agent', 'security'] as const;
/** The parts to run: `BENCH_ONLY=fanout` or `ingest,history`; all when unset. */
const ONLY = new Set((process.env.BENCH_ONLY || PARTS.join(',')).split(',').map((p) => p.trim()));
for (const part of ONLY) {
  if (!(PARTS as readonly string[]).includes(part)) throw new Error(`BENCH_ONLY: unknown part ${part}`);
}
const SERVER_SCRIPT = fileURLToPath(new URL('./server-process.ts', import.meta.url));

const MAX_LOG_LINES = 20;
const problems: string[] = [];
const tempDirs: string[] = [];
const children = new Set<ChildProcess>();

// ---------------------------------------------------------------------------------------------------
// Server processes

interface ServerProcess {
  port: number;
  pid: number | undefined;
  info: Record<string, unknown>;
  /** Server log lines at level error or worse, and anything on stderr. */
  errors: string[];
  stop(): Promise<void>;
}

/** Starts `server-process.ts` with `args`; resolves once it listens. */
function startServer(label: string, args: string[]): Promise<ServerProcess> {
  const profile = CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [];
  const nodeArgs = [...profile, ...SERVER_NODE_ARGS, '--import', 'tsx', SERVER_SCRIPT, ...args];
  const child = spawn(process.execPath, nodeArgs, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const errors: string[] = [];
  let stopping = false;
  let exited = false;
  let stopped: Promise<void> | undefined;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      children.delete(child);
      if (!stopping) errors.push(`${label}: the server process exited (code ${code}, signal ${signal})`);
      resolve(code);
    }),
  );
  // Shows and keeps the first lines only: a server failing under load can log thousands.
  let shown = 0;
  let more = 0;
  const report = (line: string, isError: boolean) => {
    if (shown >= MAX_LOG_LINES) {
      more += 1;
      return;
    }
    shown += 1;
    console.error(`  [${label}] ${line.length > 500 ? `${line.slice(0, 500)}…` : line}`);
    if (isError) errors.push(`${label}: ${line.slice(0, 300)}`);
  };
  createInterface({ input: child.stderr as NonNullable<typeof child.stderr> }).on('line', (line) =>
    report(`stderr: ${line}`, true),
  );
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on('line', (line) => {
      if (line.startsWith('BENCH_READY ')) {
        const info = JSON.parse(line.slice('BENCH_READY '.length)) as Record<string, unknown>;
        resolve({
          port: info.port as number,
          pid: child.pid,
          info,
          errors,
          stop: () => {
            stopped ??= (async () => {
              stopping = true;
              if (!exited) child.kill('SIGTERM');
              const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
              const code = await exit;
              clearTimeout(timer);
              if (more > 0) errors.push(`${label}: ${more} more log lines not shown`);
              if (code !== 0) errors.push(`${label}: the server process stopped with code ${code}`);
            })();
            return stopped;
          },
        });
        return;
      }
      let entry: { level?: number; msg?: string } | undefined;
      try {
        entry = JSON.parse(line) as { level?: number; msg?: string };
      } catch {
        entry = undefined;
      }
      // The server warns once that auth is off (no token configured): expected here.
      if (entry?.msg?.startsWith('auth is off')) return;
      report(line, !entry || (entry.level ?? 0) >= 50);
    });
    void exit.then((code) =>
      reject(new Error(`${label}: the server process exited (code ${code}) before listening`)),
    );
  });
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(DATA_ROOT, prefix));
  tempDirs.push(dir);
  return dir;
}

// ---------------------------------------------------------------------------------------------------
// HTTP

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function http(
  port: number,
  method: string,
  path: string,
  body?: string,
  contentType = 'application/json',
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: body === undefined ? {} : { 'content-type': contentType },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------------
// 1. Ingest

interface IngestRow {
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

const emptyBody = (body: string) => body === '';
const graphqlAck = (body: string) =>
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
interface TargetSpec {
  label: string;
  proc: ServerProcess;
  path: string;
  body: (i: number) => string;
  contentType: string;
  verify: (body: string) => boolean;
  /** Windows the server stored, counted after the run; absent for baselines that store nothing we count. */
  stored?: () => Promise<number>;
}

async function target(spec: TargetSpec): Promise<Target> {
  const { label, proc, path, body, verify } = spec;
  const first = await http(proc.port, 'POST', path, body(0), spec.contentType);
  if (first.status < 200 || first.status > 299 || !verify(first.text)) {
    throw new Error(`${label}: the first request answered ${first.status} ${first.text.slice(0, 500)}`);
  }
  let next = 1;
  const options: autocannon.Options = {
    url: `http://127.0.0.1:${proc.port}${path}`,
    method: 'POST',
    headers: { 'content-type': spec.contentType },
    connections: CONNECTIONS,
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

/** The embedded-store server or the raw baseline, in its own process, for one of the two API paths. */
async function appSpec(
  label: string,
  server: 'raw' | 'app',
  kind: 'graphql' | 'rest',
  path: string,
  verify: (body: string) => boolean,
): Promise<TargetSpec> {
  const dataDir = tempDir('mc-bench-ingest-');
  const proc = await startServer(label, server === 'raw' ? ['raw'] : ['app', dataDir]);
  return {
    label,
    proc,
    path,
    body: bodyFactory(kind, ingestBase(Date.now())),
    contentType: 'application/json',
    verify,
    stored: server === 'app' ? () => storedWindows(dataDir) : undefined,
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
 * Measures a path beside its raw baseline. Both servers run at once, each in its own process, but only one
 * is under load at a time: after a warm-up each, `ROUNDS` rounds of `DURATION / ROUNDS` seconds alternate
 * between them (A B, B A, ...), so that a noisy neighbour or a trend over the run hits both alike.
 */
async function ingestPair(
  specs: [() => Promise<TargetSpec>, () => Promise<TargetSpec>],
  /** Other processes whose CPU time to charge to each target while it is under load (influxd). */
  watch: Record<string, number | undefined> = {},
): Promise<[IngestRow, IngestRow]> {
  const started: Target[] = [];
  const cpu = new Map<Target, Record<string, number>>();
  try {
    for (const spec of specs) started.push(await target(await spec()));
    const [raw, app] = started as [Target, Target];
    for (const t of [raw, app]) await load(t, WARMUP, false);
    const slice = DURATION / ROUNDS;
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const t of round % 2 === 0 ? [raw, app] : [app, raw]) {
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
      problems.push(...t.proc.errors);
    }
  }
  const rows: IngestRow[] = [];
  for (const t of started) {
    const failed = t.non2xx + t.errors + t.mismatches;
    if (failed > 0) {
      problems.push(
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
        Object.entries(cpu.get(t) ?? {}).map(([k, seconds]) => [k, (seconds / t.measuredOk) * 1000]),
      ),
    };
    if (t.stored) {
      row.stored = await t.stored();
      // Ack means stored: every acknowledged window must be there (in-flight ones at the end may be too).
      if (row.stored < row.acked)
        problems.push(`${t.label}: ${row.acked} windows acked but ${row.stored} stored`);
    }
    rows.push(row);
  }
  return rows as [IngestRow, IngestRow];
}

/** Distinct windows of CPU utilisation in the store, read through the store's own `summarize`. */
async function storedWindows(dataDir: string): Promise<number> {
  const store = createSqliteMetricStore({ dataDir, retention: null });
  try {
    const rows = await store.summarize(
      { metric: 'CPU_UTILIZATION', clientId: null, core: null, from: 0, to: Number.MAX_SAFE_INTEGER },
      'COUNT',
    );
    return rows.reduce((sum, r) => sum + r.count, 0) / originalReport.observations_per_metric;
  } finally {
    await store.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// 2. History

interface Timing {
  label: string;
  samples: number[];
}

interface RecordedStatement {
  sql: string;
  args: unknown[];
}

/**
 * Runs `fn` while recording every `Statement#all` and `#get` better-sqlite3 executes in this process:
 * the SQL text and the bound parameters.
 */
async function recordStatements<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; statements: RecordedStatement[] }> {
  const probe = new Database(':memory:');
  type Proto = Record<'all' | 'get', (this: { source: string }, ...args: unknown[]) => unknown>;
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Proto;
  probe.close();
  const statements: RecordedStatement[] = [];
  const originals = { all: proto.all, get: proto.get };
  for (const method of ['all', 'get'] as const) {
    const original = originals[method];
    proto[method] = function (this: { source: string }, ...args: unknown[]) {
      statements.push({ sql: this.source, args });
      return original.apply(this, args);
    };
  }
  try {
    return { result: await fn(), statements };
  } finally {
    Object.assign(proto, originals);
  }
}

/**
 * Times each run `HISTORY_RUNS` times after `HISTORY_WARMUP` untimed rounds, interleaved so that a noisy
 * neighbour slows all alike. An HTTP answer other than 200 is a problem of the run.
 */
async function timeInterleaved(part: string, runs: [label: string, run: () => unknown][]): Promise<Timing[]> {
  const timings: Timing[] = runs.map(([label]) => ({ label, samples: [] }));
  for (let round = -HISTORY_WARMUP; round < HISTORY_RUNS; round += 1) {
    for (const [i, [label, run]] of runs.entries()) {
      const started = performance.now();
      const answer = await run();
      const ms = performance.now() - started;
      if (typeof answer === 'object' && answer !== null && 'status' in answer && answer.status !== 200) {
        problems.push(`${part}: ${label} answered ${answer.status}`);
      }
      if (round >= 0) timings[i]?.samples.push(ms);
    }
  }
  return timings;
}

async function history(): Promise<{ timings: Timing[]; seedMs: number; statements: number }> {
  const dataDir = tempDir('mc-bench-history-');
  const { from, to } = historyRange(Date.now());
  const proc = await startServer('history server', ['app', dataDir, '--seed-history', String(from)]);
  // The store as the server opens it (reads in its read thread), and one reading on this thread, whose
  // statements can be recorded.
  const store = createSqliteMetricStore({ dataDir, retention: null });
  const inline = createSqliteMetricStore({ dataDir, retention: null, reads: 'inline' });
  const direct = new Database(join(dataDir, 'metrics.db'), { readonly: true });
  try {
    const selector = { metric: 'CPU_UTILIZATION' as const, clientId: HISTORY_CLIENT, core: null, from, to };
    const storeRun = () => store.history(selector, HISTORY_RESAMPLE_MS, 'MEAN');
    const inlineRun = () => inline.history(selector, HISTORY_RESAMPLE_MS, 'MEAN');

    // The baseline: exactly the statements (SQL and parameters) the store runs for this query.
    const { result: expected, statements } = await recordStatements(inlineRun);
    if (statements.length === 0) throw new Error('history: recorded no statement of the store');
    const replay = statements.map((s) => ({ statement: direct.prepare(s.sql), args: s.args }));
    const sqlRun = () => replay.map((r) => r.statement.all(...r.args));

    const graphqlBody = JSON.stringify({
      query: HISTORY_QUERY,
      variables: {
        clientId: HISTORY_CLIENT,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
      },
    });
    const graphqlRun = () => http(proc.port, 'POST', '/graphql', graphqlBody);
    const restPath = `/api/v1/metrics/cpuLoadAvg/byUser/${HISTORY_CLIENT}?start=${from}&end=${to}&resample_rate=15m`;
    const restRun = () => http(proc.port, 'GET', restPath);

    // Every path must give the same 672 buckets before anything is timed.
    checkHistory(expected, await graphqlRun(), await restRun());
    if (JSON.stringify(await storeRun()) !== JSON.stringify(expected)) {
      problems.push('history: the read thread answered other buckets than the inline store');
    }

    const timings = await timeInterleaved('history', [
      ['direct SQL: the store\u2019s statements via better-sqlite3', sqlRun],
      ['store.history() in-process, inline', inlineRun],
      ['store.history() in-process, read thread', storeRun],
      ['GraphQL metricHistory over HTTP', graphqlRun],
      ['REST GET /api/v1/metrics/cpuLoadAvg/byUser', restRun],
    ]);
    return { timings, seedMs: proc.info.seedMs as number, statements: statements.length };
  } finally {
    direct.close();
    await store.close();
    await inline.close();
    await proc.stop();
    problems.push(...proc.errors);
  }
}

function checkHistory(
  expected: Bucket[],
  graphql: { status: number; text: string },
  rest: { status: number; text: string },
  tolerance = 0,
) {
  const same = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && Math.abs(a - b) <= tolerance * Math.abs(b);
  const fail = (what: string) => {
    throw new Error(`history: ${what}`);
  };
  if (expected.length !== HISTORY_BUCKETS)
    fail(`the store returned ${expected.length} buckets, not ${HISTORY_BUCKETS}`);
  const perBucket = (HISTORY_RESAMPLE_MS / 10_000) * originalReport.observations_per_metric;
  if (expected.some((b) => b.count !== perBucket)) fail(`a bucket does not pool ${perBucket} observations`);
  if (graphql.status !== 200) fail(`GraphQL answered ${graphql.status} ${graphql.text.slice(0, 500)}`);
  const body = JSON.parse(graphql.text) as { data?: { metricHistory: { points: { mean: number }[] } } };
  const points = body.data?.metricHistory.points ?? [];
  if (points.length !== expected.length || points.some((p, i) => !same(p.mean, expected[i]?.mean))) {
    fail(`GraphQL's points differ from the store's: ${graphql.text.slice(0, 300)}`);
  }
  if (rest.status !== 200) fail(`REST answered ${rest.status} ${rest.text.slice(0, 500)}`);
  const entries = (JSON.parse(rest.text) as { entries: { value: number }[] }).entries;
  if (entries.length !== expected.length || entries.some((e, i) => !same(e.value, expected[i]?.mean))) {
    fail(`REST's entries differ from the store's: ${rest.text.slice(0, 300)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// 3. InfluxDB: the same ingest and history against a real influxd, beside direct /write and /query

/** Whether influxd is installed; the InfluxDB part is skipped (and says so) when it is not. */
const influxAvailable = () => hasBinary(influxdBinary);

/** influxd as a pair member: it runs for the whole InfluxDB part, so stopping it here does nothing. */
const influxProc = (influxd: RealServer): ServerProcess => ({
  port: influxd.port,
  pid: influxd.pid(),
  info: {},
  errors: [],
  stop: async () => {},
});

/** Windows of CPU utilisation stored in an InfluxDB database (one line per window without `core`). */
async function influxWindows(influxd: RealServer, database: string): Promise<number> {
  const result = await influxQuery(
    influxd.url,
    `SELECT count("utilization_mean") FROM "cpu" WHERE "core" = ''`,
    database,
  );
  return Number(result.results[0]?.series?.[0]?.values[0]?.[1] ?? 0);
}

/**
 * Line protocol of the GraphQL report for window `i`, exactly as the store writes it, built by splicing
 * the time into the lines of window 0.
 */
function lineFactory(base: number): (i: number) => string {
  const store = createInfluxMetricStore({
    url: 'http://127.0.0.1:1',
    api: 'v1',
    database: 'x',
    retention: null,
  });
  const ctx = { clock: { now: () => Date.now() }, limits: defaultLimits };
  const lines = store.toLines(toPoints(ctx, graphqlReportInput(base), 'input'));
  void store.close();
  const suffix = ` ${base}`;
  const heads = lines.map((line) => {
    if (!line.endsWith(suffix)) throw new Error(`line without the window start: ${line}`);
    return line.slice(0, -suffix.length);
  });
  return (i) => {
    const time = ` ${base + i * WINDOW_MS}`;
    return heads.map((head) => head + time).join('\n');
  };
}

async function influxIngest(influxd: RealServer): Promise<[IngestRow, IngestRow]> {
  const base = ingestBase(Date.now());
  await influxQuery(influxd.url, 'CREATE DATABASE bench_raw');
  return ingestPair(
    [
      async () => ({
        label: 'raw POST /write to influxd, same lines',
        proc: influxProc(influxd),
        path: '/write?db=bench_raw&precision=ms',
        body: lineFactory(base),
        contentType: 'text/plain; charset=utf-8',
        verify: emptyBody,
        stored: () => influxWindows(influxd, 'bench_raw'),
      }),
      async () => {
        const label = 'POST /graphql reportMetrics, STORE=influxdb';
        const env = {
          STORE: 'influxdb',
          INFLUX_API: 'v1',
          INFLUX_URL: influxd.url,
          INFLUX_DATABASE: 'bench_api',
        };
        const proc = await startServer(label, [
          'app',
          tempDir('mc-bench-influx-'),
          '--env',
          JSON.stringify(env),
        ]);
        return {
          label,
          proc,
          path: '/graphql',
          body: bodyFactory('graphql', base),
          contentType: 'application/json',
          verify: graphqlAck,
          stored: () => influxWindows(influxd, 'bench_api'),
        };
      },
    ],
    { influxd: influxd.pid() },
  );
}

async function influxHistory(
  influxd: RealServer,
): Promise<{ timings: Timing[]; seedMs: number; statements: number }> {
  const { from, to } = historyRange(Date.now());
  const database = 'bench_history';
  const env = { STORE: 'influxdb', INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DATABASE: database };
  const proc = await startServer('influx history server', [
    'app',
    tempDir('mc-bench-influx-history-'),
    '--seed-history',
    String(from),
    '--env',
    JSON.stringify(env),
  ]);
  const recorded: string[] = [];
  const store = createInfluxMetricStore({
    url: influxd.url,
    api: 'v1',
    database,
    retention: null,
    onQuery: (q) => recorded.push(q),
  });
  try {
    const selector = { metric: 'CPU_UTILIZATION' as const, clientId: HISTORY_CLIENT, core: null, from, to };
    const storeRun = () => store.history(selector, HISTORY_RESAMPLE_MS, 'MEAN');
    // The baseline: the very InfluxQL the store sends for this query, posted directly to /query.
    const expected = await storeRun();
    const statements = recorded.filter((q) => q.startsWith('SELECT'));
    if (statements.length === 0) throw new Error('influx history: recorded no statement of the store');
    const bodies = statements.map((q) => new URLSearchParams({ db: database, epoch: 'ms', q }).toString());
    const directRun = async () => {
      for (const body of bodies) {
        const answer = await http(influxd.port, 'POST', '/query', body, 'application/x-www-form-urlencoded');
        if (answer.status !== 200 || answer.text.includes('"error"')) return answer;
        JSON.parse(answer.text);
      }
      return { status: 200, text: '' };
    };

    const graphqlBody = JSON.stringify({
      query: HISTORY_QUERY,
      variables: {
        clientId: HISTORY_CLIENT,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
      },
    });
    const graphqlRun = () => http(proc.port, 'POST', '/graphql', graphqlBody);
    const restPath = `/api/v1/metrics/cpuLoadAvg/byUser/${HISTORY_CLIENT}?start=${from}&end=${to}&resample_rate=15m`;
    const restRun = () => http(proc.port, 'GET', restPath);
    checkHistory(expected, await graphqlRun(), await restRun(), 1e-12);

    const timings = await timeInterleaved('influx history', [
      ['direct InfluxQL: the store\u2019s statement(s) posted to /query', directRun],
      ['store.history() in-process', storeRun],
      ['GraphQL metricHistory over HTTP', graphqlRun],
      ['REST GET /api/v1/metrics/cpuLoadAvg/byUser', restRun],
    ]);
    return { timings, seedMs: proc.info.seedMs as number, statements: statements.length };
  } finally {
    await store.close();
    await proc.stop();
    problems.push(...proc.errors);
  }
}

// ---------------------------------------------------------------------------------------------------
// Output

const quantile = (samples: number[], q: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
};
const fixed = (n: number, digits: number) => n.toFixed(digits);
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

function table(head: string[], rows: string[][], right: boolean[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

function printSecurity({ rows, rss }: SecurityFigures) {
  const base = rows[0] as SecurityRow;
  console.log(
    "\nsecurity: the longest event-loop block (monitorEventLoopDelay in the server) while each row's requests ran one at a time; vs the baseline row of the same run\n",
  );
  console.log(
    table(
      ['request', 'sent', 'answer', 'worst block ms', 'vs baseline', `target < ${MAX_BLOCK_MS} ms`],
      rows.map((row) => [
        row.label,
        String(row.requests),
        row.answer,
        fixed(row.worstBlockMs, 1),
        row === base ? '(baseline)' : fixed(row.worstBlockMs / base.worstBlockMs, 1),
        row.worstBlockMs < MAX_BLOCK_MS ? 'met' : 'MISSED',
      ]),
      [false, true, false, true, true, false],
    ),
  );
  console.log(
    `50 distinct 1 MiB documents, one at a time: RSS ${fixed(rss.idle, 0)} MB before, peak ${fixed(rss.peak, 0)} MB, ${fixed(rss.after, 0)} MB after (target: under idle + 200 MB ${rss.peak - rss.idle < 200 ? 'met' : 'MISSED'})`,
  );
}

function meets(ratio: number, min: number): string {
  return `\u2265 ${min.toFixed(2)} ${ratio >= min ? 'met' : 'MISSED'}`;
}

function printInflux(
  influx: { ingest: [IngestRow, IngestRow]; history: Awaited<ReturnType<typeof influxHistory>> },
  sqliteGraphql: IngestRow | undefined,
) {
  const [raw, api] = influx.ingest;
  console.log('\nInfluxDB (influxd 1.6.7, v1 API, one database per path)\n');
  console.log(
    table(
      [
        'path',
        'req/s',
        'p50 ms',
        'p99 ms',
        'vs raw /write',
        'vs same path on SQLite',
        'server CPU ms/report',
        'influxd CPU ms/report',
        'failed',
        'windows acked / stored',
      ],
      [raw, api].map((row) => [
        row.label,
        thousands(row.reqPerSec),
        fixed(row.p50, 1),
        fixed(row.p99, 1),
        row === raw ? '(baseline)' : fixed(row.reqPerSec / raw.reqPerSec, 2),
        row === raw ? '' : fixed(row.reqPerSec / (sqliteGraphql?.reqPerSec ?? Number.NaN), 2),
        row === raw ? '-' : fixed(row.cpuPerThousand?.server ?? Number.NaN, 3),
        fixed((row === raw ? row.cpuPerThousand?.server : row.cpuPerThousand?.influxd) ?? Number.NaN, 3),
        String(row.failed),
        row.stored === undefined ? '-' : `${thousands(row.acked)} / ${thousands(row.stored)}`,
      ]),
      [false, true, true, true, true, true, true, true, true, true],
    ),
  );
  console.log(
    `server CPU per report on the embedded store (POST /graphql reportMetrics above): ${fixed(sqliteGraphql?.cpuPerThousand?.server ?? Number.NaN, 3)} ms`,
  );
  const pairs = api.rounds.map(
    (r, i) => `${((raw.rounds[i] ?? 0) / 1000).toFixed(1)}k/${(r / 1000).toFixed(1)}k`,
  );
  console.log(`rounds, req/s raw /write / GraphQL: ${pairs.join('  ')}`);
  const h = influx.history;
  const base = quantile(h.timings[0]?.samples ?? [], 0.5);
  console.log(
    `\nInfluxDB history: ${HISTORY_WINDOWS.toLocaleString('en-US')} windows seeded through app.metrics.write in ${fixed(h.seedMs / 1000, 1)} s; the direct baseline posts the ${h.statements} InfluxQL statement(s) the store sent\n`,
  );
  console.log(
    table(
      [
        'history on InfluxDB: 7 days of 10 s windows -> 672 buckets',
        'median ms',
        'p95 ms',
        'vs direct',
        'target',
      ],
      h.timings.map((t, i) => {
        const ratio = quantile(t.samples, 0.5) / base;
        return [
          t.label,
          fixed(quantile(t.samples, 0.5), 2),
          fixed(quantile(t.samples, 0.95), 2),
          fixed(ratio, 2),
          i === 2 ? `\u2264 1.50 ${ratio <= 1.5 ? 'met' : 'MISSED'}` : '',
        ];
      }),
      [false, true, true, true, false],
    ),
  );
}

async function main() {
  const started = performance.now();
  const now = new Date();
  const header = [
    `date: ${now.toISOString()}`,
    `machine: ${availableParallelism()} cores, node ${process.version} (${cpus()[0]?.model ?? 'unknown cpu'}; load average before the run ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
    `ingest: autocannon in the parent process, ${CONNECTIONS} connections, pipelining 1, ${WARMUP} s warm-up + ${DURATION} s measured per path (${ROUNDS} rounds alternating with its baseline), each server in its own process, data in ${DATA_ROOT}`,
  ];
  if (ONLY.has('fanout')) {
    header.push(
      `fanout: ${FANOUT_SUBSCRIBERS.join(' and ')} WebSocket subscribers (one socket each, in this process) to metricReported, ${FANOUT_RATE} reports/s over HTTP for ${WARMUP} s warm-up + ${FANOUT_SECONDS} s measured, beside no subscriber; a fresh server each`,
    );
  }
  if (ONLY.has('agent')) {
    header.push(
      `agent: the agent bundle (1 s sampling, 10 s windows, collectors ${process.env.BENCH_AGENT_COLLECTORS || 'all'}) against a server through a counting TCP proxy, and prometheus-node-exporter scraped every 15 s with gzip, concurrently, ${AGENT_WARMUP}+ s warm-up + ${AGENT_SECONDS} s measured`,
    );
  }
  if (ONLY.size < PARTS.length) header.push(`parts: ${[...ONLY].join(', ')} (BENCH_ONLY)`);
  console.log(header.join('\n'));

  let ingest: [IngestRow, IngestRow, IngestRow, IngestRow] | undefined;
  if (ONLY.has('ingest')) {
    console.log(`\nrunning ingest (2 pairs of servers, ${ROUNDS} alternating rounds each)…`);
    const [rawGraphql, graphql] = await ingestPair([
      () => appSpec('raw node:http, GraphQL body', 'raw', 'graphql', '/graphql', emptyBody),
      () => appSpec('POST /graphql reportMetrics', 'app', 'graphql', '/graphql', graphqlAck),
    ]);
    const [rawRest, rest] = await ingestPair([
      () => appSpec('raw node:http, REST body', 'raw', 'rest', '/api/v1/metrics', emptyBody),
      () => appSpec('POST /api/v1/metrics', 'app', 'rest', '/api/v1/metrics', emptyBody),
    ]);
    ingest = [rawGraphql, graphql, rawRest, rest];
  }

  let hist: Awaited<ReturnType<typeof history>> | undefined;
  if (ONLY.has('history')) {
    console.log(
      `running history (seed ${HISTORY_WINDOWS.toLocaleString('en-US')} windows, ${HISTORY_RUNS} timed runs)…`,
    );
    hist = await history();
  }

  let influx:
    | { ingest: [IngestRow, IngestRow]; history: Awaited<ReturnType<typeof influxHistory>> }
    | undefined;
  if (!ONLY.has('influx')) {
    // BENCH_ONLY left it out.
  } else if (influxAvailable()) {
    console.log('running InfluxDB ingest and history against a real influxd…');
    const influxd = await startInfluxd();
    try {
      influx = { ingest: await influxIngest(influxd), history: await influxHistory(influxd) };
    } finally {
      await influxd.stop();
    }
  } else {
    console.log('influxd is not installed (Debian package influxdb): the InfluxDB part is skipped');
  }

  let fanoutPhases: Awaited<ReturnType<typeof fanout>> | undefined;
  if (ONLY.has('fanout')) {
    console.log(`running fanout (no subscriber, then ${FANOUT_SUBSCRIBERS.join(', ')})…`);
    fanoutPhases = await fanout(
      { startServer, tempDir, problems },
      { subscribers: FANOUT_SUBSCRIBERS, rate: FANOUT_RATE, seconds: FANOUT_SECONDS, warmup: WARMUP },
    );
  }

  let sdkRows: SdkRow[] | undefined;
  if (ONLY.has('sdk')) {
    console.log('running sdk (node:http, SDK over HTTP, SDK over the WebSocket, alternating rounds)…');
    sdkRows = await sdkBench(
      { startServer, tempDir, problems },
      { seconds: DURATION, rounds: ROUNDS, warmup: WARMUP, concurrency: CONNECTIONS },
    );
  }

  let agentFigures: AgentFigures | undefined;
  if (ONLY.has('agent')) {
    console.log(`running agent (agent and node_exporter side by side, ${AGENT_SECONDS} s measured)…`);
    agentFigures = await agentBench(
      { startServer, tempDir, problems },
      {
        seconds: AGENT_SECONDS,
        warmup: AGENT_WARMUP,
        collectors: process.env.BENCH_AGENT_COLLECTORS || undefined,
        cpuProfDir: CPU_PROF_DIR,
      },
    );
  }

  let security: SecurityFigures | undefined;
  if (ONLY.has('security')) {
    console.log('running security (hostile requests one at a time, the event loop watched by the server)…');
    security = await securityBench({ startServer, tempDir, problems });
  }

  console.log(`\n${header.join('\n')}\n`);
  if (ingest) printIngest(...ingest);
  if (hist) printHistory(hist);
  if (influx) printInflux(influx, ingest?.[1]);
  if (fanoutPhases) {
    console.log(
      `\nfan-out: delay = receive time at a subscriber - send time of the report, over every delivery of the measured reports; report = HTTP latency of reportMetrics; RSS from /proc/<pid>/status (peak: VmHWM)\n`,
    );
    console.log(fanoutTable(fanoutPhases, table));
    const bytes = fanoutPhases.find((p) => p.messageBytes > 0)?.messageBytes;
    if (bytes) console.log(`one delivery (graphql-ws next message): ${bytes} bytes`);
    for (const warning of fanoutWarnings) console.log(`server warned (not counted as a failure): ${warning}`);
  }
  if (sdkRows) {
    const base = sdkRows[0] as SdkRow;
    console.log(
      `\nsdk: reportMetrics with ${CONNECTIONS} calls in flight from this process to one server process; vs the same requests with node:http\n`,
    );
    console.log(
      table(
        ['sender', 'reports/s', 'vs node:http', 'per round', 'failed'],
        sdkRows.map((row) => [
          row.label,
          thousands(row.reportsPerSec),
          fixed(row.reportsPerSec / base.reportsPerSec, 2),
          row.rounds.map((r) => thousands(r)).join(' '),
          String(row.failed),
        ]),
        [false, true, true, false, true],
      ),
    );
  }
  if (agentFigures) {
    console.log(
      `\nagent: the same ${fixed(agentFigures.seconds, 0)} s for both (after ${fixed(agentFigures.warmupSeconds, 0)} s of the agent); CPU = utime + stime (+ cutime + cstime of waited-for children) from /proc/<pid>/stat; bytes = TCP payload, headers included\n`,
    );
    console.log(agentReport(agentFigures, table));
  }
  if (security) printSecurity(security);
  console.log(`\nbench took ${fixed((performance.now() - started) / 1000, 0)} s`);
  if (problems.length > 0) {
    console.error(
      `\nINVALID RUN, ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    process.exitCode = 1;
  }
}

function printIngest(rawGraphql: IngestRow, graphql: IngestRow, rawRest: IngestRow, rest: IngestRow) {
  const ingestRows = [
    [rawGraphql, undefined, undefined],
    [graphql, rawGraphql, 0.25],
    [rawRest, undefined, undefined],
    [rest, rawRest, 0.8],
  ] as const;
  const ingestTable = table(
    [
      'path',
      'req/s',
      'p50 ms',
      'p99 ms',
      'vs raw',
      'per round',
      'target',
      'failed',
      'windows acked / stored',
    ],
    ingestRows.map(([row, raw, min]) => {
      const ratio = raw ? row.reqPerSec / raw.reqPerSec : 1;
      const perRound = raw ? row.rounds.map((r, i) => r / (raw.rounds[i] ?? Number.NaN)) : [];
      return [
        row.label,
        thousands(row.reqPerSec),
        fixed(row.p50, 1),
        fixed(row.p99, 1),
        fixed(ratio, 2),
        raw ? `${fixed(Math.min(...perRound), 2)}–${fixed(Math.max(...perRound), 2)}` : '',
        min === undefined ? '(baseline)' : meets(ratio, min),
        String(row.failed),
        row.stored === undefined ? '-' : `${thousands(row.acked)} / ${thousands(row.stored)}`,
      ];
    }),
    [false, true, true, true, true, true, false, true, true],
  );

  console.log(ingestTable);
  const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
  for (const [raw, row] of [
    [rawGraphql, graphql],
    [rawRest, rest],
  ] as const) {
    const pairs = row.rounds.map((r, i) => `${k(raw.rounds[i] ?? 0)}/${k(r)}`).join('  ');
    console.log(`rounds, req/s raw/path, ${row.label}: ${pairs}`);
  }
}

function printHistory(hist: Awaited<ReturnType<typeof history>>) {
  const base = quantile(hist.timings[0]?.samples ?? [], 0.5);
  const historyTable = table(
    ['history: 7 days of 10 s windows -> 672 buckets of 15m', 'median ms', 'p95 ms', 'vs direct SQL'],
    hist.timings.map((t) => [
      t.label,
      fixed(quantile(t.samples, 0.5), 2),
      fixed(quantile(t.samples, 0.95), 2),
      fixed(quantile(t.samples, 0.5) / base, 2),
    ]),
    [false, true, true, true],
  );
  console.log(
    `\nhistory: ${HISTORY_WINDOWS.toLocaleString('en-US')} windows of one client seeded through app.metrics.write in ${fixed(hist.seedMs / 1000, 1)} s; direct SQL replays the ${hist.statements} statement(s) store.history() ran; ${HISTORY_RUNS} runs each after ${HISTORY_WARMUP} warm-up, interleaved\n`,
  );
  console.log(historyTable);
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  for (const child of children) child.kill('SIGKILL');
  agent.destroy();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
