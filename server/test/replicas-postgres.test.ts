/**
 * Two replicas as separate processes (dist/main.js, as the Dockerfile runs it) sharing PostgreSQL
 * (DATABASE_URL), Redis (REDIS_URL) and InfluxDB, each with its own DATA_DIR: the state they share is
 * where they read it, so any replica serves any agent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../scripts/build.mjs';
import { reportInput } from '../../testing/fixtures.js';
import { type LogProcess, startLogProcess } from '../../testing/log-process.js';
import {
  hasBinary,
  influxdBinary,
  type RealServer,
  redisBinary,
  startRedis,
} from '../../testing/real-servers.js';
import { ACK, type Command, LIST, SET_SAMPLING, STREAM } from './commands/cases.js';
import { fails, ok } from './helpers.js';
import { influxd, startInfluxdForFile } from './influxd.js';
import { hasPostgres, postgresDatabase, startPostgresForFile } from './postgres.js';
import { collect, waitFor, wsClient } from './ws-helpers.js';

const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const available = hasPostgres() && hasBinary(redisBinary) && hasBinary(influxdBinary);
startPostgresForFile();
startInfluxdForFile();

describe.skipIf(!available)('two replicas on PostgreSQL, Redis and InfluxDB', () => {
  let redis: RealServer;
  const runs: LogProcess[] = [];
  const dirs: string[] = [];
  let env: Record<string, string>;

  /** Starts one replica; resolves with its base URL once it listens. */
  async function replica(): Promise<string> {
    const dataDir = mkdtempSync(join(tmpdir(), 'mc-replica-'));
    dirs.push(dataDir);
    const run = startLogProcess(main, [], { ...env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' });
    runs.push(run);
    const url = (await run.waitFor((l) => l.msg === 'listening', 'listening')).url as string;
    return url.replace(/\/graphql$/, '');
  }

  beforeAll(async () => {
    await ensureBuilt();
    redis = await startRedis();
    env = {
      DATABASE_URL: await postgresDatabase(),
      REDIS_URL: redis.url,
      STORE: 'influxdb',
      INFLUX_URL: influxd.url,
      INFLUX_API: 'v1',
      INFLUX_DATABASE: 'replicas',
    };
  }, 120_000);
  afterAll(async () => {
    for (const run of runs) run.child.kill('SIGTERM');
    await Promise.all(runs.map((r) => r.exited));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await redis?.stop();
  });

  it('start at once (the migrations run once), and a command sent through B reaches the agent on A, APPLIED once', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const agent = wsClient(a);
    const stream = collect<{ agentCommands: Command }>(agent, STREAM, { clientId: 'agent-1' });
    // The subscription is live on A once a command sent before it is delivered through it.
    const first: Command = await ok(b, SET_SAMPLING, { clientId: 'agent-1', intervalMs: 2_000 });
    await stream.until(1);
    expect(stream.events[0]?.agentCommands).toMatchObject({ id: first.id, status: 'DELIVERED' });
    const second: Command = await ok(b, SET_SAMPLING, { clientId: 'agent-1', intervalMs: 500 });
    await stream.until(2);
    expect(stream.events[1]?.agentCommands).toMatchObject({ id: second.id, status: 'DELIVERED' });
    // The agent acknowledges through A, then again through B (a retry after a lost answer).
    expect(await ok(a, ACK, { id: second.id, status: 'APPLIED' })).toMatchObject({ status: 'APPLIED' });
    const again = await fails(b, ACK, { id: second.id, status: 'FAILED', message: 'retry' });
    expect(again.code).toBe('COMMAND_ALREADY_ACKNOWLEDGED');
    for (const url of [a, b]) {
      const listed: Command[] = await ok(url, LIST, { clientId: 'agent-1' });
      expect(listed.map((c) => [c.id, c.status])).toEqual([
        [second.id, 'APPLIED'],
        [first.id, 'DELIVERED'],
      ]);
    }
    stream.close();
    await agent.dispose();
  });

  it('lists a client that reported to A through B', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const REPORT = 'mutation ($input: ReportMetricsInput!) { reportMetrics(input: $input) { points } }';
    await ok(a, REPORT, { input: reportInput({ clientId: 'agent-2', hostname: 'two.example' }) });
    const CLIENT = 'query ($id: ID!) { client(id: $id) { id hostname } }';
    await waitFor(async () => (await ok(b, CLIENT, { id: 'agent-2' })) !== null, 'agent-2 on B');
    expect(await ok(b, CLIENT, { id: 'agent-2' })).toEqual({ id: 'agent-2', hostname: 'two.example' });
  });
});
