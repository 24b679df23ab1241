import { describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { influxQuery } from '../../../testing/real-servers.js';
import { createInfluxMetricStore } from '../../src/metrics/influx/store.js';
import { graphql, rawRequest, startTestServer } from '../helpers.js';
import { available, influxd, influxEnv, iso, nextDatabase, startInfluxdForFile, T0 } from './setup.js';

startInfluxdForFile();

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
