import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient } from '@metrics-collector/sdk/node';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/test/helpers.js';
import { freePort } from '../../testing/real-servers.js';
import {
  type AgentProcess,
  arrivals,
  countingStore,
  type LogLine,
  startAgentProcess,
} from './agent-process.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A server on a fixed port and data folder that can be stopped and started again, counting arrivals. */
async function restartableServer() {
  const port = await freePort();
  const dataDir = tempDir('mc-agent-srv-');
  const counts = new Map<string, number>();
  let server: TestServer | null = null;
  const start = async () => {
    server = await startTestServer({
      env: { PORT: String(port) },
      dataDir,
      metrics: countingStore(dataDir, counts),
    });
  };
  const stop = async () => {
    await server?.stop({ keepData: true });
    server = null;
  };
  await start();
  cleanups.push(stop);
  return { url: `http://127.0.0.1:${port}/graphql`, counts, start, stop };
}

function agent(args: string[]): AgentProcess {
  const process = startAgentProcess(args);
  cleanups.push(async () => {
    if (process.child.exitCode === null && process.child.signalCode === null) {
      process.child.kill('SIGKILL');
      await process.exited;
    }
  });
  return process;
}

const spooled = (p: AgentProcess) => p.lines.filter((l) => l.msg === 'window spooled');
const acked = (p: AgentProcess) => p.lines.filter((l) => l.msg === 'window acknowledged');
const nth = (n: number, msg: string) => {
  let seen = 0;
  return (l: LogLine) => l.msg === msg && ++seen === n;
};

/** Checks that windows follow each other without a gap: each starts where the one before ended. */
function expectContiguous(windows: LogLine[]) {
  for (let i = 1; i < windows.length; i += 1) {
    expect(windows[i]?.windowStart, `window ${i} starts where window ${i - 1} ended`).toBe(
      windows[i - 1]?.windowEnd,
    );
  }
}

