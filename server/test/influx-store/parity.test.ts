import { fills } from '@metrics-collector/schema/history/types';
import { aggregates } from '@metrics-collector/schema/metrics/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { graphql, random, rawRequest, startTestServer, type TestServer } from '../helpers.js';
import { available, influxEnv, iso, nextDatabase, startInfluxdForFile, T0 } from './setup.js';

startInfluxdForFile();

/** A stat from `n` random samples around `level`, within `[0, high]`, computed as an agent would. */
function stat(next: () => number, n: number, level: number, spread: number, high: number) {
  const samples = Array.from({ length: n }, () =>
    Math.min(high, Math.max(0, level + (next() - 0.5) * spread)),
  );
  const mean = samples.reduce((s, x) => s + x, 0) / n;
  const variance = samples.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
  return { mean, variance, min: Math.min(...samples), max: Math.max(...samples) };
}

/** Reports of three clients over two hours, 10 s windows off the minute grid, two to four cores each. */
function reports(): Record<string, unknown>[] {
  const next = random(7);
  const out: Record<string, unknown>[] = [];
  for (const [c, clientId] of ['alpha', 'beta', 'gamma 3,x=y'].entries()) {
    for (let i = 0; i < 240; i += 3 + c) {
      const start = T0 + 3_000 + i * 30_000;
      const n = 5 + Math.floor(next() * 40);
      out.push(
        reportInput({
          clientId,
          windowStart: iso(start),
          windowEnd: iso(start + 10_000),
          observations: n,
          cpu: {
            utilization: stat(next, n, next(), 0.3, 1),
            cores: Array.from({ length: 2 + c }, () => stat(next, n, next(), 0.4, 1)),
          },
          memory: {
            usedRatio: stat(next, n, 0.5, 0.1, 1),
            usedBytes: stat(next, n, 8e12 + next() * 1e6, 1e4, Number.MAX_SAFE_INTEGER),
            totalBytes: 16e12,
          },
          load: {
            load1: stat(next, n, 2 * next(), 1, 1e6),
            load5: stat(next, n, 1, 0.2, 1e6),
            load15: stat(next, n, 1, 0.1, 1e6),
          },
          // Byte rates around a megabyte per second; an idle disk reads nothing in about a third of the windows.
          network: {
            rxBytesPerSecond: stat(next, n, 1.2e6 * (0.5 + next()), 4e5, Number.MAX_SAFE_INTEGER),
            txBytesPerSecond: stat(next, n, 3.4e5 * (0.5 + next()), 1e5, Number.MAX_SAFE_INTEGER),
          },
          disk: {
            readBytesPerSecond: stat(
              next,
              n,
              next() < 0.3 ? 0 : 2.5e5 * next(),
              1e5,
              Number.MAX_SAFE_INTEGER,
            ),
            writeBytesPerSecond: stat(next, n, 8e5 * next(), 6e5, Number.MAX_SAFE_INTEGER),
            filesystemUsedRatio: stat(next, n, 0.42 + 0.01 * next(), 0.002, 1),
          },
        }),
      );
    }
  }
  return out;
}

/**
 * How far apart the two stores' numbers may be, relative to the larger: InfluxQL pools variance from
 * shifted one-pass sums, the embedded store in two passes, and the InfluxDB store runs its precise pass
 * wherever the one-pass rounding error could exceed this (docs/storage.md).
 */
const TOLERANCE = 1e-9;

/**
 * `actual` with each number that lies within `TOLERANCE` of its counterpart in `expected` replaced by that
 * counterpart, so that `toEqual(expected)` passes exactly when both agree and shows only the numbers that
 * do not. (Rounding both to n digits would not do: two numbers 1e-14 apart can round differently.)
 */
