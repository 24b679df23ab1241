/**
 * InfluxDB (when `influxd` is installed; it is started on a free port with its data in a temporary
 * folder): for each fleet size (`BENCH_CLIENTS`), `reportMetrics` with `STORE=influxdb` beside a raw
 * line-protocol `POST /write` of the same lines to the same influxd, and the history query beside the store's InfluxQL posted directly. Called by
 * `run.ts`.
 */
import { defaultLimits } from '@metrics-collector/schema/limits';
import { toPoints } from '@metrics-collector/schema/metrics/service';
import { createInfluxMetricStore } from '@metrics-collector/server/metrics/influx/store';
import {
  hasBinary,
  influxdBinary,
  influxQuery,
  type RealServer,
  startInfluxd,
} from '../testing/real-servers.js';
import { checkHistory, type HistoryFigures, historyRequests, timeInterleaved } from './history.js';
import {
  emptyBody,
  fleetConnections,
  graphqlAck,
  type IngestRow,
  ingestGroup,
  type LoadSettings,
} from './load.js';
import type { BenchHost, ServerProcess } from './servers.js';
import {
  bodyFactory,
  fleetClient,
  fleetTurn,
  graphqlReportInput,
  HISTORY_CLIENT,
  HISTORY_RESAMPLE_MS,
  historyRange,
  ingestBase,
  splicer,
  WINDOW_MS,
} from './workload.js';
import type { FleetBodies } from './wrk.js';

/** One fleet size: the raw `/write` baseline and `reportMetrics` with `STORE=influxdb`. */
export interface InfluxFleet {
  clients: number;
  ingest: [IngestRow, IngestRow];
}

export interface InfluxFigures {
  fleets: InfluxFleet[];
  history: HistoryFigures;
}

/** Whether influxd is installed; the InfluxDB part is skipped (and says so) when it is not. */
export const influxAvailable = () => hasBinary(influxdBinary);

/** Runs the part against one influxd, started for it and stopped after. */
export async function influxBench(
  host: BenchHost,
  settings: LoadSettings & { historyRuns: number; fleets: number[] },
): Promise<InfluxFigures> {
  const influxd = await startInfluxd();
  try {
    return {
      fleets: await influxIngest(host, settings, influxd, settings.fleets),
      history: await influxHistory(host, settings.historyRuns, influxd),
    };
  } finally {
    await influxd.stop();
  }
}

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
 * Line protocol of the GraphQL report of request `i` of a fleet of `clients` (`fleetTurn`), exactly as the
 * store writes it, built by splicing the client id and the time into the lines of window 0.
 */
function lineFactory(base: number, clients: number): FleetBodies {
  const store = createInfluxMetricStore({
    url: 'http://127.0.0.1:1',
    api: 'v1',
    database: 'x',
    retention: null,
  });
  const ctx = { clock: { now: () => Date.now() }, limits: defaultLimits };
  const CLIENT = 'CLIENT-PLACEHOLDER';
  const lines = store.toLines(toPoints(ctx, { ...graphqlReportInput(base), clientId: CLIENT }));
  void store.close();
  const suffix = ` ${base}`;
  const template = lines.map((line) => {
    if (!line.endsWith(suffix)) throw new Error(`line without the window start: ${line}`);
    return `${line.slice(0, -suffix.length)} @@TIME@@`;
  });
  const cut = splicer(template.join('\n'), [CLIENT, '@@TIME@@']);
  const ids = Array.from({ length: clients }, (_, c) => fleetClient(c, clients));
  const bodies = (i: number) => {
    const { client, window } = fleetTurn(i, clients);
    return cut.fill([ids[client] as string, String(base + window * WINDOW_MS)]);
  };
  const holes = cut.holes.map((h) => (h === 0 ? ('client' as const) : ('start' as const)));
  const template1 = { parts: cut.parts, holes, ids, base, window: WINDOW_MS, length: 0, time: 'ms' as const };
  return Object.assign(bodies, { template: template1 });
}

/** Each fleet size: the raw `/write` of the same lines, then `reportMetrics` with `STORE=influxdb`. */
async function influxIngest(
  host: BenchHost,
  settings: LoadSettings,
  influxd: RealServer,
  fleets: number[],
): Promise<InfluxFleet[]> {
  const out: InfluxFleet[] = [];
  for (const clients of fleets) {
    const base = ingestBase(Date.now());
    const at = `${clients} client${clients === 1 ? '' : 's'}`;
    const [rawDb, apiDb] = [`bench_raw_${clients}`, `bench_api_${clients}`];
    await influxQuery(influxd.url, `CREATE DATABASE ${rawDb}`);
    const rows = await ingestGroup(
      host,
      { ...settings, connections: fleetConnections(settings, clients) },
      [
        async () => ({
          label: `raw POST /write to influxd, same lines, ${at}`,
          proc: influxProc(influxd),
          path: `/write?db=${rawDb}&precision=ms`,
          body: lineFactory(base, clients),
          contentType: 'text/plain; charset=utf-8',
          verify: emptyBody,
          stored: () => influxWindows(influxd, rawDb),
        }),
        async () => {
          const label = `POST /graphql reportMetrics, STORE=influxdb, ${at}`;
          const env = {
            STORE: 'influxdb',
            INFLUX_API: 'v1',
            INFLUX_URL: influxd.url,
            INFLUX_DATABASE: apiDb,
          };
          const proc = await host.startServer(label, [
            'app',
            host.tempDir('mc-bench-influx-'),
            '--env',
            JSON.stringify(env),
          ]);
          return {
            label,
            proc,
            path: '/graphql',
            body: bodyFactory('graphql', base, clients),
            contentType: 'application/json',
            verify: graphqlAck,
            stored: () => influxWindows(influxd, apiDb),
          };
        },
      ],
      { influxd: influxd.pid() },
    );
    out.push({ clients, ingest: rows as [IngestRow, IngestRow] });
  }
  return out;
}

async function influxHistory(host: BenchHost, runs: number, influxd: RealServer): Promise<HistoryFigures> {
  const { from, to } = historyRange(Date.now());
  const database = 'bench_history';
  const env = { STORE: 'influxdb', INFLUX_API: 'v1', INFLUX_URL: influxd.url, INFLUX_DATABASE: database };
  const proc = await host.startServer('influx history server', [
    'app',
    host.tempDir('mc-bench-influx-history-'),
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
        const form = 'application/x-www-form-urlencoded';
        const answer = await host.http.request(influxd.port, 'POST', '/query', body, form);
        if (answer.status !== 200 || answer.text.includes('"error"')) return answer;
        JSON.parse(answer.text);
      }
      return { status: 200, text: '' };
    };

    const { graphqlRun, restRun } = historyRequests(host, proc.port, { from, to });
    checkHistory(expected, await graphqlRun(), await restRun());

    const timings = await timeInterleaved(host, 'influx history', runs, [
      ['direct InfluxQL: the store\u2019s statement(s) posted to /query', directRun],
      ['store.history() in-process', storeRun],
      ['GraphQL metricHistory over HTTP', graphqlRun],
      ['REST GET /api/v1/metrics/cpuLoadAvg/byUser', restRun],
    ]);
    return { timings, seedMs: proc.info.seedMs as number, statements: statements.length, clients: 1 };
  } finally {
    await store.close();
    await proc.stop();
    host.problems.push(...proc.errors);
  }
}
