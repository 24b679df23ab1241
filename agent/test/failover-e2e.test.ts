import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@metrics-collector/sdk/node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../scripts/build.mjs';
import { createSqliteMetricStore } from '../../server/src/metrics/sqlite/store.js';
import { type LogProcess, startLogProcess } from '../../testing/log-process.js';
import { freePort } from '../../testing/real-servers.js';
import { type LogLine, startAgentProcess } from './agent-process.js';

// Two servers as separate processes (the bundle of main.ts, as the Dockerfile runs it), each on its own data
// folder: the agent's failover is what is tested here; replicas sharing their stores are in the server's tests.
const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
beforeAll(() => ensureBuilt(), 120_000);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function started(run: LogProcess): LogProcess {
  cleanups.push(async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  });
  return run;
}

async function server() {
  const port = await freePort();
  const dataDir = tempDir('mc-failover-');
  const run = started(startLogProcess(main, [], { DATA_DIR: dataDir, PORT: String(port) }));
  await run.waitFor((l) => l.msg === 'listening', 'listening');
  return { run, dataDir, url: `http://127.0.0.1:${port}/graphql` };
}

/** The window starts a server's data folder holds for `clientId` (its CPU series, one bucket per 1 s window). */
async function storedWindows(dataDir: string, clientId: string): Promise<number[]> {
  const store = createSqliteMetricStore({ dataDir, retention: null });
  try {
    const selector = {
      metric: 'CPU_UTILIZATION' as const,
      clientId,
      core: null,
      from: 0,
      to: Date.now() + 60_000,
    };
    const buckets = await store.history(selector, 1_000, 'MEAN');
    return buckets.filter((b) => b.count > 0).map((b) => b.start);
  } finally {
    await store.close();
  }
}

const countOf = (run: LogProcess, msg: string) => run.lines.filter((l) => l.msg === msg).length;

describe('the agent with two servers', () => {
  it('moves to the second when the first is killed with SIGKILL, and every window is stored', async () => {
    const a = await server();
    const b = await server();
    const spool = tempDir('mc-failover-spool-');
    const agent = started(
      startAgentProcess([
        ...['--server', `${a.url},${b.url}`, '--client-id', 'e2e-failover', '--spool-dir', spool],
        ...['--sampling-interval', '50ms', '--report-interval', '1s', '--retry-max', '1s'],
      ]),
    );
    await agent.waitFor(
      (l) => l.msg === 'window acknowledged' && countOf(agent, l.msg) >= 4,
      'four windows on A',
    );
    a.run.child.kill('SIGKILL');
    await a.run.exited;
    const moved = await agent.waitFor(
      (l) => l.msg === 'the server failed; moving to the next one',
      'the move',
    );
    expect(moved).toMatchObject({ from: a.url, to: b.url });
    const ackedBefore = countOf(agent, 'window acknowledged');
    await agent.waitFor(
      (l) => l.msg === 'window acknowledged' && countOf(agent, l.msg) >= ackedBefore + 3,
      'three more windows on B',
    );
    // The command stream moved too: a command sent through B is applied and acknowledged there.
    const admin = createClient({ url: b.url, retry: false });
    cleanups.push(() => admin.close());
    const command = await admin.setSamplingInterval({ clientId: 'e2e-failover', intervalMs: 100 });
    const applied = await agent.waitFor(
      (l) => l.msg === 'command' && l.command === command.id,
      'the command',
    );
    expect(applied).toMatchObject({ outcome: 'APPLIED', acknowledged: true });
    agent.child.kill('SIGTERM');
    expect(await agent.exited, agent.problems()).toBe(0);
    expect(agent.lines.at(-1)).toMatchObject({
      msg: 'agent stopped',
      leftInSpool: 0,
      dropped: 0,
      refused: 0,
    });
    b.run.child.kill('SIGTERM');
    await b.run.exited;

    // Buckets of 1 s: the first windows after a start are shorter than the report interval and share one.
    const spooled = [
      ...new Set(
        agent.lines
          .filter((l) => l.msg === 'window spooled')
          .map((l) => Math.floor((l.windowStart as number) / 1_000) * 1_000),
      ),
    ];
    const onA = await storedWindows(a.dataDir, 'e2e-failover');
    const onB = await storedWindows(b.dataDir, 'e2e-failover');
    // Every window the agent closed is stored, on A until the kill and on B after it.
    expect([...new Set([...onA, ...onB])].sort((x, y) => x - y)).toEqual(spooled);
    expect(onA.length).toBeGreaterThanOrEqual(3);
    expect(onB.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...onA)).toBeLessThan(Math.max(...onB));
    // A window on both only when its send to A failed after A stored it (the kill came before the answer).
    const failed = new Set(
      agent.lines
        .filter((l: LogLine) => l.msg === 'sending a window failed; it stays in the spool')
        .map((l) => Math.floor((l.windowStart as number) / 1_000) * 1_000),
    );
    expect(onA.filter((w) => onB.includes(w) && !failed.has(w))).toEqual([]);
  }, 120_000);
});
