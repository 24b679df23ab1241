/**
 * History: `metricHistory` over 7 days of 10-second windows resampled to 15 minutes, over HTTP (GraphQL and
 * REST), beside the very statements the store runs, executed directly with better-sqlite3 on the same file.
 * The timing and checks here serve the InfluxDB part's history too. Called by `run.ts`.
 */
import { join } from 'node:path';
import type { Bucket } from '@metrics-collector/schema/metrics/types';
import { createSqliteMetricStore } from '@metrics-collector/server/metrics/sqlite/store';
import Database from 'better-sqlite3';
import { originalReport } from '../testing/fixtures.js';
import type { HttpAnswer } from './http.js';
import type { BenchHost } from './servers.js';
import { fixed, quantile, table } from './table.js';
import {
  HISTORY_BUCKETS,
  HISTORY_CLIENT,
  HISTORY_QUERY,
  HISTORY_RESAMPLE_MS,
  HISTORY_WINDOWS,
  historyRange,
} from './workload.js';

/** Untimed rounds before the timed ones. */
export const HISTORY_WARMUP = 5;

export interface Timing {
  label: string;
  samples: number[];
}

export interface HistoryFigures {
  timings: Timing[];
  /** How long the server took to store the seeded windows. */
  seedMs: number;
  /** Statements the store ran (or sent) for one query: what the direct baseline replays. */
  statements: number;
  /** Clients seeded, each with the same week of windows; the query asks for one of them. */
  clients: number;
}

interface RecordedStatement {
  sql: string;
  args: unknown[];
}

/**
 * Runs `fn` while recording every `Statement#all` and `#get` better-sqlite3 executes in this process:
 * the SQL text and the bound parameters.
 */
export async function recordStatements<T>(
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
 * Times each run `timedRuns` times after `HISTORY_WARMUP` untimed rounds, interleaved so that a noisy
 * neighbour slows all alike. An HTTP answer other than 200 is a problem of the run.
 */
export async function timeInterleaved(
  host: BenchHost,
  part: string,
  timedRuns: number,
  runs: [label: string, run: () => unknown][],
): Promise<Timing[]> {
  const timings: Timing[] = runs.map(([label]) => ({ label, samples: [] }));
  for (let round = -HISTORY_WARMUP; round < timedRuns; round += 1) {
    for (const [i, [label, run]] of runs.entries()) {
      const started = performance.now();
      const answer = await run();
      const ms = performance.now() - started;
      if (typeof answer === 'object' && answer !== null && 'status' in answer && answer.status !== 200) {
        host.problems.push(`${part}: ${label} answered ${answer.status}`);
      }
      if (round >= 0) timings[i]?.samples.push(ms);
    }
  }
  return timings;
}

/** The seeded week asked over HTTP: `metricHistory` over GraphQL and the original REST path. */
export function historyRequests(
  host: BenchHost,
  port: number,
  { from, to }: { from: number; to: number },
): { graphqlRun: () => Promise<HttpAnswer>; restRun: () => Promise<HttpAnswer> } {
  const graphqlBody = JSON.stringify({
    query: HISTORY_QUERY,
    variables: {
      clientId: HISTORY_CLIENT,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
    },
  });
  const restPath = `/api/v1/metrics/cpuLoadAvg/byUser/${HISTORY_CLIENT}?start=${from}&end=${to}&resample_rate=15m`;
  return {
    graphqlRun: () => host.http.request(port, 'POST', '/graphql', graphqlBody),
    restRun: () => host.http.request(port, 'GET', restPath),
  };
}

/**
 * Runs the part on a server seeded with the week of `clients` clients (`seed.ts`), `runs` timed runs of
 * each path asking for one of them.
 */
export async function historyBench(host: BenchHost, runs: number, clients = 1): Promise<HistoryFigures> {
  const dataDir = host.tempDir('mc-bench-history-');
  const { from, to } = historyRange(Date.now());
  const seed = ['--seed-history', String(from), '--seed-clients', String(clients)];
  const proc = await host.startServer(`history server, ${clients} clients`, ['app', dataDir, ...seed]);
  // The store as the server opens it (reads in its read thread), and one reading on this thread, whose
  // statements can be recorded. Neither merges nor deletes (merge interval 0 = off, retention off): the
  // server does, as it would, and a merge of their own competed with the server's for the write lock.
  const options = { dataDir, retention: null, mergeInterval: 0 };
  const store = createSqliteMetricStore(options);
  const inline = createSqliteMetricStore({ ...options, reads: 'inline' });
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
    const { graphqlRun, restRun } = historyRequests(host, proc.port, { from, to });

    // Every path must give the same 672 buckets before anything is timed.
    checkHistory(expected, await graphqlRun(), await restRun());
    if (!sameBuckets(await storeRun(), expected)) {
      host.problems.push('history: the read thread answered other buckets than the inline store');
    }

    const timings = await timeInterleaved(host, 'history', runs, [
      ['direct SQL: the store\u2019s statements via better-sqlite3', sqlRun],
      ['store.history() in-process, inline', inlineRun],
      ['store.history() in-process, read thread', storeRun],
      ['GraphQL metricHistory over HTTP', graphqlRun],
      ['REST GET /api/v1/metrics/cpuLoadAvg/byUser', restRun],
    ]);
    return { timings, seedMs: proc.info.seedMs as number, statements: statements.length, clients };
  } finally {
    direct.close();
    await store.close();
    await inline.close();
    await proc.stop();
    host.problems.push(...proc.errors);
  }
}

