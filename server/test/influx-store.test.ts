import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fills } from '@metrics-collector/schema/history/types';
import { aggregates } from '@metrics-collector/schema/metrics/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../testing/fixtures.js';
import {
  hasBinary,
  influxdBinary,
  influxQuery,
  type RealServer,
  startInfluxd,
} from '../../testing/real-servers.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { createInfluxMetricStore, type InfluxMetricStore } from '../src/metrics/influx/store.js';
import { graphql, random, rawRequest, startTestServer, type TestServer } from './helpers.js';

const available = hasBinary(influxdBinary);
let influxd: RealServer;
let databases = 0;
/** A new database name per server, so that tests never see each other's points. */
const nextDatabase = () => `t${process.pid}_${++databases}`;
const influxEnv = (database: string): Record<string, string> => ({
  STORE: 'influxdb',
  INFLUX_API: 'v1',
  INFLUX_URL: influxd.url,
  INFLUX_DATABASE: database,
});

beforeAll(async () => {
  if (available) influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.stop();
});

const T0 = Date.UTC(2026, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();

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
function agreeing(actual: unknown, expected: unknown): unknown {
  if (typeof actual === 'number' && typeof expected === 'number') {
    const scale = Math.max(Math.abs(actual), Math.abs(expected));
    return Math.abs(actual - expected) <= TOLERANCE * scale ? expected : actual;
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    return actual.map((v, i) => agreeing(v, expected[i]));
  }
  if (actual && typeof actual === 'object' && expected && typeof expected === 'object') {
    return Object.fromEntries(
      Object.entries(actual).map(([k, v]) => [k, agreeing(v, (expected as Record<string, unknown>)[k])]),
    );
  }
  return actual;
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

describe.skipIf(!available)('InfluxDB outages lose nothing', () => {
  it('fails reports fast and retryably while influxd is down, resumes without a restart, stores exactly what it acked', async () => {
    const database = nextDatabase();
    const srv = await startTestServer({ env: influxEnv(database) });
    let window = 0;
    const acked = new Set<number>();
    const report = async () => {
      const start = T0 + window++ * 10_000;
      const res = await graphql(srv.url, REPORT_MUTATION, {
        input: reportInput({ windowStart: iso(start), windowEnd: iso(start + 10_000) }),
      });
      if (!res.body.errors) acked.add(start);
      return res;
    };
    const restPost = () =>
      rawRequest(`${srv.url}/api/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(originalReport),
      });
    try {
      for (let i = 0; i < 20; i += 1) expect((await report()).body.errors).toBeUndefined();
      expect((await rawRequest(`${srv.url}/ready`)).status).toBe(200);

      await influxd.stop({ keepData: true });
      for (let i = 0; i < 10; i += 1) {
        const res = await report();
        expect(res.body.data).toBeNull();
        // influxd is not listening: the connection is refused, so nothing can have been stored.
        expect(res.body.errors?.[0]?.extensions).toMatchObject({
          code: 'STORE_UNAVAILABLE',
          retryable: true,
          outcome: 'NOT_STORED',
        });
      }
      const rest = await restPost();
      expect(rest.status).toBe(503);
      expect(rest.headers['retry-after']).toBeDefined();
      expect(rest.json).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect((await rawRequest(`${srv.url}/ready`)).status).toBe(503);
      const history = await graphql(
        srv.url,
        '{ metricHistory(metric: CPU_UTILIZATION) { points { value } } }',
      );
      expect(history.body.errors?.[0]?.extensions?.code).toBe('STORE_UNAVAILABLE');

      await influxd.restart();
      expect((await rawRequest(`${srv.url}/ready`)).status).toBe(200);
      for (let i = 0; i < 20; i += 1) expect((await report()).body.errors).toBeUndefined();

      expect(acked.size).toBe(40);
      const counted = await influxQuery(
        influxd.url,
        `SELECT count("utilization_mean") FROM "cpu" WHERE "core" = ''`,
        database,
      );
      expect(counted.results[0]?.series?.[0]?.values[0]?.[1]).toBe(acked.size);
      const times = await influxQuery(
        influxd.url,
        `SELECT "utilization_mean" FROM "cpu" WHERE "core" = ''`,
        database,
      );
      expect(times.results[0]?.series?.[0]?.values.map((v) => v[0])).toEqual(
        [...acked].sort((a, b) => a - b),
      );
    } finally {
      await srv.stop();
    }
  });
});

describe.skipIf(!available)('InfluxDB hanging', () => {
  it('answers STORE_UNAVAILABLE when a write times out (influxd stopped with SIGSTOP), and acks again once it resumes', async () => {
    const database = nextDatabase();
    const store = createInfluxMetricStore({
      url: influxd.url,
      api: 'v1',
      database,
      retention: null,
      timeout: 500,
    });
    const srv = await startTestServer({ metrics: store });
    const pid = influxd.pid() as number;
    try {
      expect((await graphql(srv.url, REPORT_MUTATION, { input: reportInput() })).body.errors).toBeUndefined();
      process.kill(pid, 'SIGSTOP');
      const hung = await graphql(srv.url, REPORT_MUTATION, {
        input: reportInput({ windowStart: iso(T0 + 10_000), windowEnd: iso(T0 + 20_000) }),
      });
      // The request was sent and not answered: InfluxDB may store it once it resumes.
      expect(hung.body.errors?.[0]?.extensions).toMatchObject({
        code: 'STORE_UNAVAILABLE',
        retryable: true,
        outcome: 'UNKNOWN',
      });
      expect(hung.body.errors?.[0]?.message).toMatch(/may or may not be stored/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    try {
      // Resumed: the next report is acknowledged.
      const next = await graphql(srv.url, REPORT_MUTATION, {
        input: reportInput({ windowStart: iso(T0 + 20_000), windowEnd: iso(T0 + 30_000) }),
      });
      expect(next.body.errors).toBeUndefined();
    } finally {
      await srv.stop();
    }
  });
});

/** InfluxDB 1.x counts write requests in /debug/vars. */
async function writeRequests(): Promise<number> {
  const vars = (await (await fetch(`${influxd.url}/debug/vars`)).json()) as Record<
    string,
    { values?: { writeReq?: number } }
  >;
  return vars[`httpd:127.0.0.1:${influxd.port}`]?.values?.writeReq ?? Number.NaN;
}

describe.skipIf(!available)('InfluxDB refusing points', () => {
  it('answers STORE_REJECTED once, without retrying, for a window older than the retention policy', async () => {
    const database = nextDatabase();
    await influxQuery(influxd.url, `CREATE DATABASE "${database}" WITH DURATION 1h`);
    const srv = await startTestServer({ env: influxEnv(database) });
    try {
      const before = await writeRequests();
      const rest = await rawRequest(`${srv.url}/api/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(originalReport),
      });
      expect(rest.status).toBe(422);
      expect(rest.json).toMatchObject({ code: 'STORE_REJECTED' });
      expect(JSON.stringify(rest.json)).toContain('beyond retention policy');
      expect(rest.headers['retry-after']).toBeUndefined();
      expect((await writeRequests()) - before).toBe(1);
    } finally {
      await srv.stop();
    }
  });

  it('gives each report of a refused group its own answer: the good one is stored', async () => {
    const database = nextDatabase();
    await influxQuery(influxd.url, `CREATE DATABASE "${database}" WITH DURATION 1h`);
    const srv = await startTestServer({ env: influxEnv(database) });
    try {
      const now = Date.now();
      const [old, fresh] = await Promise.all([
        graphql(srv.url, REPORT_MUTATION, { input: reportInput({ clientId: 'old' }) }),
        graphql(srv.url, REPORT_MUTATION, {
          input: reportInput({ clientId: 'fresh', windowStart: iso(now - 10_000), windowEnd: iso(now) }),
        }),
      ]);
      expect(old.body.errors?.[0]?.extensions).toMatchObject({ code: 'STORE_REJECTED' });
      expect(fresh.body.errors).toBeUndefined();
      const stored = await influxQuery(
        influxd.url,
        `SELECT count("utilization_mean") FROM "cpu" GROUP BY "client_id"`,
        database,
      );
      expect(stored.results[0]?.series?.map((s) => s.tags?.client_id)).toEqual(['fresh']);
    } finally {
      await srv.stop();
    }
  });

  it('names a field type conflict with an existing database', async () => {
    const database = nextDatabase();
    await influxQuery(influxd.url, `CREATE DATABASE "${database}"`);
    // Field types are fixed per shard: the conflicting point lies in the same week as the report's window.
    const written = await fetch(`${influxd.url}/write?db=${database}&precision=ms`, {
      method: 'POST',
      body: `cpu,client_id=other utilization_mean="text" ${T0 + 60_000}`,
    });
    expect(written.status).toBe(204);
    const srv = await startTestServer({ env: influxEnv(database) });
    try {
      const res = await graphql(srv.url, REPORT_MUTATION, { input: reportInput() });
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'STORE_REJECTED' });
      expect(res.body.errors?.[0]?.message).toMatch(/field type conflict/);
    } finally {
      await srv.stop();
    }
  });
});

