/**
 * `npm run bench`: every figure beside a baseline measured in the same run, printed as a ratio.
 *
 * 1. Ingest (`ingest.ts`, embedded SQLite store): requests/s and latency of a bare `node:http` server that
 *    parses the JSON (the baseline), of `POST /graphql` with `reportMetrics`, and of the original `POST
 *    /api/v1/metrics`, from fleets of `BENCH_CLIENTS` distinct clients, and `/graphql` through plain yoga.
 *    Each server runs in its own process; wrk (`wrk.ts`) sends the load.
 * 2. History (`history.ts`): `metricHistory` over 7 days of 10-second windows resampled to 15 minutes, over
 *    HTTP, beside the very statements the store runs, executed directly with better-sqlite3 on the same file.
 * 3. InfluxDB (`influx.ts`, when `influxd` is installed; it is started on a free port with its data in a
 *    temporary folder): `reportMetrics` with `STORE=influxdb` beside a raw line-protocol `POST /write` of
 *    the same lines to the same influxd, and the same history query beside the store's InfluxQL posted
 *    directly.
 * 4. Fan-out (`fanout.ts`): 1,000 subscribers at 20 reports/s and 10,000 at 2/s to `metricReported`, in
 *    rounds; delivery delay, report latency and server RSS beside the same reports with no subscriber
 *    and beside a bare `ws` broadcast; then the highest rate 10,000 subscribers keep up with.
 * 5. SDK (`sdk.ts`): reportMetrics through the SDK over HTTP and over the WebSocket beside bare node:http.
 * 6. Agent (`agent.ts`): the host agent's CPU, RSS and bytes on the wire beside prometheus-node-exporter
 *    watching the same host over the same seconds (when installed), scraped every 15 s.
 * 7. Security (`security.ts`): the longest event-loop block of hostile requests, one at a time, beside a
 *    one-field query; the server's memory through 50 distinct 1 MiB documents.
 * 8. Start (`start.ts`): spawn to the first `/health` 200 of `npm start`, beside a bare `node -e` server.
 * 9. State (`state.ts`, when PostgreSQL is installed): the registry update and the command cycle on
 *    PostgreSQL beside the SQLite stores; and (`replica-follow.ts`, when Redis is) what following the
 *    fleet's reports through Redis costs a replica, beside a bare subscriber.
 *
 * Settings (environment): BENCH_CONNECTIONS (32), BENCH_DURATION (10 s), BENCH_WARMUP (2 s),
 * BENCH_ROUNDS (10), BENCH_CLIENTS (1,50,1000: the ingest fleets), BENCH_HISTORY_CLIENTS (1000: the
 * history's fleet, besides one client), BENCH_HISTORY_RUNS (30), BENCH_DATA_DIR (data/bench), BENCH_CPU_PROF (a
 * folder: profile every server process with `--cpu-prof`), BENCH_SERVER_NODE_ARGS (more Node.js arguments
 * for the servers), BENCH_FANOUT_CASES (1000x20,10000x2), BENCH_FANOUT_SUBSCRIBERS (unset), BENCH_FANOUT_RATE
 * (20/s), BENCH_FANOUT_SECONDS (10),
 * BENCH_FANOUT_SEARCH (10000: the highest-rate search; 0: off), BENCH_AGENT_SECONDS (60),
 * BENCH_AGENT_COLLECTORS (all), BENCH_ONLY (a list of
 * ingest,history,influx,fanout,sdk,agent,security,start,state: run only those parts). See docs/benchmarks.md. Exits 1
 * when any request failed or an answer was wrong: such a run measures nothing.
 *
 * This file reads the settings, prints the header and runs the parts in order; each part's file measures
 * and prints it. `servers.ts` starts the server processes (`server-process.ts`) and keeps the problems.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type AgentFigures, agentBench } from './agent.js';
import { printAgent } from './agent-report.js';
import { type FanoutFigures, fanoutBench, fanoutCases, printFanout } from './fanout.js';
import { type HistoryFigures, historyBench, printHistory } from './history.js';
import { type FleetHistoryFigures, fleetHistoryBench, printFleetHistory } from './history-among.js';
import { type InfluxFigures, influxAvailable, influxBench } from './influx.js';
import { printInflux } from './influx-report.js';
import { type FleetIngest, ingestBench, printIngest } from './ingest.js';
import type { LoadSettings } from './load.js';
import { machineShare, machineTimes } from './proc.js';
import { type FollowFigures, followAvailable, followBench, printFollow } from './replica-follow.js';
import { printSdk, type SdkRow, sdkBench } from './sdk.js';
import { printSecurity, type SecurityFigures, securityBench } from './security.js';
import { BenchHost } from './servers.js';
import { printStart, type StartRow, startBench } from './start.js';
import { printState, type StateRow, stateAvailable, stateBench } from './state.js';
import { fixed, table } from './table.js';
import { HISTORY_WINDOWS } from './workload.js';

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
/** On the disk of the default `./data` (not a tmpfs, which would make commits nearly free). */
const DATA_ROOT = process.env.BENCH_DATA_DIR || fileURLToPath(new URL('../data/bench', import.meta.url));
mkdirSync(DATA_ROOT, { recursive: true });
/** When set, every server process writes a V8 CPU profile (`.cpuprofile`) into this folder. */
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;
/** Extra Node.js arguments for every server process, separated by spaces (experiments: `--import ./x.mjs`). */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
function counts(name: string, fallback: string): number[] {
  return (process.env[name] || fallback).split(',').map((n) => {
    const value = Number(n.trim());
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new Error(`${name} must be a list of positive integers`);
    return value;
  });
}
const FANOUT_SUBSCRIBERS = counts('BENCH_FANOUT_SUBSCRIBERS', '1000,5000');
/** Ingest (and InfluxDB ingest): the fleet sizes, distinct clients taking turns. */
const CLIENTS = counts('BENCH_CLIENTS', '1,50,1000');
/** History: the clients seeded besides the one-client run (the query asks for one of them). */
const HISTORY_CLIENTS = env('BENCH_HISTORY_CLIENTS', 1000);
const FANOUT_RATE = env('BENCH_FANOUT_RATE', 20);
/** The fan-out cases as `<subscribers> × <rate>/s`, then the search. */
const describeFanout = () =>
  [
    ...fanoutCases({ subscribers: FANOUT_SUBSCRIBERS, rate: FANOUT_RATE, seconds: 0, warmup: 0 }).map(
      (c) => `${c.subscribers} × ${c.rate}/s`,
    ),
    ...(process.env.BENCH_FANOUT_SEARCH === '0'
      ? []
      : [`the highest rate for ${process.env.BENCH_FANOUT_SEARCH || '10000'}`]),
  ].join(', ');
