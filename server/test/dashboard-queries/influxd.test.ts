import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasBinary,
  influxdBinary,
  influxQuery,
  type RealServer,
  startInfluxd,
} from '../../../testing/real-servers.js';
import { createInfluxMetricStore } from '../../src/metrics/influx/store.js';
import {
  CLIENTS,
  CORES,
  HOST_LEVELS,
  HOUR_MS,
  lineProtocol,
  STORE_CLIENT,
  seriesPoints,
  UTILIZATION,
} from './data.js';
import { queries, substitute } from './queries.js';

/**
 * Every InfluxQL query of the provisioned Grafana dashboard, run against a real InfluxDB 1.x holding data in
 * the InfluxDB store's schema (docs/storage.md): a query that InfluxDB rejects, or that names a measurement,
 * field or tag the store does not write, fails here with the panel's title.
 */

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
