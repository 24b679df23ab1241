/**
 * deploy/nginx.conf, the load balancer of docker-compose.yml, run by Debian's nginx in front of two
 * replicas (separate processes of dist/main.js) on PostgreSQL, Redis and InfluxDB: requests spread over
 * both, WebSocket upgrades pass with the page's Origin still its own, live events cross replicas, and
 * with one replica killed every report still lands, once.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ensureBuilt } from '../../scripts/build.mjs';
import { originalReport } from '../../testing/fixtures.js';
import { type LogProcess, startLogProcess } from '../../testing/log-process.js';
import { nginxBinary, startNginx } from '../../testing/nginx.js';
import {
  hasBinary,
  influxdBinary,
  type RealServer,
  redisBinary,
  startRedis,
} from '../../testing/real-servers.js';
import { rawRequest } from './helpers.js';
import { influxd, startInfluxdForFile } from './influxd.js';
import { hasPostgres, postgresDatabase, startPostgresForFile } from './postgres.js';
import { collect, waitFor, wsClient } from './ws-helpers.js';

const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const nginxConf = readFileSync(new URL('../../deploy/nginx.conf', import.meta.url), 'utf8');
const available =
  hasPostgres() && hasBinary(redisBinary) && hasBinary(influxdBinary) && hasBinary(nginxBinary);
startPostgresForFile();
startInfluxdForFile();

const CLIENT = 'lb-host';
const QUARTER = 15 * 60_000;
const first = Date.parse('2018-07-12T12:00:00.000Z');

/** The original REST report of window `i` (15 minutes apart), its CPU mean `i / 100`. */
function report(i: number, clientId = CLIENT) {
  const start = first + i * QUARTER;
  const [cpu] = originalReport.metrics;
  return {
    ...originalReport,
    user_id: clientId,
    start_timestamp: start,
    end_timestamp: start + 5_000,
    metrics: [{ ...cpu, avg_utilization: i / 100 }],
  };
}

/** Posts window `i` through `url`; as an agent does, sends it again on a 502 (a replica that died mid-request). */
async function post(url: string, i: number, clientId = CLIENT): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const answer = await rawRequest(`${url}/api/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(report(i, clientId)),
    });
    if (answer.status !== 502 || attempt === 3) return answer.status;
  }
}

/** The stored CPU means of CLIENT, one per window, through `url`. */
async function storedMeans(url: string): Promise<number[]> {
  const range = `start=2018-07-12T00:00:00Z&end=2018-07-13T00:00:00Z&resample_rate=15m`;
  const answer = await rawRequest(`${url}/api/v1/metrics/cpuLoadAvg/byUser/${CLIENT}?${range}`);
  expect(answer.status).toBe(200);
  return (answer.json as { entries: { value: number }[] }).entries.map((e) => Math.round(e.value * 100));
}

/** REST reports a replica stored, from its own /metrics. */
async function storedBy(url: string): Promise<number> {
  const text = (await rawRequest(`${url}/metrics`)).text;
  const line = text
    .split('\n')
    .find((l) => l.startsWith('metrics_collector_reports_total{transport="rest",outcome="stored"}'));
  return Number(line?.split(' ').pop() ?? 0);
}

describe.skipIf(!available)('deploy/nginx.conf in front of two replicas', () => {
  let redis: RealServer;
  let nginx: RealServer;
  const replicas: { url: string; run: LogProcess; dir: string }[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    redis = await startRedis();
    const env = {
      DATABASE_URL: await postgresDatabase(),
      REDIS_URL: redis.url,
      STORE: 'influxdb',
      INFLUX_URL: influxd.url,
      INFLUX_API: 'v1',
      INFLUX_DATABASE: 'load_balancer',
      PORT: '0',
      LOG_LEVEL: 'info',
    };
    for (let i = 0; i < 2; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'mc-lb-replica-'));
      const run = startLogProcess(main, [], { ...env, DATA_DIR: dir }, { tsx: false });
      replicas.push({ run, dir, url: '' });
    }
    for (const replica of replicas) {
      const line = await replica.run.waitFor((l) => l.msg === 'listening', 'listening');
      replica.url = (line.url as string).replace(/\/graphql$/, '');
    }
    const [a, b] = replicas.map((r) => new URL(r.url).host);
    nginx = await startNginx((port) =>
      nginxConf
        .replace('server server-1:8888', `server ${a}`)
        .replace('server server-2:8888', `server ${b}`)
        .replace('listen 8888;', `listen 127.0.0.1:${port};`),
    );
  }, 120_000);
  afterAll(async () => {
    await nginx?.stop();
    for (const { run } of replicas) run.child.kill('SIGTERM');
    await Promise.all(replicas.map((r) => r.run.exited));
    for (const { dir } of replicas) rmSync(dir, { recursive: true, force: true });
    await redis?.stop();
  });

  it('spreads reports over both replicas; a subscriber through it sees every one, whichever replica stored it', async () => {
    const live = wsClient(nginx.url);
    const all = collect<{ metricReported: { clientId: string } }>(
      live,
      'subscription { metricReported { clientId } }',
    );
    // The subscription is live once a probe report reaches it.
    let probe = 0;
    await waitFor(
      async () => {
        if (all.events.length > 0) return true;
        expect(await post(nginx.url, probe++, 'lb-probe')).toBe(200);
        return false;
      },
      'a probe report on the subscription',
      60_000,
    );
    for (let i = 0; i < 10; i++) expect(await post(nginx.url, i)).toBe(200);
    await waitFor(
      async () => all.events.filter((e) => e.metricReported.clientId === CLIENT).length === 10,
      'ten events',
      60_000,
    );
    expect(all.errors).toEqual([]);
    const [a = 0, b = 0] = await Promise.all(replicas.map((r) => storedBy(r.url)));
    expect(a + b).toBe(10 + probe);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    expect(await storedMeans(nginx.url)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    all.close();
    await live.dispose();
  });

  it("passes a WebSocket upgrade from a page of the balancer's own origin, and refuses another site's", async () => {
    const open = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`${nginx.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', {
          headers: { origin },
        });
        socket.once('open', () => {
          socket.close();
          resolve(101);
        });
        socket.once('unexpected-response', (_req, res) => {
          socket.terminate();
          resolve(res.statusCode ?? 0);
        });
        socket.on('error', reject);
      });
    expect(await open(nginx.url)).toBe(101);
    expect(await open('https://evil.example')).toBe(403);
  });

  it('with one replica killed (SIGKILL), sends every report to the other: each window stored once', async () => {
    const [a] = replicas;
    a?.run.child.kill('SIGKILL');
    await a?.run.exited;
    for (let i = 10; i < 20; i++) expect(await post(nginx.url, i)).toBe(200);
    expect(await storedMeans(nginx.url)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
