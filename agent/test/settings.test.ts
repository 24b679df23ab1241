import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { runAgent } from '../src/run.js';
import { fakeConnection } from './fake-connection.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
};

describe('intervals set by commands', () => {
  it('are kept for the next start, unless a flag or variable says otherwise', async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'mc-intervals-'));
    dirs.push(spoolDir);
    const env = { AGENT_SPOOL_DIR: spoolDir, AGENT_REPORT_INTERVAL: '2s', AGENT_COLLECTORS: 'load' };
    const start = async (extra: Record<string, string> = {}) => {
      const fake = fakeConnection();
      const running = await runAgent(agentConfig({}, { ...env, ...extra }), silentLogger, {
        connect: () => fake.connection,
      });
      return { fake, running };
    };

    const first = await start();
    expect(first.running.agent.samplingIntervalMs).toBe(1_000);
    first.fake.push({ id: '1', type: 'SET_SAMPLING_INTERVAL', intervalMs: 250 });
    await until(() => first.fake.acks.length === 1);
    await first.running.stop();
    expect(JSON.parse(readFileSync(join(spoolDir, 'intervals.json'), 'utf8'))).toEqual({
      samplingIntervalMs: 250,
      reportIntervalMs: 2_000,
    });

    // Restarted with the same settings: the command's interval holds.
    const second = await start();
    expect([second.running.agent.samplingIntervalMs, second.running.agent.reportIntervalMs]).toEqual([
      250, 2_000,
    ]);
    await second.running.stop();

    // A sampling interval given now wins, and the kept one is forgotten.
    const third = await start({ AGENT_SAMPLING_INTERVAL: '500ms' });
    expect(third.running.agent.samplingIntervalMs).toBe(500);
    await third.running.stop();
    const fourth = await start();
    expect(fourth.running.agent.samplingIntervalMs).toBe(1_000);
    await fourth.running.stop();
  });
});