describe.skipIf(!available)('InfluxQL injection', () => {
  let srv: TestServer;
  let store: InfluxMetricStore;
  const sent: string[] = [];
  const database = () => `inj${process.pid}`;

  beforeAll(async () => {
    store = createInfluxMetricStore({
      url: influxd.url,
      api: 'v1',
      database: database(),
      retention: null,
      onQuery: (q) => sent.push(q),
    });
    srv = await startTestServer({ metrics: store });
    const res = await graphql(srv.url, REPORT_MUTATION, { input: reportInput({ clientId: 'victim' }) });
    expect(res.body.errors).toBeUndefined();
  });
  afterAll(() => srv?.stop());

  const crafted = [
    "x' OR \"client_id\" =~ /.*/ OR 'a'='a",
    '\'; DROP DATABASE "inj"; SELECT \'',
    "x\\' OR 1=1 --",
    'x" FROM "memory',
    "victim'",
    "\\'; DROP MEASUREMENT cpu; --",
  ];

  const history = (clientId: string) =>
    graphql(
      srv.url,
      `query ($c: ID) { metricHistory(metric: CPU_UTILIZATION, clientId: $c, from: "2025-12-31T00:00:00Z", to: "2026-01-02T00:00:00Z") { points { value } } }`,
      { c: clientId },
    );

  it.each(crafted)('a crafted client id stays one string literal: %s', async (clientId) => {
    sent.length = 0;
    expect((await history('x')).body).toEqual({ data: { metricHistory: { points: [] } } });
    const harmless = [...sent];
    expect(harmless).toHaveLength(1);
    expect(harmless[0]).toContain(`"client_id" = 'x'`);

    sent.length = 0;
    expect((await history(clientId)).body).toEqual({ data: { metricHistory: { points: [] } } });
    if (clientId.includes('\\')) {
      // No stored id has a backslash (ingest refuses them): answered without sending anything.
      expect(sent).toEqual([]);
    } else {
      // The literal, escaped, is the only difference from the harmless statement.
      const literal = `'${clientId.replace(/[\\']/g, (c) => `\\${c}`)}'`;
      expect(sent).toHaveLength(1);
      expect(sent[0]?.replace(literal, "'x'")).toBe(harmless[0]);
    }
    // The victim's window is still there, reachable by its own id only.
    expect((await history('victim')).body.data.metricHistory.points).toHaveLength(1);
  });

  it('a crafted metric name or duration is refused before any InfluxQL is sent', async () => {
    sent.length = 0;
    const restMetric = await rawRequest(
      `${srv.url}/api/v1/metrics/${encodeURIComponent('cpuLoadAvg" FROM "memory')}/byUser/victim?start=0&end=1&resample_rate=15m`,
    );
    expect(restMetric.status).toBe(404);
    expect(restMetric.json).toMatchObject({ code: 'UNKNOWN_METRIC' });
    const restDuration = await rawRequest(
      `${srv.url}/api/v1/metrics/cpuLoadAvg/byUser/victim?start=0&end=1&resample_rate=${encodeURIComponent('15m) fill(linear); DROP DATABASE x; --')}`,
    );
    expect(restDuration.status).toBe(400);
    expect(restDuration.json).toMatchObject({ code: 'INVALID_DURATION' });
    const gqlMetric = await graphql(
      srv.url,
      '{ metricHistory(metric: "CPU_UTILIZATION\\" OR 1=1") { points { value } } }',
    );
    expect(gqlMetric.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const gqlDuration = await graphql(
      srv.url,
      'query ($r: Duration) { metricHistory(metric: CPU_UTILIZATION, resample: $r) { points { value } } }',
      { r: '1m) fill(none); DROP DATABASE x' },
    );
    expect(gqlDuration.body.errors?.[0]?.extensions?.code).toBe('INVALID_DURATION');
    expect(sent).toEqual([]);
  });
});

/**
 * A pass-through proxy in front of the real influxd that answers the next `failures` write requests
 * itself with `status`, to see what the store does with a blip or a refusal it cannot cause otherwise.
 */
async function faultyProxy(target: string) {
  const url = new URL(target);
  const state = { failures: 0, status: 503, writes: 0 };
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/write')) {
      state.writes += 1;
      if (state.failures > 0) {
        state.failures -= 1;
        req.resume();
        res.writeHead(state.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `injected ${state.status}` }));
        return;
      }
    }
    const upstream = request(
      { host: url.hostname, port: url.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe.skipIf(!available)('InfluxDB write retries', () => {
  let proxy: Awaited<ReturnType<typeof faultyProxy>>;
  let srv: TestServer;
  let window = 0;
  const report = () => {
    const start = T0 + window++ * 10_000;
    return graphql(srv.url, REPORT_MUTATION, {
      input: reportInput({ windowStart: iso(start), windowEnd: iso(start + 10_000) }),
    });
  };

  beforeAll(async () => {
    proxy = await faultyProxy(influxd.url);
    srv = await startTestServer({ env: { ...influxEnv(nextDatabase()), INFLUX_URL: proxy.url } });
  });
  afterAll(async () => {
    await srv?.stop();
    await proxy?.close();
  });

  it('retries a 5xx blip in the foreground and acknowledges once InfluxDB stored the window', async () => {
    expect((await report()).body.errors).toBeUndefined();
    proxy.state.writes = 0;
    proxy.state.failures = 1;
    proxy.state.status = 503;
    expect((await report()).body.errors).toBeUndefined();
    expect(proxy.state.writes).toBe(2);
  });

  it('gives up after two retries with the retryable STORE_UNAVAILABLE, and writes nothing later', async () => {
    proxy.state.writes = 0;
    proxy.state.failures = 3;
    proxy.state.status = 500;
    const res = await report();
    expect(res.body.errors?.[0]?.extensions).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      retryable: true,
      outcome: 'UNKNOWN',
    });
    expect(proxy.state.writes).toBe(3);
    // Nothing is retried in the background: the next report is the next write request.
    expect((await report()).body.errors).toBeUndefined();
    expect(proxy.state.writes).toBe(4);
  });

  it.each([401, 403, 404, 429])(
    'treats %i from InfluxDB as unavailable (retryable), not as bad points',
    async (status) => {
      proxy.state.failures = 3;
      proxy.state.status = status;
      const res = await report();
      // InfluxDB answered with a refusal: it stored nothing.
      expect(res.body.errors?.[0]?.extensions).toMatchObject({
        code: 'STORE_UNAVAILABLE',
        retryable: true,
        outcome: 'NOT_STORED',
      });
      proxy.state.failures = 0;
    },
  );
});

