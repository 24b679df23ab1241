import { catalogue, type Metric, metricNames } from '@metrics-collector/common/catalogue';
import type { SeriesPoint } from '@metrics-collector/schema/metrics/types';

// The data the dashboard's queries run against: two clients written as line protocol, a third by the store.

// A MAC address, as the original agents reported, and a name with a regex metacharacter.
export const CLIENTS = ['6a:d6:96:d3:45:35', 'host-b.example'];
export const CORES = 2;
const WINDOW_MS = 10_000;
export const HOUR_MS = 3_600_000;
/** A third client whose windows the InfluxDB store itself writes, outside the `$client` selection. */
export const STORE_CLIENT = 'written-by-the-store';
/**
 * Overall and per-core mean utilisation per client. The overall one is deliberately not the mean of the
 * cores, so that a query that mixes the per-core series into the overall one gives a different answer.
 */
export const UTILIZATION: Record<string, { overall: number; cores: number[] }> = {
  '6a:d6:96:d3:45:35': { overall: 0.3, cores: [0.1, 0.4] },
  'host-b.example': { overall: 0.7, cores: [0.6, 0.9] },
  [STORE_CLIENT]: { overall: 0.45, cores: [0.2, 0.5] },
};

/** A field set `<field>_mean=…,<field>_variance=…,<field>_min=…,<field>_max=…,<field>_count=…i`. */
function fields(field: string, mean: number, count = 10): string {
  const spread = Math.min(mean, 0.05);
  return [
    `${field}_mean=${mean}`,
    `${field}_variance=${(spread / 2) ** 2}`,
    `${field}_min=${mean - spread}`,
    `${field}_max=${mean + spread}`,
    `${field}_count=${count}i`,
  ].join(',');
}

const tag = (value: string) => value.replace(/[,= ]/g, '\\$&');

/**
 * Network and disk levels, the same for every client: byte rates in their real magnitude, so that a panel
 * that read another field (or the ratio) would show a different number.
 */
export const HOST_LEVELS: Partial<Record<Metric, number>> = {
  NETWORK_RX_BYTES_PER_SECOND: 1.2e6,
  NETWORK_TX_BYTES_PER_SECOND: 3.4e5,
  DISK_READ_BYTES_PER_SECOND: 2.5e5,
  DISK_WRITE_BYTES_PER_SECOND: 8e5,
  FILESYSTEM_USED_RATIO: 0.42,
};

/** The window mean of `metric` for `client` (and `core`, for per-core metrics) in the test data. */
function meanOf(metric: Metric, client: string, core: number | null): number {
  const { overall, cores } = UTILIZATION[client] as { overall: number; cores: number[] };
  switch (metric) {
    case 'CPU_UTILIZATION':
      return overall;
    case 'CPU_CORE_UTILIZATION':
      return cores[core ?? 0] as number;
    case 'CPU_CORE_UTILIZATION_MAX':
      return Math.max(...cores);
    case 'CPU_CORE_UTILIZATION_MIN':
      return Math.min(...cores);
    default:
      return HOST_LEVELS[metric] ?? 0.5;
  }
}

/**
 * An hour of 10 s windows per client ending at `end`, in the store's line protocol (precision ms): one
 * line per measurement, series and window, with every metric of the catalogue, as the store writes them.
 */
export function lineProtocol(end: number): string {
  const lines: string[] = [];
  const first = Math.floor(end / WINDOW_MS) * WINDOW_MS - HOUR_MS;
  for (const client of CLIENTS) {
    for (let t = first; t < first + HOUR_MS; t += WINDOW_MS) {
      const series = new Map<string, string[]>();
      for (const metric of metricNames) {
        const spec = catalogue[metric];
        for (const core of spec.perCore ? Array.from({ length: CORES }, (_, i) => i) : [null]) {
          const key = `${spec.kind},client_id=${tag(client)}${core === null ? '' : `,core=${core}`}`;
          series.set(key, [...(series.get(key) ?? []), fields(spec.field, meanOf(metric, client, core))]);
        }
      }
      for (const [key, fieldSets] of series) lines.push(`${key} ${fieldSets.join(',')} ${t}`);
    }
  }
  return lines.join('\n');
}

/** The last `windows` 10 s windows before `end` of every metric of `client`, as the store receives them. */
export function seriesPoints(client: string, end: number, windows: number): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  const last = Math.floor(end / WINDOW_MS) * WINDOW_MS - WINDOW_MS;
  for (let windowStart = last - (windows - 1) * WINDOW_MS; windowStart <= last; windowStart += WINDOW_MS) {
    for (const metric of metricNames) {
      for (const core of catalogue[metric].perCore ? Array.from({ length: CORES }, (_, i) => i) : [null]) {
        const mean = meanOf(metric, client, core);
        const windowEnd = windowStart + WINDOW_MS;
        points.push({
          clientId: client,
          metric,
          core,
          windowStart,
          windowEnd,
          count: 10,
          mean,
          variance: 0,
          min: mean,
          max: mean,
        });
      }
    }
  }
  return points;
}
