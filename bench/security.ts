/**
 * Security: how long one hostile request blocks the server's event loop, beside the same figure for a
 * one-field query in the same run, and what 50 distinct 1 MiB documents do to its memory. The server runs
 * in its own process with 7 days of one client's windows (`--seed-history`) and watches its own event loop
 * (`--loop-delay`); requests go one at a time, so each figure is the worst block of one request. Called by
 * `run.ts`.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPORT_MUTATION } from '../testing/fixtures.js';
import { httpRequest } from './http.js';
import { procMemory } from './proc.js';
import type { BenchHost } from './servers.js';
import { fixed, table } from './table.js';
import { graphqlReportInput, HISTORY_CLIENT } from './workload.js';

export interface SecurityRow {
  label: string;
  requests: number;
  /** What the server answered (status and code of the first), the same for every request of the row. */
  answer: string;
  /** The longest event-loop block while the row's requests ran, ms. */
  worstBlockMs: number;
}

export interface SecurityFigures {
  rows: SecurityRow[];
  /** RSS before and after 50 distinct 1 MiB documents, and its peak while they ran, MB. */
  rss: { idle: number; peak: number; after: number };
}

const MiB = 1_048_576;
/** The target: no request blocks the event loop longer than this. */
export const MAX_BLOCK_MS = 100;

interface Attack {
  label: string;
  /** The body of request `i` (each different where that matters: no cache helps). */
  body: (i: number) => string;
  requests: number;
}

const gql = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });
const aliased = (n: number, field: (i: number) => string) =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field(i)}`).join(' ')} }`;

/** What is sent, cheapest first: the first row is the baseline. */
function attacks(seededTo: number): Attack[] {
  const day = 86_400_000;
  const week = (resample: string) =>
    `metricHistory(clientId: "${HISTORY_CLIENT}", metric: CPU_UTILIZATION, from: "${new Date(seededTo - 7 * day).toISOString()}", to: "${new Date(seededTo).toISOString()}", resample: "${resample}") { points { time value count mean variance min max } }`;
  /** `n` buckets of 1 min ending where the seeded week ends (all real data up to 10,080). */
  const buckets = (n: number, fields: string) =>
    `metricHistory(clientId: "${HISTORY_CLIENT}", metric: CPU_UTILIZATION, from: "${new Date(seededTo - n * 60_000).toISOString()}", to: "${new Date(seededTo).toISOString()}", resample: "1m") { points { ${fields} } }`;
  return [
    { label: 'baseline: { __typename }', body: (i) => gql(`{ t${i}: __typename }`), requests: 20 },
    {
      label: 'a report (reportMetrics)',
      body: (i) =>
        gql(REPORT_MUTATION, { input: graphqlReportInput(Date.now() - 3_600_000 + i * 10_000, `sec-${i}`) }),
      requests: 20,
    },
    {
      label: '1 MiB: one field 500,000 times',
      body: (i) => gql(`{ x${i} ${'a '.repeat((MiB - 100) / 2)}}`.slice(0, MiB - 40)),
      requests: 10,
    },
    {
      label: '1 MiB: lists nested 500,000 deep',
      body: (i) => gql(`{ a(x: ${'['.repeat(MiB / 2 - 100)}${i}${']'.repeat(MiB / 2 - 100)}) }`),
      requests: 10,
    },
    {
      label: '1 MiB of variables: 17,000 cores',
      body: (i) => {
        const stat = { mean: 0.5, variance: 0, min: 0.5, max: 0.5 };
        const input = {
          ...graphqlReportInput(Date.now() - 7_200_000, `cores-${i}`),
          cpu: { utilization: stat, cores: Array.from({ length: 17_000 }, () => stat) },
        };
        return gql(REPORT_MUTATION, { input });
      },
      requests: 10,
    },
    {
      label: '5,000 tokens: 1,666 aliased fields (over the field limit)',
      body: (i) => gql(aliased(1_666, (k) => (k === 0 ? `__typename x${i}: __typename` : '__typename'))),
      requests: 10,
    },
    {
      label: '1,000 distinct fields (the most accepted, run uncompiled)',
      body: (i) => gql(aliased(999, () => '__typename').replace('{ a0', `{ x${i}: __typename a0`)),
      requests: 10,
    },
    {
      label: '50 aliased histories of 5,040 buckets, 7 statistics (over the cost limit)',
      body: (i) => gql(aliased(50, () => week('2m')).replace('{ a0', `{ x${i}: __typename a0`)),
      requests: 10,
    },
    {
      label: 'the most accepted: 10,000 + 5,000 buckets, one value each (30,000)',
      body: (i) => gql(`{ a${i}: ${buckets(10_000, 'value')} b${i}: ${buckets(5_000, 'count')} }`),
      requests: 5,
    },
    {
      label: 'the most accepted: 10,000 buckets, time and value (30,000)',
      body: (i) => gql(`{ a${i}: ${buckets(10_000, 'time value')} }`),
      requests: 5,
    },
    {
      label: 'the most accepted: 3,750 buckets, all 7 statistics (30,000)',
      body: (i) => gql(`{ a${i}: ${buckets(3_750, 'time value count mean variance min max')} }`),
      requests: 5,
    },
  ];
}