describe('InfluxDB configuration (loadConfig)', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('defaults to the v2 API on localhost, reading the bucket as the database', () => {
    expect(loadConfig({ STORE: 'influxdb' }).influx).toEqual({
      url: 'http://127.0.0.1:8086',
      api: 'v2',
      bucket: 'metrics',
      database: 'metrics',
      gzip: false,
    });
    expect(loadConfig({}).influx).toBeNull();
  });

  it('takes v1 settings', () => {
    const config = loadConfig({
      STORE: 'influxdb',
      INFLUX_API: 'v1',
      INFLUX_URL: 'https://influx.example:8086',
      INFLUX_DATABASE: 'hosts',
      INFLUX_RETENTION_POLICY: 'two_weeks',
      INFLUX_USERNAME: 'writer',
      INFLUX_PASSWORD: 'secret',
    });
    expect(config.influx).toEqual({
      url: 'https://influx.example:8086',
      api: 'v1',
      database: 'hosts',
      retentionPolicy: 'two_weeks',
      username: 'writer',
      password: 'secret',
      gzip: true,
    });
  });

  it('gzips writes unless InfluxDB is on loopback, or as INFLUX_GZIP says', () => {
    const gzip = (env: Record<string, string>) => loadConfig({ STORE: 'influxdb', ...env }).influx?.gzip;
    expect(gzip({ INFLUX_URL: 'http://localhost:8086' })).toBe(false);
    expect(gzip({ INFLUX_URL: 'http://[::1]:8086' })).toBe(false);
    expect(gzip({ INFLUX_URL: 'http://influxdb:8086' })).toBe(true);
    expect(gzip({ INFLUX_URL: 'http://127.0.0.1:8086', INFLUX_GZIP: 'on' })).toBe(true);
    expect(gzip({ INFLUX_URL: 'http://influxdb:8086', INFLUX_GZIP: 'off' })).toBe(false);
  });

  it('names every problem: a bad URL, an unknown API, variables of the other API', () => {
    expect(
      problems({
        STORE: 'influxdb',
        INFLUX_URL: 'ftp://x',
        INFLUX_API: 'v3',
      }),
    ).toEqual([expect.stringMatching(/^INFLUX_URL: /), expect.stringMatching(/^INFLUX_API: /)]);
    expect(problems({ STORE: 'influxdb', INFLUX_API: 'v1', INFLUX_TOKEN: 't' })).toEqual([
      'INFLUX_TOKEN: only applies with INFLUX_API=v2',
    ]);
    expect(problems({ STORE: 'influxdb', INFLUX_USERNAME: 'u' })).toEqual([
      'INFLUX_USERNAME: only applies with INFLUX_API=v1',
    ]);
    expect(problems({ STORE: 'influxdb', INFLUX_API: 'v1', INFLUX_PASSWORD: 'p' })).toEqual([
      'INFLUX_PASSWORD: is set but INFLUX_USERNAME is not',
    ]);
    expect(problems({ STORE: 'postgres' })).toEqual([expect.stringMatching(/^STORE: /)]);
  });
});

