import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { influxQuery, type RealServer, startInfluxd } from '../../../testing/real-servers.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { graphql, rawRequest, startTestServer } from '../helpers.js';
import { available } from './setup.js';

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