/** Runs the part: the seeded server, each attack's worst block, then the memory through 1 MiB documents. */
export async function securityBench(host: BenchHost): Promise<SecurityFigures> {
  const dir = host.tempDir('mc-bench-security-');
  const loopFile = join(dir, 'loop.json');
  const day = 86_400_000;
  const seededTo = Math.floor(Date.now() / day) * day;
  // Seeded by one process, measured in another: seeding 60,480 windows in-process leaves a heap several
  // times a serving server's, whose collections would show up as blocks of the requests measured.
  const data = join(dir, 'data');
  const seeder = await host.startServer('security seeding', [
    'app',
    data,
    '--seed-history',
    String(seededTo - 7 * day),
  ]);
  await seeder.stop();
  const proc = await host.startServer('security server', ['app', data, '--loop-delay', loopFile]);
  const send = (body: string) => post(proc.port, body);
  /** The worst block since the last call, ms. */
  const worstBlock = async (): Promise<number> => {
    rmSync(loopFile, { force: true });
    process.kill(proc.pid as number, 'SIGUSR2');
    for (let i = 0; i < 1_000 && !existsSync(loopFile); i += 1) await sleep(5);
    return (JSON.parse(readFileSync(loopFile, 'utf8')) as { maxMs: number }).maxMs;
  };
  try {
    // Warm: every path once, so that no row pays for loading code.
    for (const attack of attacks(seededTo)) await send(attack.body(-1));
    const rows: SecurityRow[] = [];
    for (const attack of attacks(seededTo)) {
      await worstBlock();
      const answers = new Set<string>();
      for (let i = 0; i < attack.requests; i += 1) answers.add(await send(attack.body(i)));
      const worst = await worstBlock();
      if (answers.size > 1)
        host.problems.push(`security: ${attack.label} got different answers: ${[...answers]}`);
      rows.push({
        label: attack.label,
        requests: attack.requests,
        answer: [...answers][0] ?? '',
        worstBlockMs: worst,
      });
    }
    const idle = procMemory(proc.pid, 'VmRSS');
    let peak = idle;
    for (let i = 0; i < 50; i += 1) {
      const body = gql(`{ m${i} ${'a '.repeat((MiB - 100) / 2)}}`.slice(0, MiB - 40));
      const pending = send(body);
      peak = Math.max(peak, procMemory(proc.pid, 'VmRSS'));
      await pending;
      peak = Math.max(peak, procMemory(proc.pid, 'VmRSS'));
    }
    const after = procMemory(proc.pid, 'VmRSS');
    host.problems.push(...proc.errors);
    return { rows, rss: { idle, peak, after } };
  } finally {
    await proc.stop();
  }
}

/** POSTs one body on a connection of its own; resolves with `status code` of the answer. */
async function post(port: number, body: string): Promise<string> {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json',
    'content-length': Buffer.byteLength(body),
  };
  const answer = await httpRequest({ port, method: 'POST', path: '/graphql', body, headers, agent: false });
  let code = 'data';
  try {
    const json = JSON.parse(answer.text) as { errors?: { extensions?: { code?: string } }[] };
    if (json.errors?.length) code = json.errors[0]?.extensions?.code ?? '?';
  } catch {
    code = 'not JSON';
  }
  return `${answer.status} ${code}`;
}

/** Prints the part's table (each row beside the baseline row) and the memory line. */
export function printSecurity({ rows, rss }: SecurityFigures) {
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