const FANOUT_SECONDS = env('BENCH_FANOUT_SECONDS', 10);
/** Fan-out: rounds of every case; its ratios are the medians over them. */
const FANOUT_ROUNDS = env('BENCH_FANOUT_ROUNDS', 3);
const AGENT_SECONDS = env('BENCH_AGENT_SECONDS', 60);
/** Seconds of the agent before its measured seconds (at least; the period starts mid-window). */
const AGENT_WARMUP = 5;
const PARTS = [
  'ingest',
  'history',
  'influx',
  'fanout',
  'sdk',
  'agent',
  'security',
  'start',
  'state',
] as const;
/** The parts to run: `BENCH_ONLY=fanout` or `ingest,history`; all when unset. */
const ONLY = new Set((process.env.BENCH_ONLY || PARTS.join(',')).split(',').map((p) => p.trim()));
for (const part of ONLY) {
  if (!(PARTS as readonly string[]).includes(part)) throw new Error(`BENCH_ONLY: unknown part ${part}`);
}
/** The ingest parts' load, and the SDK part's calls in flight. */
const LOAD: LoadSettings = { connections: CONNECTIONS, seconds: DURATION, rounds: ROUNDS, warmup: WARMUP };

/** The machine's busy and stolen CPU time during each part (`proc.ts`, `machineShare`). */
const machine: { part: string; busy: number; steal: number }[] = [];

async function measured<T>(part: string, run: () => Promise<T>): Promise<T> {
  const from = machineTimes();
  const result = await run();
  machine.push({ part, ...machineShare(from, machineTimes()) });
  return result;
}