describe('the agent against a real server', () => {
  it('spools while the server is down for 30 s and then delivers every window exactly once, newest first', async () => {
    const server = await restartableServer();
    const spool = tempDir('mc-agent-spool-');
    const a = agent([
      ...['--server', server.url, '--client-id', 'e2e-outage', '--spool-dir', spool],
      ...['--sampling-interval', '100ms', '--report-interval', '1s', '--retry-max', '2s'],
    ]);
    // Stopped just after an acknowledgement, so that no report is half-way when the server goes.
    await a.waitFor(nth(3, 'window acknowledged'), 'three windows were acknowledged');
    // The command stream's WebSocket carries the reports too, once it is up (the first window, a single
    // sample, may close before it is).
    const vias = acked(a).map((l) => l.via);
    expect(vias.at(-1)).toBe('ws');
    expect(vias.slice(vias.indexOf('ws'))).toEqual(vias.slice(vias.indexOf('ws')).map(() => 'ws'));
    await server.stop();
    const ackedBefore = acked(a).length;
    const spooledBefore = spooled(a).length;
    await delay(31_000);
    const duringOutage = spooled(a).length - spooledBefore;
    expect(duringOutage).toBeGreaterThanOrEqual(25);
    expect(acked(a).length).toBe(ackedBefore);
    expect(a.lines.some((l) => l.msg === 'sending a window failed; it stays in the spool')).toBe(true);

    await server.start();
    const linesBeforeRestart = a.lines.length;
    const last = spooled(a).at(-1) as LogLine;
    await a.waitFor(
      (l) => l.msg === 'window acknowledged' && l.windowStart === last.windowStart,
      'the backlog was sent',
    );
    // After the outage the newest window went first, then the backlog oldest first.
    const firstAfter = acked(a)[ackedBefore] as LogLine;
    const backlog = spooled(a).filter(
      (l) => (l.windowStart as number) > (spooled(a)[spooledBefore - 1]?.windowStart as number),
    );
    expect(a.lines.some((l) => l.msg === 'sending the newest window, then the backlog')).toBe(true);
    expect(firstAfter.windowStart).toBeGreaterThan(backlog[0]?.windowStart as number);

    // The command stream came back by itself: a command sent now is applied, and reports use the socket again.
    const admin = createClient({ url: server.url, retry: false });
    cleanups.push(() => admin.close());
    const command = await admin.setSamplingInterval({ clientId: 'e2e-outage', intervalMs: 200 });
    const applied = await a.waitFor((l) => l.msg === 'command' && l.command === command.id, 'the command');
    expect(applied.outcome).toBe('APPLIED');
    await a.waitFor(
      (l) =>
        l.msg === 'window acknowledged' && l.via === 'ws' && (l.time as number) > (applied.time as number),
      'a report over the WebSocket again',
    );

    a.child.kill('SIGTERM');
    expect(await a.exited, a.problems()).toBe(0);
    const windows = spooled(a);
    expectContiguous(windows);
    const arrived = arrivals(server.counts, 'e2e-outage');
    expect(arrived.map((w) => w.start)).toEqual(windows.map((w) => w.windowStart));
    // A window arrives again only when the agent saw its send fail after the restart (an answer lost on a busy
    // machine after the server had stored it; writes are idempotent): never after an acknowledgement, never
    // replayed by the transport.
    const failedSends = new Set(
      a.lines
        .slice(linesBeforeRestart)
        .filter((l) => l.msg === 'sending a window failed; it stays in the spool')
        .map((l) => l.windowStart),
    );
    const resent = arrived.filter((w) => w.times !== 1);
    expect(
      resent.filter((w) => !failedSends.has(w.start)),
      a.lines
        .filter((l) => (l.level as number) >= 40)
        .map((l) => JSON.stringify(l))
        .join('\n'),
    ).toEqual([]);
    expect(a.lines.at(-1)).toMatchObject({ msg: 'agent stopped', leftInSpool: 0, dropped: 0, refused: 0 });
  }, 120_000);

  it('loses at most the window in progress when killed with SIGKILL while spooling', async () => {
    const server = await restartableServer();
    const spool = tempDir('mc-agent-spool-');
    const args = [
      ...['--server', server.url, '--client-id', 'e2e-kill', '--spool-dir', spool],
      ...['--sampling-interval', '50ms', '--report-interval', '1s', '--retry-max', '1s'],
    ];
    const first = agent(args);
    await first.waitFor(nth(2, 'window acknowledged'), 'two windows were acknowledged');
    await server.stop();
    await first.waitFor(nth(6, 'window spooled'), 'six windows were spooled');
    // At a random moment of the window in progress, which may be while the previous one is being appended.
    await delay(Math.floor(Math.random() * 1_000));
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    await first.exited;

    const second = agent(args);
    const started = await second.waitFor((l) => l.msg === 'agent started', 'the agent started again');
    expect(started.spooled).toBeGreaterThanOrEqual(4);
    await server.start();
    await second.waitFor(nth(1, 'window spooled'), 'a new window');
    await second.waitFor(
      (l) => l.msg === 'window acknowledged' && l.windowStart === spooled(second)[0]?.windowStart,
      'its first window was acknowledged',
    );
    second.child.kill('SIGTERM');
    expect(await second.exited, second.problems()).toBe(0);

    const before = spooled(first);
    expectContiguous(before);
    const arrived = arrivals(server.counts, 'e2e-kill');
    const fromFirst = arrived.filter((w) => w.start < (started.time as number));
    // Everything the first agent had spooled (fsynced, then logged) arrived, each once; perhaps one more
    // window whose append finished just before the kill, without its log line.
    expect(fromFirst.slice(0, before.length).map((w) => w.start)).toEqual(before.map((w) => w.windowStart));
    expect(fromFirst.length - before.length).toBeLessThanOrEqual(1);
    // A window arrives again only when a send of it failed after the server had stored it (the server stopped
    // before answering, or a busy machine closed the request first; writes are idempotent): each such send is
    // logged, and no window the first agent saw acknowledged is ever sent again. (Counting "at most one"
    // instead failed on a loaded machine, where a second answer can be lost after the restart.)
    const resent = arrived.filter((w) => w.times !== 1);
    const failedSends = new Set(
      [...first.lines, ...second.lines]
        .filter((l) => l.msg === 'sending a window failed; it stays in the spool')
        .map((l) => l.windowStart),
    );
    expect(resent.filter((w) => !failedSends.has(w.start))).toEqual([]);
    const ackedByFirst = new Set(acked(first).map((l) => l.windowStart));
    expect(resent.filter((w) => ackedByFirst.has(w.start))).toEqual([]);
    // What is lost lies between the last window stored and the kill: less than two window lengths, so at most
    // one whole window (the one in progress, or the one being appended when the kill came).
    const lastEnd =
      fromFirst.length > before.length
        ? (fromFirst.at(-1)?.start as number) + 1_000
        : (before.at(-1)?.windowEnd as number);
    expect(Math.floor((killedAt - lastEnd) / 1_000)).toBeLessThanOrEqual(1);
    expect(second.lines.some((l) => l.msg === 'agent started' && (l.tornRecords as number) >= 0)).toBe(true);
  }, 120_000);

  it('applies setSamplingInterval within one report interval and acknowledges it APPLIED; refuses an impossible one', async () => {
    const server = await restartableServer();
    const spool = tempDir('mc-agent-spool-');
    const a = agent([
      ...['--server', server.url, '--client-id', 'e2e-command', '--spool-dir', spool],
      ...['--sampling-interval', '200ms', '--report-interval', '2s'],
    ]);
    const admin = createClient({ url: server.url, retry: false });
    cleanups.push(() => admin.close());
    await a.waitFor(nth(3, 'window acknowledged'), 'three windows were acknowledged');
    // 2 s sampled every 200 ms: 10 samples (a slot is skipped only when the machine stalls for a whole interval).
    const before = spooled(a).at(-1)?.observations as number;
    expect(before).toBeGreaterThanOrEqual(8);
    expect(before).toBeLessThanOrEqual(10);

    const command = await admin.setSamplingInterval({ clientId: 'e2e-command', intervalMs: 100 });
    const applied = await a.waitFor(
      (l) => l.msg === 'command' && l.command === command.id,
      'the command arrived',
    );
    expect(applied).toMatchObject({ outcome: 'APPLIED', intervalMs: 100, acknowledged: true });
    // The first window that begins after the change was sampled every 100 ms: 20 observations, not 10.
    const next = await a.waitFor(
      (l) => l.msg === 'window acknowledged' && (l.windowStart as number) > (applied.time as number),
      'a window after the change',
    );
    const stored = await admin.metricHistory({
      metric: 'CPU_UTILIZATION',
      clientId: 'e2e-command',
      from: new Date(next.windowStart as number),
      to: new Date((next.windowStart as number) + 2_000),
      resample: '2s',
    });
    expect(stored.points[0]?.count).toBeGreaterThanOrEqual(18);
    expect(stored.points[0]?.count).toBeLessThanOrEqual(20);
    const [listed] = await admin.agentCommands({ clientId: 'e2e-command' });
    expect(listed).toMatchObject({ id: command.id, status: 'APPLIED' });

    const impossible = await admin.sendAgentCommand('e2e-command', {
      type: 'SET_SAMPLING_INTERVAL',
      intervalMs: 5_000,
    });
    const failed = await a.waitFor(
      (l) => l.msg === 'command' && l.command === impossible.id,
      'the second command arrived',
    );
    expect(failed).toMatchObject({ outcome: 'FAILED', acknowledged: true });
    const [latest] = await admin.agentCommands({ clientId: 'e2e-command' });
    expect(latest).toMatchObject({
      id: impossible.id,
      status: 'FAILED',
      message: expect.stringContaining('longer than the report interval'),
    });

    const report = await admin.sendAgentCommand('e2e-command', {
      type: 'SET_REPORT_INTERVAL',
      intervalMs: 1_000,
    });
    const reportApplied = await a.waitFor(
      (l) => l.msg === 'command' && l.command === report.id,
      'the third command arrived',
    );
    expect(reportApplied).toMatchObject({ outcome: 'APPLIED' });
    const shorter = await a.waitFor(
      (l) => l.msg === 'window spooled' && (l.windowStart as number) > (reportApplied.time as number),
      'a window after the report interval changed',
    );
    expect((shorter.windowEnd as number) - (shorter.windowStart as number)).toBe(1_000);
    expect(shorter.observations).toBeGreaterThanOrEqual(8);
    expect(shorter.observations).toBeLessThanOrEqual(10);
    a.child.kill('SIGTERM');
    expect(await a.exited, a.problems()).toBe(0);
  }, 120_000);
});
