import { readFileSync } from 'node:fs';
import { catalogue, type Metric, metricNames } from '@metrics-collector/common/catalogue';
import type { SeriesPoint } from '@metrics-collector/schema/metrics/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasBinary,
  influxdBinary,
  influxQuery,
  type RealServer,
  startInfluxd,
} from '../../testing/real-servers.js';
import { createInfluxMetricStore } from '../src/metrics/influx/store.js';

/**
 * Every InfluxQL query of the provisioned Grafana dashboard, run against a real InfluxDB 1.x holding data in
 * the InfluxDB store's schema (docs/storage.md): a query that InfluxDB rejects, or that names a measurement,
 * field or tag the store does not write, fails here with the panel's title.
 */

const dashboard = JSON.parse(
  readFileSync(new URL('../../grafana/dashboards/metrics-collector.json', import.meta.url), 'utf8'),
);

interface DashboardQuery {
  /** Panel title and refId, or the template variable. */
  name: string;
  query: string;
  /** Whether the panel is repeated per `client`, so that `$client` holds one client at a time. */
  repeatedPerClient: boolean;
}

/** The queries of every panel (rows' nested panels included) and of every query variable. */
function dashboardQueries(): DashboardQuery[] {
  const found: DashboardQuery[] = [];
  const visit = (panels: any[] = []) => {
    for (const panel of panels) {
      visit(panel.panels);
      for (const target of panel.targets ?? []) {
        if (typeof target.query !== 'string') continue;
        found.push({
          name: `${panel.title} / ${target.refId}`,
          query: target.query,
          repeatedPerClient: panel.repeat === 'client',
        });
      }
    }
  };
  visit(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type === 'query') {
      found.push({ name: `variable $${variable.name}`, query: variable.query, repeatedPerClient: false });
    }
  }
  return found;
}

const queries = dashboardQueries();

// A MAC address, as the original agents reported, and a name with a regex metacharacter.
const CLIENTS = ['6a:d6:96:d3:45:35', 'host-b.example'];
const CORES = 2;
const WINDOW_MS = 10_000;
const HOUR_MS = 3_600_000;
/** A third client whose windows the InfluxDB store itself writes, outside the `$client` selection. */
const STORE_CLIENT = 'written-by-the-store';
/**
 * Overall and per-core mean utilisation per client. The overall one is deliberately not the mean of the
 * cores, so that a query that mixes the per-core series into the overall one gives a different answer.
 */
const UTILIZATION: Record<string, { overall: number; cores: number[] }> = {
  '6a:d6:96:d3:45:35': { overall: 0.3, cores: [0.1, 0.4] },
  'host-b.example': { overall: 0.7, cores: [0.6, 0.9] },
  [STORE_CLIENT]: { overall: 0.45, cores: [0.2, 0.5] },
};

/** Grafana's regex escaping of a variable value (InfluxDB's regex literals also need `/` escaped). */
const regexEscape = (value: string) => value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

