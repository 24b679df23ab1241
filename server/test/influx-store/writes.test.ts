import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { influxQuery } from '../../../testing/real-servers.js';
import { graphql, rawRequest, startTestServer, type TestServer } from '../helpers.js';
import { available, influxd, influxEnv, iso, nextDatabase, startInfluxdForFile, T0 } from './setup.js';

startInfluxdForFile();

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

/**
 * A pass-through proxy in front of the real influxd that answers the next `failures` write requests
 * itself with `status`, to see what the store does with a blip or a refusal it cannot cause otherwise.
 */
async function faultyProxy(target: string) {
  const url = new URL(target);
  /** `holdNext`: the next write is forwarded after this many ms (later writes are not held). */
  const state = { failures: 0, status: 503, writes: 0, holdNext: 0 };
  let release = () => {};
  const server = createServer(async (req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/write')) {
      state.writes += 1;
      const hold = state.holdNext;
      state.holdNext = 0;
      if (hold > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, hold);
          release = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
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
    /** Forwards the held write now. */
    release: () => release(),
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

  it('writes a copy of a window only once the write holding an earlier copy ended', async () => {
    // Copy A's write is held; copy B, sent meanwhile, could reach InfluxDB first in a write of its own.
    const input = (mean: number) =>
      reportInput({
        windowStart: iso(T0 - 10_000),
        windowEnd: iso(T0),
        cpu: { utilization: { mean, variance: 0, min: mean, max: mean }, cores: [] },
      });
    proxy.state.holdNext = 500;
    const a = graphql(srv.url, REPORT_MUTATION, { input: input(0.25) });
    // B once A's write is on its way (the proxy counted it).
    const writes = proxy.state.writes;
    while (proxy.state.writes === writes) await new Promise((resolve) => setTimeout(resolve, 5));
    const b = graphql(srv.url, REPORT_MUTATION, { input: input(0.75) });
    expect((await a).body.errors).toBeUndefined();
    expect((await b).body.errors).toBeUndefined();
    const stored = await graphql(
      srv.url,
      `{ metricHistory(metric: CPU_UTILIZATION, clientId: "host-a", from: "${iso(T0 - 10_000)}", to: "${iso(T0)}") { points { value } } }`,
    );
    expect(stored.body.data).toEqual({ metricHistory: { points: [{ value: 0.75 }] } });
  });

  it('sends another window while a write is held, in a second request in flight', async () => {
    proxy.state.holdNext = 60_000; // released by the second write's answer below, not by the clock
    const writes = proxy.state.writes;
    const held = report();
    while (proxy.state.writes === writes) await new Promise((resolve) => setTimeout(resolve, 5));
    const other = await report();
    expect(other.body.errors).toBeUndefined();
    expect(proxy.state.writes).toBe(writes + 2);
    proxy.release();
    expect((await held).body.errors).toBeUndefined();
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
