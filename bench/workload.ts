/**
 * What the benchmark sends and stores, shared by the parts that send load (`ingest.ts`, `history.ts`,
 * `influx.ts`, `fanout-phase.ts`, `sdk.ts`, `security.ts`) and the server process (`server-process.ts`).
 */
import type { ReportInput } from '@metrics-collector/schema/metrics/types';
// The original README's POST body, verbatim, and the mutation: the tests send the same.
import { originalReport, REPORT_MUTATION } from '../testing/fixtures.js';

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
 * Request bodies for window `i`, built by splicing the times into a serialised template so that building
 * them costs the load generator next to nothing.
 */
export function bodyFactory(kind: 'graphql' | 'rest', base: number): (i: number) => string {
  const START = 1e15 + 1;
  const END = 1e15 + 3;
  let template: string;
  if (kind === 'rest') {
    template = JSON.stringify({ ...originalReport, start_timestamp: START, end_timestamp: END });
  } else {
    const input = { ...graphqlReportInput(0), windowStart: 'START', windowEnd: 'END' };
    template = JSON.stringify({ query: REPORT_MUTATION, variables: { input } });
  }
  const [head, rest] = template.split(kind === 'rest' ? String(START) : '"START"') as [string, string];
  const [mid, tail] = rest.split(kind === 'rest' ? String(END) : '"END"') as [string, string];
  const format = kind === 'rest' ? String : (t: number) => `"${new Date(t).toISOString()}"`;
  return (i) => {
    const start = base + i * WINDOW_MS;
    return head + format(start) + mid + format(start + windowLength) + tail;
  };
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