describe.skipIf(!available)('InfluxQL plan', () => {
  it('pools with one flat statement, and adds one shifted pass only where Σx²/N − M² would cancel', async () => {
    const sent: string[] = [];
    const store = createInfluxMetricStore({
      url: influxd.url,
      api: 'v1',
      database: nextDatabase(),
      retention: null,
      onQuery: (q) => sent.push(q),
    });
    try {
      const window = (metric: 'CPU_UTILIZATION' | 'MEMORY_USED_BYTES', i: number, mean: number) => ({
        clientId: 'a',
        metric,
        core: null,
        windowStart: T0 + i * 10_000,
        windowEnd: T0 + (i + 1) * 10_000,
        count: 10,
        mean,
        variance: 0.5,
        min: mean - 1,
        max: mean + 1,
      });
      await store.write([
        ...[0.2, 0.4, 0.6].map((m, i) => window('CPU_UTILIZATION', i, m / 4)),
        ...[1, 2, 3].map((d, i) => window('MEMORY_USED_BYTES', i, 8e12 + d)),
      ]);
      const selector = { clientId: 'a', core: null, from: T0, to: T0 + 60_000 };
      sent.length = 0;
      const [cpu] = await store.history({ ...selector, metric: 'CPU_UTILIZATION' }, 60_000, 'MEAN');
      expect(sent).toHaveLength(1);
      expect(sent[0]).not.toContain('FROM (');
      expect(cpu?.variance).toBeCloseTo(0.5 + (0.05 ** 2 * 2) / 3, 12);

      sent.length = 0;
      const [bytes] = await store.history({ ...selector, metric: 'MEMORY_USED_BYTES' }, 60_000, 'MEAN');
      expect(sent).toHaveLength(2);
      expect(sent[1]).toContain('FROM (');
      // Within-window 0.5, between windows ((−1)² + 0² + 1²) / 3: exact despite means near 8e12.
      expect(bytes?.variance).toBeCloseTo(0.5 + 2 / 3, 9);
      expect(bytes?.mean).toBe(8e12 + 2);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!available)('InfluxDB 1.x with auth on (INFLUX_USERNAME, INFLUX_PASSWORD)', () => {
  let secured: RealServer;
  beforeAll(async () => {
    secured = await startInfluxd({ auth: true });
    // The first user of an InfluxDB with auth on is created without credentials and must be an admin.
    await influxQuery(secured.url, "CREATE USER admin WITH PASSWORD 'admin-secret' WITH ALL PRIVILEGES");
  });
  afterAll(async () => {
    await secured?.stop();
  });
  const env = (password: string) => ({
    STORE: 'influxdb',
    INFLUX_API: 'v1',
    INFLUX_URL: secured.url,
    INFLUX_DATABASE: 'secured',
    INFLUX_USERNAME: 'admin',
    INFLUX_PASSWORD: password,
  });

  it('creates the database, writes and reads with basic auth', async () => {
    const srv = await startTestServer({ env: env('admin-secret') });
    try {
      expect((await graphql(srv.url, REPORT_MUTATION, { input: reportInput() })).body.errors).toBeUndefined();
      const history = await graphql(
        srv.url,
        '{ metricHistory(metric: CPU_UTILIZATION, clientId: "host-a", from: "2026-01-01T00:00:00Z", to: "2026-01-01T01:00:00Z") { points { value count } } }',
      );
      expect(history.body.data.metricHistory.points).toEqual([{ value: 0.5, count: 10 }]);
      expect((await rawRequest(`${srv.url}/ready`)).status).toBe(200);
    } finally {
      await srv.stop();
    }
  });

  it('with a wrong password: reports are retryable STORE_UNAVAILABLE and /ready says not ready', async () => {
    const srv = await startTestServer({ env: env('wrong-password') });
    try {
      const res = await graphql(srv.url, REPORT_MUTATION, { input: reportInput() });
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
      expect((await rawRequest(`${srv.url}/ready`)).status).toBe(503);
    } finally {
      await srv.stop();
    }
  });
});