function agreeing(actual: unknown, expected: unknown, slack = 0): unknown {
  if (typeof actual === 'number' && typeof expected === 'number') {
    const scale = Math.max(Math.abs(actual), Math.abs(expected));
    return Math.abs(actual - expected) <= Math.max(TOLERANCE * scale, slack) ? expected : actual;
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    return actual.map((v, i) => agreeing(v, expected[i]));
  }
  if (actual && typeof actual === 'object' && expected && typeof expected === 'object') {
    const e = expected as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(actual).map(([k, v]) => [k, agreeing(v, e[k], k === 'variance' ? varianceSlack(e) : 0)]),
    );
  }
  return actual;
}

/**
 * A pooled variance is no more exact than the means it is pooled from allow: each deviation m − M carries the
 * rounding of M, about ε·|M|, so two correct computations may differ by some ε·|M|·σ. That exceeds
 * `TOLERANCE` relative only where the mean dwarfs the spread, as memory in bytes does (8e12 ± 3e5 here:
 * 2.4e-9 relative was seen, the bound allows 16ε·|M|·σ ≈ 1e-7).
 */
function varianceSlack(point: Record<string, unknown>): number {
  const { mean, variance } = point;
  if (typeof mean !== 'number' || typeof variance !== 'number' || variance < 0) return 0;
  return 16 * Number.EPSILON * Math.abs(mean) * Math.sqrt(variance);
}

const POINT = 'time value count mean variance min max';

