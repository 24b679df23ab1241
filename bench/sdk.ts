/**
 * SDK: reports/s of `client.reportMetrics` over HTTP and over the WebSocket (`transport: 'ws'`), beside the
 * same GraphQL requests posted with bare `node:http` (no SDK) to the same server, in the same run. The
 * server runs in its own process; the senders run here, `concurrency` calls in flight, rounds alternating
 * between the three ways so that noise hits all alike. Called by `run.ts`.
 */
import { Agent } from 'node:http';
import { createClient } from '@metrics-collector/sdk/node';
import { httpRequest } from './http.js';
import type { BenchHost } from './servers.js';
import { fixed, table, thousands } from './table.js';
import { bodyFactory, graphqlReportInput, ingestBase, WINDOW_MS } from './workload.js';

export interface SdkRow {
  label: string;
  reportsPerSec: number;
  rounds: number[];
  failed: number;
}

const LABELS = [
  'node:http POST, same GraphQL body (no SDK)',
  'SDK reportMetrics over HTTP',
  "SDK reportMetrics, transport: 'ws'",
];

/** Runs the part: a warm-up of each way, then `rounds` rounds alternating between them. */
export async function sdkBench(
  host: BenchHost,
  settings: { seconds: number; rounds: number; warmup: number; concurrency: number },
): Promise<SdkRow[]> {
  const proc = await host.startServer('sdk server', ['app', host.tempDir('mc-bench-sdk-')]);
  const url = `http://127.0.0.1:${proc.port}/graphql`;
  const agent = new Agent({ keepAlive: true, maxSockets: settings.concurrency });
  const http = createClient({ url, retry: false });
  const ws = createClient({ url, retry: false, transport: 'ws' });
  const base = ingestBase(Date.now());
  let next = 0;
  const rawBody = bodyFactory('graphql', base);
  const headers = { 'content-type': 'application/json' };
  const raw = async (i: number) => {
    const { status, text } = await httpRequest({
      port: proc.port,
      method: 'POST',
      path: '/graphql',
      body: rawBody(i),
      headers,
      agent,
    });
    if (status !== 200 || !text.startsWith('{"data":{"reportMetrics"')) {
      throw new Error(`${status} ${text.slice(0, 200)}`);
    }
  };
  const viaSdk = (client: typeof http) => async (i: number) => {
    const start = base + i * WINDOW_MS;
    const input = graphqlReportInput(start);
    const cpu = input.cpu as NonNullable<typeof input.cpu>;
    await client.reportMetrics({
      ...input,
      cpu: { utilization: cpu.utilization, cores: [...(cpu.cores ?? [])] },
    });
  };
  const ways = [raw, viaSdk(http), viaSdk(ws)];
  const rows: SdkRow[] = LABELS.map((label) => ({ label, reportsPerSec: 0, rounds: [], failed: 0 }));
  const run = async (way: number, seconds: number, measured: boolean) => {
    const send = ways[way] as (i: number) => Promise<void>;
    const row = rows[way] as SdkRow;
    const until = performance.now() + seconds * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: settings.concurrency }, async () => {
        while (performance.now() < until) {
          try {
            await send(next++);
            done += 1;
          } catch (error) {
            row.failed += 1;
            if (row.failed <= 3) host.problems.push(`sdk bench, ${row.label}: ${(error as Error).message}`);
          }
        }
      }),
    );
    if (measured) row.rounds.push(done / seconds);
  };
  try {
    for (let way = 0; way < ways.length; way += 1) await run(way, settings.warmup, false);
    const slice = settings.seconds / settings.rounds;
    for (let round = 0; round < settings.rounds; round += 1) {
      const order = round % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
      for (const way of order) await run(way, slice, true);
    }
  } finally {
    await Promise.all([http.close(), ws.close()]);
    agent.destroy();
    await proc.stop();
    host.problems.push(...proc.errors);
  }
  for (const row of rows) row.reportsPerSec = row.rounds.reduce((s, r) => s + r, 0) / row.rounds.length;
  return rows;
}

/** Prints the part's table: each sender's reports/s beside bare node:http's. */
export function printSdk(rows: SdkRow[], concurrency: number): void {
  const base = rows[0] as SdkRow;
  console.log(
    `\nsdk: reportMetrics with ${concurrency} calls in flight from this process to one server process; vs the same requests with node:http\n`,
  );
  console.log(
    table(
      ['sender', 'reports/s', 'vs node:http', 'per round', 'failed'],
      rows.map((row) => [
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
