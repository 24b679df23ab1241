/**
 * Ingest (embedded SQLite store) from fleets of N distinct clients (`BENCH_CLIENTS`, 1, 50 and 1,000):
 * requests/s and latency of `POST /graphql` with `reportMetrics` (through the server's fast path, and
 * through plain yoga as the listener of `/graphql`) and of the original `POST /api/v1/metrics`, each beside
 * a bare `node:http` server that parses the same JSON (the baseline). Every request is a new window of one
 * of the N clients, in turn. The REST group also times the store's floor (`store-floor.ts`): bare
 * `node:http` writing the same report through the embedded store and nothing else, the most the server
 * could reach; and issue 13's prototype (`prototype.ts`), the design the issue's REST target was measured on.
 * Each server runs in its own process; wrk runs in its own (`wrk.ts`). Called by `run.ts`. A
 * fleet of N clients is N connections (`fleetConnections`).
 */
import { createSqliteMetricStore } from '@metrics-collector/server/metrics/sqlite/store';
import { originalReport } from '../testing/fixtures.js';
import {
  emptyBody,
  fleetConnections,
  graphqlAck,
  type IngestRow,
  ingestGroup,
  type LoadSettings,
  type TargetSpec,
  type Verify,
} from './load.js';
import { prototypeWindows } from './prototype.js';
import type { BenchHost } from './servers.js';
import { fixed, meets, table, thousands } from './table.js';
import { bodyFactory, ingestBase } from './workload.js';

/** One fleet's rows, each group's baseline first. */
export interface FleetIngest {
  clients: number;
  /** raw node:http, the server's fast path, plain yoga. */
  graphql: [IngestRow, IngestRow, IngestRow];
  /** raw node:http, the REST shim, the store's floor (`store-floor.ts`), issue 13's prototype (`prototype.ts`). */
  rest: [IngestRow, IngestRow, IngestRow, IngestRow];
}

/** Runs the part: for each fleet size, the GraphQL group, then the REST pair. */
export async function ingestBench(
  host: BenchHost,
  settings: LoadSettings,
  fleets: number[],
): Promise<FleetIngest[]> {
  const out: FleetIngest[] = [];
  for (const clients of fleets) {
    const load = { ...settings, connections: fleetConnections(settings, clients) };
    const at = (label: string) => `${label}, ${clients} client${clients === 1 ? '' : 's'}`;
    const spec =
      (label: string, server: Server, kind: 'graphql' | 'rest', path: string, verify: Verify) => () =>
        appSpec(host, at(label), server, kind, path, verify, clients);
    const graphql = await ingestGroup(host, load, [
      spec('raw node:http, GraphQL body', 'raw', 'graphql', '/graphql', emptyBody),
      spec('POST /graphql reportMetrics', 'app', 'graphql', '/graphql', graphqlAck),
      spec('POST /graphql, plain yoga', 'yoga', 'graphql', '/graphql', graphqlAck),
    ]);
    const rest = await ingestGroup(host, load, [
      spec('raw node:http, REST body', 'raw', 'rest', '/api/v1/metrics', emptyBody),
      spec('POST /api/v1/metrics', 'app', 'rest', '/api/v1/metrics', emptyBody),
      spec('store floor: bare node:http through the store', 'store', 'rest', '/api/v1/metrics', emptyBody),
      spec("issue 13's prototype", 'prototype', 'rest', '/api/v1/metrics', emptyBody),
    ]);
    out.push({
      clients,
      graphql: graphql as FleetIngest['graphql'],
      rest: rest as FleetIngest['rest'],
    });
  }
  return out;
}

/** The fast-path GraphQL row of the fleet of `clients`, if measured (the InfluxDB part compares with it). */
export const sqliteGraphql = (fleets: FleetIngest[] | undefined, clients: number): IngestRow | undefined =>
  fleets?.find((f) => f.clients === clients)?.graphql[1];

/**
 * `raw`: the baseline; `app`: the server; `yoga`: the server with yoga as the listener of `/graphql`;
 * `store`: the store's floor, bare `node:http` writing the REST report through the embedded store;
 * `prototype`: issue 13's prototype.
 */
type Server = 'raw' | 'app' | 'yoga' | 'store' | 'prototype';

/** The embedded-store server or the raw baseline, in its own process, for one of the two API paths. */
async function appSpec(
  host: BenchHost,
  label: string,
  server: Server,
  kind: 'graphql' | 'rest',
  path: string,
  verify: Verify,
  clients: number,
): Promise<TargetSpec> {
  const dataDir = host.tempDir('mc-bench-ingest-');
  const args =
    server === 'raw'
      ? ['raw']
      : server === 'store' || server === 'prototype'
        ? [server, dataDir]
        : ['app', dataDir, ...(server === 'yoga' ? ['--plain-yoga'] : [])];
  const proc = await host.startServer(label, args);
  return {
    label,
    proc,
    path,
    body: bodyFactory(kind, ingestBase(Date.now()), clients),
    contentType: 'application/json',
    verify,
    stored:
      server === 'raw'
        ? undefined
        : server === 'prototype'
          ? async () => prototypeWindows(dataDir)
          : () => storedWindows(dataDir),
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

/** The targets of issue 13 for fleets (50 and more clients); a single client keeps the earlier ones. */
const targets = (clients: number) =>
  clients === 1 ? { graphql: 0.25, rest: 0.8 } : { graphql: 0.3, rest: 0.6 };

/** Prints the part's table (each path beside its baseline, with its target) and the rounds. */
export function printIngest(fleets: FleetIngest[]): void {
  const rows: [IngestRow, IngestRow | undefined, number | undefined][] = [];
  for (const { clients, graphql, rest } of fleets) {
    const t = targets(clients);
    rows.push([graphql[0], undefined, undefined], [graphql[1], graphql[0], t.graphql]);
    rows.push(
      [graphql[2], graphql[0], undefined],
      [rest[0], undefined, undefined],
      [rest[1], rest[0], t.rest],
      [rest[2], rest[0], undefined],
      [rest[3], rest[0], undefined],
    );
  }
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
    rows.map(([row, raw, min]) => {
      const ratio = raw ? row.reqPerSec / raw.reqPerSec : 1;
      const perRound = raw ? row.rounds.map((r, i) => r / (raw.rounds[i] ?? Number.NaN)) : [];
      return [
        row.label,
        thousands(row.reqPerSec),
        fixed(row.p50, 1),
        fixed(row.p99, 1),
        fixed(ratio, 2),
        raw ? `${fixed(Math.min(...perRound), 2)}\u2013${fixed(Math.max(...perRound), 2)}` : '',
        raw === undefined ? '(baseline)' : min === undefined ? '' : meets(ratio, min),
        String(row.failed),
        row.stored === undefined ? '-' : `${thousands(row.acked)} / ${thousands(row.stored)}`,
      ];
    }),
    [false, true, true, true, true, true, false, true, true],
  );

  console.log(ingestTable);
  const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
  for (const { graphql, rest } of fleets) {
    for (const [raw, row] of [
      [graphql[0], graphql[1]],
      [graphql[0], graphql[2]],
      [rest[0], rest[1]],
      [rest[0], rest[2]],
      [rest[0], rest[3]],
    ] as const) {
      const pairs = row.rounds.map((r, i) => `${k(raw.rounds[i] ?? 0)}/${k(r)}`).join('  ');
      console.log(`rounds, req/s raw/path, ${row.label}: ${pairs}`);
    }
    const gain = graphql[1].reqPerSec / graphql[2].reqPerSec;
    console.log(`fast path / plain yoga, ${graphql[1].label}: ${fixed(gain, 2)}`);
  }
}