/** `$client` as Grafana formats it inside a regex: one escaped value, or an alternation of several. */
function clientValue(clients: string[]): string {
  const escaped = clients.map(regexEscape);
  return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join('|')})`;
}

/** Substitutes the Grafana macros the dashboard uses, as Grafana sends them to InfluxDB. */
function substitute(query: string, clients: string[], range: { from: number; to: number }): string {
  return query
    .replaceAll('$timeFilter', `time >= ${range.from}ms and time <= ${range.to}ms`)
    .replaceAll('$__interval', '1m')
    .replaceAll('$client', clientValue(clients));
}

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
const HOST_LEVELS: Partial<Record<Metric, number>> = {
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
function lineProtocol(end: number): string {
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
function seriesPoints(client: string, end: number, windows: number): SeriesPoint[] {
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

describe('the Grafana dashboard', () => {
  it('has the queries the tests below run: four CPU Loads, six more panels, the client variable', () => {
    expect(queries.map((q) => q.name)).toEqual([
      'CPU Loads: $client / A',
      'CPU Loads: $client / B',
      'CPU Loads: $client / C',
      'CPU Loads: $client / D',
      '95th percentile load per client / A',
      'Memory used / A',
      'Load average / A',
      'CPU per core / A',
      'Network / A',
      'Disk / A',
      'Disk / B',
      'variable $client',
    ]);
  });

  it('uses only the Grafana macros the tests substitute', () => {
    for (const { name, query } of queries) {
      const left = substitute(query, CLIENTS, { from: 0, to: 1 });
      expect({ name, left: left.match(/\$(\w|\{)/g) }).toEqual({ name, left: null });
    }
  });

  it("reads only measurements and fields of the store's schema", () => {
    const kinds = new Set<string>(metricNames.map((m) => catalogue[m].kind));
    const fieldNames = new Set<string>(metricNames.map((m) => catalogue[m].field));
    for (const { name, query } of queries) {
      for (const [, measurement] of query.matchAll(/FROM "(\w+)"/g)) {
        expect({ name, measurement, known: kinds.has(measurement as string) }).toMatchObject({ known: true });
      }
      for (const [, field] of query.matchAll(/"(\w+)_(?:mean|variance|min|max|count)"/g)) {
        expect({ name, field, known: fieldNames.has(field as string) }).toMatchObject({ known: true });
      }
    }
    expect(queries.some((q) => /_mean"/.test(q.query))).toBe(true);
  });

  it('substitutes $client into a valid, anchored regex', () => {
    const q = substitute('"client_id" =~ /^$client$/', CLIENTS, { from: 0, to: 1 });
    expect(q).toBe('"client_id" =~ /^(6a:d6:96:d3:45:35|host-b\\.example)$/');
  });
});

describe.skipIf(!hasBinary(influxdBinary))('the Grafana dashboard against a real InfluxDB (influxd)', () => {
  let influx: RealServer;
  let range: { from: number; to: number };

  beforeAll(async () => {
    influx = await startInfluxd();
    const created = await influxQuery(influx.url, 'CREATE DATABASE metrics');
    expect(created.results[0]?.error).toBeUndefined();
    const now = Date.now();
    const res = await fetch(`${influx.url}/write?db=metrics&precision=ms`, {
      method: 'POST',
      body: lineProtocol(now),
    });
    expect(res.status, await res.text()).toBe(204);
    const store = createInfluxMetricStore({
      url: influx.url,
      api: 'v1',
      database: 'metrics',
      retention: null,
    });
    try {
      await store.write(seriesPoints(STORE_CLIENT, now, 30));
    } finally {
      await store.close();
    }
    // Grafana's default range, the last 6 hours.
    range = { from: now - 6 * HOUR_MS, to: now };
  });
  afterAll(() => influx?.stop());

  const run = async (query: string, clients: string[]) => {
    const answer = await influxQuery(influx.url, substitute(query, clients, range), 'metrics');
    const result = answer.results[0];
    expect(answer.error).toBeUndefined();
    expect(result?.error).toBeUndefined();
    return result?.series ?? [];
  };

  it.each(queries.map((q) => [q.name, q] as const))('%s runs and answers rows', async (_name, q) => {
    // A repeated panel sees one client per repetition; the others see every selected client.
    const selections = q.repeatedPerClient ? CLIENTS.map((c) => [c]) : [CLIENTS];
    for (const clients of selections) {
      const series = await run(q.query, clients);
      expect(series.length).toBeGreaterThan(0);
      expect(series.some((s) => s.values.length > 0)).toBe(true);
    }
  });

  it('the client variable lists every client', async () => {
    const query = queries.find((q) => q.name === 'variable $client')?.query as string;
    const series = await run(query, CLIENTS);
    expect(series.flatMap((s) => s.values.map((v) => v[1])).sort()).toEqual(
      [...CLIENTS, STORE_CLIENT].sort(),
    );
  });

  it('every panel reads the windows the InfluxDB store writes', async () => {
    for (const q of queries.filter((q) => q.query.includes('$client'))) {
      const series = await run(q.query, [STORE_CLIENT]);
      const rows = series.flatMap((s) => s.values);
      expect({ name: q.name, rows: rows.length > 0 }).toEqual({ name: q.name, rows: true });
    }
    const cpu = (name: string) => queries.find((q) => q.name === name)?.query as string;
    const values = async (name: string) =>
      (await run(cpu(name), [STORE_CLIENT])).flatMap((s) => s.values.map((v) => v[1] as number));
    const { overall, cores } = UTILIZATION[STORE_CLIENT] as { overall: number; cores: number[] };
    for (const v of await values('CPU Loads: $client / A')) expect(v).toBeCloseTo(overall, 9);
    for (const v of await values('CPU Loads: $client / C')) expect(v).toBeCloseTo(Math.max(...cores), 9);
    for (const v of await values('CPU Loads: $client / D')) expect(v).toBeCloseTo(Math.min(...cores), 9);
  });

  it('CPU Loads reads the overall series only, not the per-core ones', async () => {
    const query = queries.find((q) => q.name === 'CPU Loads: $client / A')?.query as string;
    for (const client of CLIENTS) {
      const series = await run(query, [client]);
      const values = series.flatMap((s) => s.values.map((v) => v[1] as number));
      expect(values.length).toBeGreaterThan(50);
      for (const value of values) expect(value).toBeCloseTo(UTILIZATION[client]?.overall as number, 9);
    }
  });

  it('the percentile table has one row per client with its 95th percentile', async () => {
    const query = queries.find((q) => q.name.startsWith('95th percentile'))?.query as string;
    const series = await run(query, CLIENTS);
    const rows = series.map((s) => [s.tags?.client_id, s.values[0]?.[s.columns.indexOf('p95')]]);
    const clients = [...CLIENTS, STORE_CLIENT];
    expect(rows.sort()).toEqual(clients.map((c) => [c, UTILIZATION[c]?.overall]).sort());
  });

  it('CPU per core has one series per client and core', async () => {
    const query = queries.find((q) => q.name === 'CPU per core / A')?.query as string;
    const series = await run(query, CLIENTS);
    const seen = series.map((s) => `${s.tags?.client_id}/${s.tags?.core}`).sort();
    expect(seen).toEqual(CLIENTS.flatMap((c) => Array.from({ length: CORES }, (_, i) => `${c}/${i}`)).sort());
    for (const s of series) {
      const expected = UTILIZATION[s.tags?.client_id as string]?.cores[Number(s.tags?.core)] as number;
      for (const row of s.values) expect(row[1]).toBeCloseTo(expected, 9);
    }
  });

  it('Load average has the three averages per client', async () => {
    const query = queries.find((q) => q.name === 'Load average / A')?.query as string;
    const series = await run(query, CLIENTS);
    expect(series.map((s) => s.tags?.client_id).sort()).toEqual([...CLIENTS].sort());
    for (const s of series) expect(s.columns).toEqual(['time', 'load1', 'load5', 'load15']);
  });

  it('Network has received and sent bytes per second per client, including what the store writes', async () => {
    const query = queries.find((q) => q.name === 'Network / A')?.query as string;
    const series = await run(query, [...CLIENTS, STORE_CLIENT]);
    expect(series.map((s) => s.tags?.client_id).sort()).toEqual([...CLIENTS, STORE_CLIENT].sort());
    for (const s of series) {
      expect(s.columns).toEqual(['time', 'rx', 'tx']);
      for (const [, rx, tx] of s.values) {
        expect(rx).toBeCloseTo(HOST_LEVELS.NETWORK_RX_BYTES_PER_SECOND as number, 6);
        expect(tx).toBeCloseTo(HOST_LEVELS.NETWORK_TX_BYTES_PER_SECOND as number, 6);
      }
    }
  });

  it('Disk has read and written bytes per second and the filesystem used ratio per client', async () => {
    const rates = queries.find((q) => q.name === 'Disk / A')?.query as string;
    const ratio = queries.find((q) => q.name === 'Disk / B')?.query as string;
    const clients = [...CLIENTS, STORE_CLIENT];
    const rateSeries = await run(rates, clients);
    expect(rateSeries.map((s) => s.tags?.client_id).sort()).toEqual([...clients].sort());
    for (const s of rateSeries) {
      expect(s.columns).toEqual(['time', 'read', 'write']);
      for (const [, read, write] of s.values) {
        expect(read).toBeCloseTo(HOST_LEVELS.DISK_READ_BYTES_PER_SECOND as number, 6);
        expect(write).toBeCloseTo(HOST_LEVELS.DISK_WRITE_BYTES_PER_SECOND as number, 6);
      }
    }
    const ratioSeries = await run(ratio, clients);
    expect(ratioSeries.map((s) => s.tags?.client_id).sort()).toEqual([...clients].sort());
    for (const s of ratioSeries) {
      expect(s.columns).toEqual(['time', 'fs_used_ratio']);
      for (const [, used] of s.values)
        expect(used).toBeCloseTo(HOST_LEVELS.FILESYSTEM_USED_RATIO as number, 9);
    }
  });
});
