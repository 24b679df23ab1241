/**
 * Ingest (embedded SQLite store): requests/s and latency of `POST /graphql` with `reportMetrics` and of the
 * original `POST /api/v1/metrics`, each beside a bare `node:http` server that parses the same JSON (the
 * baseline). Each server runs in its own process; autocannon runs in the bench's. Called by `run.ts`.
 */
import { createSqliteMetricStore } from '@metrics-collector/server/metrics/sqlite/store';
import { originalReport } from '../testing/fixtures.js';
import {
  emptyBody,
  graphqlAck,
  type IngestRow,
  ingestPair,
  type LoadSettings,
  type TargetSpec,
} from './load.js';
import type { BenchHost } from './servers.js';
import { fixed, meets, table, thousands } from './table.js';
import { bodyFactory, ingestBase } from './workload.js';

/** The rows in print order: GraphQL's baseline, GraphQL, REST's baseline, REST. */
export type IngestRows = [IngestRow, IngestRow, IngestRow, IngestRow];

/** Runs the part: the GraphQL pair, then the REST pair. */
export async function ingestBench(host: BenchHost, settings: LoadSettings): Promise<IngestRows> {
  const [rawGraphql, graphql] = await ingestPair(host, settings, [
    () => appSpec(host, 'raw node:http, GraphQL body', 'raw', 'graphql', '/graphql', emptyBody),
    () => appSpec(host, 'POST /graphql reportMetrics', 'app', 'graphql', '/graphql', graphqlAck),
  ]);
  const [rawRest, rest] = await ingestPair(host, settings, [
    () => appSpec(host, 'raw node:http, REST body', 'raw', 'rest', '/api/v1/metrics', emptyBody),
    () => appSpec(host, 'POST /api/v1/metrics', 'app', 'rest', '/api/v1/metrics', emptyBody),
  ]);
  return [rawGraphql, graphql, rawRest, rest];
}

/** The embedded-store server or the raw baseline, in its own process, for one of the two API paths. */
async function appSpec(
  host: BenchHost,
  label: string,
  server: 'raw' | 'app',
  kind: 'graphql' | 'rest',
  path: string,
  verify: (body: string) => boolean,
): Promise<TargetSpec> {
  const dataDir = host.tempDir('mc-bench-ingest-');
  const proc = await host.startServer(label, server === 'raw' ? ['raw'] : ['app', dataDir]);
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

/** Prints the part's table (each path beside its baseline, with its target) and the rounds. */
export function printIngest([rawGraphql, graphql, rawRest, rest]: IngestRows): void {
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