describe.skipIf(!available)('STORE=influxdb answers exactly as the embedded store', () => {
  let sqlite: TestServer;
  let influx: TestServer;
  const both = async (query: string, variables?: Record<string, unknown>) => {
    const [a, b] = await Promise.all([
      graphql(sqlite.url, query, variables),
      graphql(influx.url, query, variables),
    ]);
    return { sqlite: a, influx: b };
  };

  beforeAll(async () => {
    sqlite = await startTestServer();
    influx = await startTestServer({ env: influxEnv(nextDatabase()) });
    for (const srv of [sqlite, influx]) {
      const post = await rawRequest(`${srv.url}/api/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(originalReport),
      });
      expect(post.status).toBe(200);
    }
    for (const input of reports()) {
      const { sqlite: a, influx: b } = await both(REPORT_MUTATION, { input });
      expect(b.body).toEqual(a.body);
      expect(a.body.errors).toBeUndefined();
    }
  });
  afterAll(async () => {
    await Promise.all([sqlite?.stop(), influx?.stop()]);
  });

  it.each([
    ['CPU_UTILIZATION', null],
    ['CPU_CORE_UTILIZATION', 1],
    ['CPU_CORE_UTILIZATION', null],
    ['CPU_CORE_UTILIZATION_MAX', null],
    ['CPU_CORE_VARIANCE_MIN', null],
    ['MEMORY_USED_RATIO', null],
    ['MEMORY_USED_BYTES', null],
    ['MEMORY_TOTAL_BYTES', null],
    ['LOAD_1', null],
    ['LOAD_15', null],
    ['NETWORK_RX_BYTES_PER_SECOND', null],
    ['NETWORK_TX_BYTES_PER_SECOND', null],
    ['DISK_READ_BYTES_PER_SECOND', null],
    ['DISK_WRITE_BYTES_PER_SECOND', null],
    ['FILESYSTEM_USED_RATIO', null],
  ])(
    'metricHistory of %s (core %s): every aggregate, two resamples, one client and all',
    async (metric, core) => {
      const fields = aggregates.flatMap((aggregate) =>
        ['1m', '7m'].flatMap((resample) =>
          ['"beta"', 'null'].map(
            (client) =>
              `${aggregate}_${resample}_${client === 'null' ? 'all' : 'beta'}: metricHistory(metric: ${metric}, ` +
              `clientId: ${client}, core: ${core}, from: "${iso(T0)}", to: "${iso(T0 + 2 * 3_600_000)}", ` +
              `resample: "${resample}", aggregate: ${aggregate}) { points { ${POINT} } }`,
          ),
        ),
      );
      const { sqlite: a, influx: b } = await both(`{ ${fields.join('\n')} }`);
      expect(a.body.errors).toBeUndefined();
      expect(Object.values(a.body.data).every((h: any) => h.points.length > 0)).toBe(true);
      expect(agreeing(b.body, a.body)).toEqual(a.body);
    },
  );

  it('metricHistory with every fill mode, over a range with gaps', async () => {
    const fields = fills.map(
      (fill) =>
        `${fill}: metricHistory(metric: CPU_UTILIZATION, clientId: "gamma 3,x=y", from: "${iso(T0 - 600_000)}", ` +
        `to: "${iso(T0 + 3_600_000)}", resample: "1m", fill: ${fill}) { points { ${POINT} } }`,
    );
    const { sqlite: a, influx: b } = await both(`{ ${fields.join('\n')} }`);
    expect(a.body.errors).toBeUndefined();
    expect(a.body.data.NULL.points.length).toBeGreaterThan(a.body.data.NONE.points.length);
    expect(agreeing(b.body, a.body)).toEqual(a.body);
  });

  it.each(['NETWORK_RX_BYTES_PER_SECOND', 'DISK_WRITE_BYTES_PER_SECOND', 'FILESYSTEM_USED_RATIO'])(
    'fleetSummary of %s with every aggregate',
    async (metric) => {
      const fields = aggregates.map(
        (aggregate) =>
          `${aggregate}: fleetSummary(metric: ${metric}, from: "${iso(T0)}", to: "${iso(T0 + 7_200_000)}", ` +
          `aggregate: ${aggregate}) { clientId value count mean variance min max }`,
      );
      const { sqlite: a, influx: b } = await both(`{ ${fields.join('\n')} }`);
      expect(a.body.errors).toBeUndefined();
      expect(a.body.data.MEAN.map((r: any) => r.clientId)).toEqual(['alpha', 'beta', 'gamma 3,x=y']);
      expect(agreeing(b.body, a.body)).toEqual(a.body);
    },
  );

  it('fleetSummary with every aggregate, and the client registry', async () => {
    const fields = aggregates.map(
      (aggregate) =>
        `${aggregate}: fleetSummary(metric: LOAD_1, from: "${iso(T0)}", to: "${iso(T0 + 7_200_000)}", ` +
        `aggregate: ${aggregate}) { clientId value count mean variance min max }`,
    );
    const { sqlite: a, influx: b } = await both(
      `{ ${fields.join('\n')} cores: fleetSummary(metric: CPU_CORE_UTILIZATION, from: "${iso(T0)}", to: "${iso(T0 + 7_200_000)}") { clientId value } clients { id hostname coreCount } }`,
    );
    expect(a.body.errors).toBeUndefined();
    expect(a.body.data.P95.map((r: any) => r.clientId)).toEqual(['alpha', 'beta', 'gamma 3,x=y']);
    expect(agreeing(b.body, a.body)).toEqual(a.body);
  });

  it.each([
    'cpuLoadAvg',
    'cpuLoadVar',
    'cpuCoreLoadAvgMax',
    'cpuCoreLoadAvgMin',
    'cpuCoreLoadVarMax',
    'cpuCoreLoadMinMin',
  ])("REST GET %s of the original report's user", async (name) => {
    const path = `/api/v1/metrics/${name}/byUser/${originalReport.user_id}`;
    const body = JSON.stringify({
      start: '2018-07-12T13:00:00.000Z',
      end: '2018-07-12T14:00:00.000Z',
      resample_rate: '15m',
    });
    const request = { headers: { 'content-type': 'application/json' }, body };
    const [a, b] = await Promise.all([
      rawRequest(sqlite.url + path, request),
      rawRequest(influx.url + path, request),
    ]);
    expect(a.status).toBe(200);
    expect((a.json as { entries: unknown[] }).entries).toHaveLength(1);
    expect(b.status).toBe(200);
    expect(b.text).toBe(a.text);
  });
});
