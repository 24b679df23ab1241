/**
 * What the benchmark sends and stores, shared by the parts that send load (`ingest.ts`, `history.ts`,
 * `influx.ts`, `fanout-phase.ts`, `sdk.ts`, `security.ts`) and the server process (`server-process.ts`).
 */
import type { ReportInput } from '@metrics-collector/schema/metrics/types';
// The original README's POST body, verbatim, and the mutation: the tests send the same.
import { originalReport, REPORT_MUTATION } from '../testing/fixtures.js';
import type { FleetBodies } from './wrk.js';

export const DAY = 86_400_000;
/** Agents report 10-second windows. */
export const WINDOW_MS = 10_000;

const cpu = originalReport.metrics[0] as (typeof originalReport.metrics)[number];
const windowLength = originalReport.end_timestamp - originalReport.start_timestamp;

/**
 * Ingest windows start a year before today (UTC midnight) and advance by `WINDOW_MS` per request, so
 * every request stores new rows and none lies in the future, which the server refuses.
 */
export const ingestBase = (now: number): number => Math.floor(now / DAY) * DAY - 365 * DAY;

/** The same report as GraphQL input: one CPU stat with 4 cores; min = max = mean, as the REST shim does. */
export function graphqlReportInput(windowStart: number, clientId = originalReport.user_id): ReportInput {
  const stat = (mean: number, variance: number) => ({ mean, variance, min: mean, max: mean });
  return {
    clientId,
    windowStart: new Date(windowStart),
    windowEnd: new Date(windowStart + windowLength),
    observations: originalReport.observations_per_metric,
    osType: originalReport.os_type,
    osVersion: originalReport.os_version,
    cpu: {
      utilization: stat(cpu.avg_utilization, cpu.var_utilization),
      cores: cpu.avg_utilization_by_core.map((m, i) => stat(m, cpu.var_utilization_by_core[i] as number)),
    },
  };
}

/**
 * The id of client `c` of a fleet of `clients`: the original report's `user_id` for a fleet of one, else a
 * MAC address of its own (the agent's default client id is the first interface's MAC).
 */
export function fleetClient(c: number, clients: number): string {
  if (clients === 1) return originalReport.user_id;
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `02:00:00:${hex((c >> 16) & 255)}:${hex((c >> 8) & 255)}:${hex(c & 255)}`;
}

/**
 * Request `i` of a fleet of `clients`: client `i % clients`, its window `floor(i / clients)`, so that the
 * clients take turns (round-robin) and every request is a new window of one of them.
 */
export const fleetTurn = (i: number, clients: number) => ({
  client: i % clients,
  window: Math.floor(i / clients),
});

/**
 * A template cut at its `tokens` (`parts` around `holes`, `holes[k]` the index of the token cut out):
 * `fill(values)` puts `values[k]` in place of each `tokens[k]`, in one string concatenation (no parsing, no
 * searching), so building a body costs the load generator next to nothing.
 */
export function splicer(template: string, tokens: string[]) {
  const escaped = tokens.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const cut = template.split(new RegExp(`(${escaped.join('|')})`));
  const parts = cut.filter((_, k) => k % 2 === 0);
  const holes = cut.filter((_, k) => k % 2 === 1).map((token) => tokens.indexOf(token));
  const fill = (values: string[]) => {
    let out = parts[0] as string;
    for (let k = 0; k < holes.length; k += 1) out += (values[holes[k] as number] as string) + parts[k + 1];
    return out;
  };
  return { fill, parts, holes };
}

/**
 * Request bodies for request `i` of a fleet of `clients` (`fleetTurn`): the client id and the window's
 * times spliced into a serialised template; `.template` is the same for wrk (`wrk.ts`).
 */
export function bodyFactory(kind: 'graphql' | 'rest', base: number, clients = 1): FleetBodies {
  const CLIENT = '@@CLIENT@@';
  let cut: ReturnType<typeof splicer>;
  let format: (t: number) => string;
  if (kind === 'rest') {
    const report = { ...originalReport, user_id: CLIENT, start_timestamp: 1e15 + 1, end_timestamp: 1e15 + 3 };
    cut = splicer(JSON.stringify(report), [CLIENT, '1000000000000001', '1000000000000003']);
    format = String;
  } else {
    const input = { ...graphqlReportInput(0), clientId: CLIENT, windowStart: 'START', windowEnd: 'END' };
    const template = JSON.stringify({ query: REPORT_MUTATION, variables: { input } });
    cut = splicer(template, [CLIENT, '"START"', '"END"']);
    format = (t) => `"${new Date(t).toISOString()}"`;
  }
  const ids = Array.from({ length: clients }, (_, c) => fleetClient(c, clients));
  const bodies = (i: number) => {
    const { client, window } = fleetTurn(i, clients);
    const start = base + window * WINDOW_MS;
    return cut.fill([ids[client] as string, format(start), format(start + windowLength)]);
  };
  const names = ['client', 'start', 'end'] as const;
  return Object.assign(bodies, {
    template: {
      parts: cut.parts,
      holes: cut.holes.map((h) => names[h] as (typeof names)[number]),
      ids,
      base,
      window: WINDOW_MS,
      length: windowLength,
      time: kind === 'rest' ? ('ms' as const) : ('iso' as const),
    },
  });
}

/** History: 7 days of 10-second windows of one client, ending at today's UTC midnight. */
export const HISTORY_CLIENT = 'bench-history';
export const HISTORY_WINDOWS = (7 * DAY) / WINDOW_MS; // 60,480
export const historyRange = (now: number) => {
  const to = Math.floor(now / DAY) * DAY;
  return { from: to - 7 * DAY, to };
};
export const HISTORY_RESAMPLE_MS = 15 * 60_000;
export const HISTORY_BUCKETS = (7 * DAY) / HISTORY_RESAMPLE_MS; // 672

export const HISTORY_QUERY = `query History($clientId: ID!, $from: DateTime!, $to: DateTime!) {
  metricHistory(clientId: $clientId, metric: CPU_UTILIZATION, from: $from, to: $to, resample: "15m") {
    points { time value count mean variance min max }
  }
}`;

/** A varying but deterministic utilisation, so buckets differ. */
export function historyReport(from: number, i: number): ReportInput {
  const input = graphqlReportInput(from + i * WINDOW_MS, HISTORY_CLIENT);
  const wave = 0.5 + 0.4 * Math.sin(i / 360);
  const stat = (mean: number) => ({ mean, variance: 0.001, min: Math.max(0, mean - 0.05), max: mean + 0.05 });
  return {
    ...input,
    windowEnd: new Date(from + (i + 1) * WINDOW_MS),
    cpu: { utilization: stat(wave), cores: [0, 1, 2, 3].map((c) => stat(wave * (0.9 + c * 0.05))) },
  };
}