/**
 * How far (relative) two answers' pooled figures may differ. The server's merge keeps moving the seeded
 * windows from `recent` to `points` while the bench reads, and a bucket pools its windows in another
 * order when they are split otherwise between the two (recent.ts): the same buckets, the last bit of a
 * mean or variance changed. Seen in a bench run: the read thread's answer, read after a merge, differed
 * from the inline one read before it, and `JSON.stringify` called that other buckets. InfluxDB's answers,
 * through JSON, differ in the last bit too.
 */
const POOLING_TOLERANCE = 1e-12;

const close = (x: number | undefined, y: number | undefined): boolean =>
  x !== undefined && y !== undefined && Math.abs(x - y) <= POOLING_TOLERANCE * Math.abs(y);

/** The same buckets: starts, counts, minima and maxima exactly; pooled figures within `POOLING_TOLERANCE`. */
export function sameBuckets(a: readonly Bucket[], b: readonly Bucket[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i] as Bucket;
      const exact = x.start === y.start && x.count === y.count && x.min === y.min && x.max === y.max;
      return exact && close(x.mean, y.mean) && close(x.variance, y.variance) && close(x.value, y.value);
    })
  );
}

/** Throws unless the store, GraphQL and REST all gave the same 672 buckets (means within `POOLING_TOLERANCE`). */
export function checkHistory(expected: Bucket[], graphql: HttpAnswer, rest: HttpAnswer) {
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
  if (points.length !== expected.length || points.some((p, i) => !close(p.mean, expected[i]?.mean))) {
    fail(`GraphQL's points differ from the store's: ${graphql.text.slice(0, 300)}`);
  }
  if (rest.status !== 200) fail(`REST answered ${rest.status} ${rest.text.slice(0, 500)}`);
  const entries = (JSON.parse(rest.text) as { entries: { value: number }[] }).entries;
  if (entries.length !== expected.length || entries.some((e, i) => !close(e.value, expected[i]?.mean))) {
    fail(`REST's entries differ from the store's: ${rest.text.slice(0, 300)}`);
  }
}

/** Prints the part's table: each path's median and p95 beside the direct SQL's median. */
export function printHistory(hist: HistoryFigures, runs: number, header = true): void {
  const base = quantile(hist.timings[0]?.samples ?? [], 0.5);
  const historyTable = table(
    [
      `history: 7 days of 10 s windows -> 672 buckets of 15m, 1 client of ${hist.clients.toLocaleString('en-US')}`,
      'median ms',
      'p95 ms',
      'vs direct SQL',
    ],
    hist.timings.map((t) => [
      t.label,
      fixed(quantile(t.samples, 0.5), 2),
      fixed(quantile(t.samples, 0.95), 2),
      fixed(quantile(t.samples, 0.5) / base, 2),
    ]),
    [false, true, true, true],
  );
  if (!header) {
    console.log(`\n${historyTable}`);
    return;
  }
  console.log(
    `\nhistory: ${HISTORY_WINDOWS.toLocaleString('en-US')} windows of each of ${hist.clients.toLocaleString('en-US')} client(s) (${(HISTORY_WINDOWS * hist.clients).toLocaleString('en-US')} reports) seeded through app.metrics.write in ${fixed(hist.seedMs / 1000, 1)} s; direct SQL replays the ${hist.statements} statement(s) store.history() ran; ${runs} runs each after ${HISTORY_WARMUP} warm-up, interleaved\n`,
  );
  console.log(historyTable);
}
