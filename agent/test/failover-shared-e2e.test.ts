import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@metrics-collector/sdk/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../scripts/build.mjs';
import { createInfluxMetricStore } from '../../server/src/metrics/influx/store.js';
import { influxd, startInfluxdForFile } from '../../server/test/influxd.js';
import { hasPostgres, postgresDatabase, startPostgresForFile } from '../../server/test/postgres.js';
import { type LogProcess, startLogProcess } from '../../testing/log-process.js';
import {
  freePort,
  hasBinary,
  influxdBinary,
  type RealServer,
  redisBinary,
  startRedis,
} from '../../testing/real-servers.js';
import { startAgentProcess } from './agent-process.js';

// Two replicas (dist/main.js, as the Dockerfile runs it) sharing PostgreSQL, Redis and InfluxDB: the agent
// reports to A, takes a command sent through B, then moves to B when A is killed; every window it closed
// is in the shared InfluxDB.
const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const available = hasPostgres() && hasBinary(redisBinary) && hasBinary(influxdBinary);
startPostgresForFile();
startInfluxdForFile();

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function started(run: LogProcess): LogProcess {
  cleanups.push(async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  });
  return run;
}

const countOf = (run: LogProcess, msg: string) => run.lines.filter((l) => l.msg === msg).length;

describe.skipIf(!available)('the agent with two replicas sharing PostgreSQL, Redis and InfluxDB', () => {
  let redis: RealServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    await ensureBuilt();
    redis = await startRedis();
    env = {
      DATABASE_URL: await postgresDatabase(),
      REDIS_URL: redis.url,
      STORE: 'influxdb',
      INFLUX_URL: influxd.url,
      INFLUX_API: 'v1',
      INFLUX_DATABASE: 'failover',
    };
  }, 120_000);
  afterAll(() => redis?.stop());

  async function replica() {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'mc-shared-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const run = started(startLogProcess(main, [], { ...env, DATA_DIR: dataDir, PORT: String(port) }));
    await run.waitFor((l) => l.msg === 'listening', 'listening');
    return { run, url: `http://127.0.0.1:${port}/graphql` };
  }

  it('applies once a command sent through B, then moves to B on SIGKILL of A: every window stored', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const spool = mkdtempSync(join(tmpdir(), 'mc-shared-spool-'));
    cleanups.push(() => rmSync(spool, { recursive: true, force: true }));
    const agent = started(
      startAgentProcess([
        ...['--server', `${a.url},${b.url}`, '--client-id', 'e2e-shared', '--spool-dir', spool],
        ...['--sampling-interval', '50ms', '--report-interval', '1s', '--retry-max', '1s'],
      ]),
    );
    await agent.waitFor(
      (l) => l.msg === 'window acknowledged' && countOf(agent, l.msg) >= 3,
      'three windows on A',
    );
    // The agent follows its commands on A; the operator sends one through B.
    const admin = createClient({ url: b.url, retry: false });
    cleanups.push(() => admin.close());
    const command = await admin.setSamplingInterval({ clientId: 'e2e-shared', intervalMs: 100 });
    const applied = await agent.waitFor(
      (l) => l.msg === 'command' && l.command === command.id,
      'the command',
    );
    expect(applied).toMatchObject({ outcome: 'APPLIED', acknowledged: true });
    const listed = await admin.agentCommands({ clientId: 'e2e-shared' });
    expect(listed.map((c) => [c.id, c.status])).toEqual([[command.id, 'APPLIED']]);

    a.run.child.kill('SIGKILL');
    await a.run.exited;
    await agent.waitFor((l) => l.msg === 'the server failed; moving to the next one', 'the move');
    const ackedBefore = countOf(agent, 'window acknowledged');
    await agent.waitFor(
      (l) => l.msg === 'window acknowledged' && countOf(agent, l.msg) >= ackedBefore + 3,
      'three more windows on B',
    );
    agent.child.kill('SIGTERM');
    expect(await agent.exited, agent.problems()).toBe(0);
    expect(agent.lines.at(-1)).toMatchObject({ msg: 'agent stopped', leftInSpool: 0, dropped: 0 });
    // The command was applied once: one `command` line for it.
    expect(agent.lines.filter((l) => l.msg === 'command' && l.command === command.id)).toHaveLength(1);

    // Buckets of 1 s: the first windows after a start are shorter than the report interval and share one.
    const spooled = [
      ...new Set(
        agent.lines
          .filter((l) => l.msg === 'window spooled')
          .map((l) => Math.floor((l.windowStart as number) / 1_000) * 1_000),
      ),
    ];
    const store = createInfluxMetricStore({
      url: influxd.url,
      api: 'v1',
      database: 'failover',
      retention: null,
      retentionInterval: 0,
    });
    try {
      const selector = {
        metric: 'CPU_UTILIZATION' as const,
        clientId: 'e2e-shared',
        core: null,
        from: 0,
        to: Date.now() + 60_000,
      };
      const buckets = await store.history(selector, 1_000, 'MEAN');
      expect(buckets.filter((x) => x.count > 0).map((x) => x.start)).toEqual(spooled);
    } finally {
      await store.close();
    }
  }, 180_000);
});
