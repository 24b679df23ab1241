import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { graphql } from '../../server/test/helpers.js';
import { type LogLine, type LogProcess, startLogProcess } from '../../testing/log-process.js';

const start = fileURLToPath(new URL('../../scripts/start.ts', import.meta.url));
const runs: LogProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const run of runs.splice(0)) run.child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs `scripts/start.ts` as `npm start` does, with its data in a new folder and a free port. */
function npmStart(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'mc-start-'));
  dirs.push(dataDir);
  const run = startLogProcess(start, [], { DATA_DIR: dataDir, PORT: '0', ...env });
  runs.push(run);
  return run;
}

const msg = (text: string) => (l: LogLine) => l.msg === text;

describe('npm start', () => {
  it('runs the server and an agent reporting this machine, which Query.clients shows after one report interval', async () => {
    const run = npmStart({ AGENT_REPORT_INTERVAL: '2s' });
    const listening = await run.waitFor(msg('listening'));
    const url = (listening.url as string).replace(/\/graphql$/, '');
    const started = await run.waitFor(msg('agent started'));
    expect(started).toMatchObject({ component: 'agent', reportIntervalMs: 2_000 });
    let clients: { id: string; hostname: string; osType: string; coreCount: number }[] = [];
    while (clients.length === 0) {
      await new Promise((r) => setTimeout(r, 250));
      const { body } = await graphql(url, '{ clients { id hostname osType coreCount } }');
      clients = body.data.clients;
    }
    expect(clients).toEqual([
      { id: started.clientId, hostname: hostname(), osType: 'Linux', coreCount: expect.any(Number) },
    ]);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.lines.at(-1)?.msg).toBe('agent stopped');
  });

  it('runs the server alone with LOCAL_AGENT=off, and names a bad value', async () => {
    const alone = npmStart({ LOCAL_AGENT: 'off' });
    await alone.waitFor(msg('listening'));
    alone.child.kill('SIGTERM');
    expect(await alone.exited).toBe(0);
    expect(alone.lines.some((l) => l.component === 'agent')).toBe(false);

    const bad = npmStart({ LOCAL_AGENT: 'maybe', AGENT_SAMPLING_INTERVAL: '1 second' });
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('LOCAL_AGENT: write "on" or "off"');
  });

  it('does not start the local agent without a token when auth is on, and says so', async () => {
    const run = npmStart({ API_TOKENS: 'admin:admin+read+ingest:0123456789abcdef0123' });
    const warning = await run.waitFor(
      msg('the local agent needs a token with scope ingest when auth is on: set AGENT_TOKEN; not started'),
    );
    expect(warning.level).toBe(40);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});
