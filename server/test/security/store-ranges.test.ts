import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, influxdBinary, type RealServer, startInfluxd } from '../../../testing/real-servers.js';
import { createInfluxMetricStore } from '../../src/metrics/influx/store.js';
import { graphql, rawRequest, startTestServer, type TestServer } from '../helpers.js';

/**
 * Ranges and resamples past what a store can hold are refused by the service with the same 400 on every
 * store, before the store is asked; InfluxDB used to answer 500 (`overflowed duration`) where SQLite
 * answered 200. The boundary itself is served by both.
 */
const available = hasBinary(influxdBinary);
let influxd: RealServer | undefined;
const servers: { name: string; srv: TestServer }[] = [];

beforeAll(async () => {
  servers.push({ name: 'sqlite', srv: await startTestServer() });
  if (available) {
    influxd = await startInfluxd();
    const metrics = createInfluxMetricStore({
      url: influxd.url,
      api: 'v1',
      database: 'ranges',
      retention: null,
      retentionInterval: 0,
    });
    servers.push({ name: 'influxdb', srv: await startTestServer({ metrics }) });
  }
});

afterAll(async () => {
  for (const { srv } of servers) await srv.stop();
  await influxd?.stop();
});

const LAST = '2262-04-11T23:47:16.854Z';
const history = (args: string) =>
  `{ metricHistory(metric: CPU_UTILIZATION, ${args}) { resample points { time value } } }`;

const refused: [string, string, { code: string; field: string }][] = [
  [
    'a range ending after 2262-04-11',
    history('from: "2262-01-01T00:00:00Z", to: "2300-01-01T00:00:00Z", resample: "30d"'),
    { code: 'INVALID_TIME_RANGE', field: 'to' },
  ],
  [
    'a range starting after 2262-04-11',
    history('from: "2263-01-01T00:00:00Z", to: "2264-01-01T00:00:00Z"'),
    { code: 'INVALID_TIME_RANGE', field: 'from' },
  ],
  [
    'a resample of 300 years',
    history('from: "2000-01-01T00:00:00Z", to: "2001-01-01T00:00:00Z", resample: "15600w"'),
    { code: 'BAD_USER_INPUT', field: 'resample' },
  ],
  [
    'the largest epoch milliseconds a date holds',
    history('from: 0, to: 8640000000000000, resample: "5200w"'),
    { code: 'INVALID_TIME_RANGE', field: 'to' },
  ],
];

describe.each(['sqlite', 'influxdb'])('time ranges on %s', (name) => {
  const server = () => {
    const found = servers.find((s) => s.name === name);
    if (!found) throw new Error(`no ${name} server (is influxd installed?)`);
    return found.srv;
  };
  it.skipIf(name === 'influxdb' && !available).each(refused)(
    'refuses %s with 400 before asking the store',
    async (_label, query, expected) => {
      const answer = await graphql(server().url, query, undefined, {
        accept: 'application/graphql-response+json',
      });
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions).toMatchObject(expected);
      expect(answer.body.data ?? null).toBeNull();
      // The same answer on both stores, message included.
      const sqlite = await graphql(servers[0]?.srv.url as string, query, undefined, {
        accept: 'application/graphql-response+json',
      });
      expect(answer.body.errors?.[0]?.message).toBe(sqlite.body.errors?.[0]?.message);
    },
  );

  it.skipIf(name === 'influxdb' && !available)(
    'serves the boundary: up to 2262-04-11, 100-year buckets',
    async () => {
      for (const query of [
        history(`from: "2262-01-01T00:00:00Z", to: "${LAST}", resample: "1d"`),
        history(`from: 0, to: "${LAST}", resample: "5214w"`),
        history(`from: 0, to: "${LAST}"`),
      ]) {
        const answer = await graphql(server().url, query);
        expect(answer.body.errors, query).toBeUndefined();
        expect(answer.status).toBe(200);
        expect(answer.body.data.metricHistory.points).toEqual([]);
      }
      // The REST shim, with the original's parameters.
      const rest = await rawRequest(
        `${server().url}/api/v1/metrics/cpuLoadAvg/byUser/someone?start=0&end=2300-01-01T00:00:00Z&resample_rate=30d`,
      );
      expect(rest.status).toBe(400);
      expect(rest.json).toMatchObject({ code: 'INVALID_TIME_RANGE' });
    },
  );
});