async function main(host: BenchHost) {
  const started = performance.now();
  const header = headerLines();
  console.log(header.join('\n'));

  let ingest: FleetIngest[] | undefined;
  if (ONLY.has('ingest')) {
    console.log(
      `\nrunning ingest (${CLIENTS.join(', ')} clients: 5 servers each, ${ROUNDS} alternating rounds)…`,
    );
    ingest = await measured('ingest', () => ingestBench(host, LOAD, CLIENTS));
  }

  const hist: HistoryFigures[] = [];
  if (ONLY.has('history')) {
    for (const clients of new Set([1, HISTORY_CLIENTS])) {
      const windows = (HISTORY_WINDOWS * clients).toLocaleString('en-US');
      console.log(
        clients === 1
          ? `running history (seed ${windows} windows of ${clients} client(s), ${HISTORY_RUNS} timed runs)…`
          : `running history among ${clients} clients (${windows} windows by direct SQL, cached under ${DATA_ROOT})…`,
      );
      hist.push(
        await measured(clients === 1 ? 'history' : `history among ${clients}`, () =>
          clients === 1
            ? historyBench(host, HISTORY_RUNS, clients)
            : fleetHistoryBench(host, HISTORY_RUNS, clients),
        ),
      );
    }
  }

  let influx: InfluxFigures | undefined;
  if (!ONLY.has('influx')) {
    // BENCH_ONLY left it out.
  } else if (influxAvailable()) {
    console.log('running InfluxDB ingest and history against a real influxd…');
    influx = await measured('influx', () =>
      influxBench(host, { ...LOAD, historyRuns: HISTORY_RUNS, fleets: CLIENTS }),
    );
  } else {
    console.log('influxd is not installed (Debian package influxdb): the InfluxDB part is skipped');
  }

  let fanout: FanoutFigures | undefined;
  if (ONLY.has('fanout')) {
    console.log(`running fanout (${describeFanout()})…`);
    fanout = await measured('fanout', () =>
      fanoutBench(host, {
        subscribers: FANOUT_SUBSCRIBERS,
        rate: FANOUT_RATE,
        seconds: FANOUT_SECONDS,
        rounds: FANOUT_ROUNDS,
        warmup: WARMUP,
      }),
    );
  }

  let sdkRows: SdkRow[] | undefined;
  if (ONLY.has('sdk')) {
    console.log('running sdk (node:http, SDK over HTTP, SDK over the WebSocket, alternating rounds)…');
    sdkRows = await measured('sdk', () =>
      sdkBench(host, { seconds: DURATION, rounds: ROUNDS, warmup: WARMUP, concurrency: CONNECTIONS }),
    );
  }

  let agentFigures: AgentFigures | undefined;
  if (ONLY.has('agent')) {
    console.log(`running agent (agent and node_exporter side by side, ${AGENT_SECONDS} s measured)…`);
    agentFigures = await measured('agent', () =>
      agentBench(host, {
        seconds: AGENT_SECONDS,
        warmup: AGENT_WARMUP,
        collectors: process.env.BENCH_AGENT_COLLECTORS || undefined,
        cpuProfDir: CPU_PROF_DIR,
      }),
    );
  }

  let security: SecurityFigures | undefined;
  if (ONLY.has('security')) {
    console.log('running security (hostile requests one at a time, the event loop watched by the server)…');
    security = await measured('security', () => securityBench(host));
  }

  let start: StartRow[] | undefined;
  if (ONLY.has('start')) {
    console.log(
      'running start (spawn to the first /health 200: bare node, npm start, the bundle, tsx; 5 rounds)…',
    );
    start = await measured('start', () => startBench(5, host.problems));
  }

  let state: StateRow[] | undefined;
  if (!ONLY.has('state')) {
    // BENCH_ONLY left it out.
  } else if (stateAvailable()) {
    console.log('running state (registry update and command cycle, SQLite and PostgreSQL alternating)…');
    state = await measured('state', () =>
      stateBench({ seconds: DURATION, rounds: ROUNDS, concurrency: CONNECTIONS, dataRoot: DATA_ROOT }),
    );
  } else {
    console.log('postgres is not installed (Debian package postgresql): the state part is skipped');
  }
  let follow: FollowFigures | undefined;
  if (ONLY.has('state') && followAvailable()) {
    console.log(
      'running state: a replica following 10,000 reports/s through Redis, beside a bare subscriber…',
    );
    follow = await measured('state: follow', () => followBench(DURATION, 10_000, DATA_ROOT));
  }

  console.log(`\n${header.join('\n')}\n`);
  if (ingest) printIngest(ingest);
  for (const h of hist) {
    if ('dataset' in h) printFleetHistory(h as FleetHistoryFigures, HISTORY_RUNS);
    else printHistory(h, HISTORY_RUNS);
  }
  if (influx) printInflux(influx, ingest);
  if (fanout) printFanout(fanout);
  if (sdkRows) printSdk(sdkRows, CONNECTIONS);
  if (agentFigures) printAgent(agentFigures);
  if (security) printSecurity(security);
  if (start) printStart(start, 5);
  if (state) printState(state, CONNECTIONS);
  if (follow) printFollow(follow);
  printMachine(machine);
  console.log(`\nbench took ${fixed((performance.now() - started) / 1000, 0)} s`);
  const { problems } = host;
  if (problems.length > 0) {
    console.error(
      `\nINVALID RUN, ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    process.exitCode = 1;
  }
}

/** Stolen % of a part above which the bench says its figures were lowered by other guests. */
const STEAL_WARNING = 5;

/**
 * The machine during each part. Steal is CPU time the hypervisor gave to other guests: on a shared host it
 * lowers every figure of the part, the baselines' as well, and makes rounds differ more.
 */
function printMachine(parts: typeof machine): void {
  if (parts.length === 0) return;
  console.log("\n## The machine during each part (% of all cores' time)\n");
  const rows = parts.map((p) => [p.part, fixed(p.busy, 0), fixed(p.steal, 1)]);
  console.log(table(['part', 'busy %', 'stolen %'], rows, [false, true, true]));
  const stolen = parts.filter((p) => p.steal > STEAL_WARNING);
  if (stolen.length > 0) {
    console.log(
      `\nMore than ${STEAL_WARNING} % stolen during ${stolen.map((p) => p.part).join(', ')}: other guests shared the cores, and those figures are lower than an unshared machine gives.`,
    );
  }
}
/** The run's date, machine and settings: printed first, and again above the tables. */
function headerLines(): string[] {
  const now = new Date();
  const header = [
    `date: ${now.toISOString()}`,
    `machine: ${availableParallelism()} cores, node ${process.version} (${cpus()[0]?.model ?? 'unknown cpu'}; load average before the run ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
    `ingest: wrk (1 thread, its own process), one connection per client (at least ${CONNECTIONS}), pipelining 1, ${CLIENTS.join(', ')} distinct clients taking turns, ${WARMUP} s warm-up + ${DURATION} s measured per path (${ROUNDS} rounds alternating with its baseline), each server in its own process, data in ${DATA_ROOT}`,
  ];
  if (ONLY.has('fanout')) {
    header.push(
      `fanout: ${describeFanout()}: WebSocket subscribers (one socket each, in the bench process) to metricReported, reports over HTTP from a reporter process of their own for ${WARMUP} s warm-up + ${FANOUT_SECONDS} s measured per phase (at least 100 reports), each beside the bare broadcast and the same rate with no subscriber; a fresh server each; each case's subscribers first warmed up on the bare broadcast, not measured; ${FANOUT_ROUNDS} round${FANOUT_ROUNDS === 1 ? '' : 's'} of the cases and of the phase past the highest rate, each ratio the median of the rounds'`,
    );
  }
  if (ONLY.has('agent')) {
    header.push(
      `agent: the agent bundle (1 s sampling, 10 s windows, collectors ${process.env.BENCH_AGENT_COLLECTORS || 'all'}) against a server through a counting TCP proxy, and prometheus-node-exporter scraped every 15 s with gzip, concurrently, ${AGENT_WARMUP}+ s warm-up + ${AGENT_SECONDS} s measured`,
    );
  }
  if (ONLY.size < PARTS.length) header.push(`parts: ${[...ONLY].join(', ')} (BENCH_ONLY)`);
  return header;
}

const host = new BenchHost({
  dataRoot: DATA_ROOT,
  cpuProfDir: CPU_PROF_DIR,
  serverNodeArgs: SERVER_NODE_ARGS,
});
try {
  await main(host);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  host.close();
}
