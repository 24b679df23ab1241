import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../scripts/build.mjs';
import { type LogProcess, startLogProcess } from '../../testing/log-process.js';
import { rawRequest } from './helpers.js';

// The bundle of main.ts (scripts/build.mjs), as the Dockerfile runs it.
const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
beforeAll(() => ensureBuilt(), 60_000);
const runs: LogProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const run of runs.splice(0)) run.child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs dist/main.js (the server alone) with its data in a new folder and a free port, and `env` on top. */
function start(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'mc-main-'));
  dirs.push(dataDir);
  const run = startLogProcess(main, [], { DATA_DIR: dataDir, PORT: '0', ...env });
  runs.push(run);
  const listening = run.waitFor((l) => l.msg === 'listening', 'listening').then((l) => l.url as string);
  // Tests that expect an early exit never await `listening`.
  listening.catch(() => undefined);
  return { ...run, listening, output: () => ({ stdout: run.stdout(), stderr: run.stderr() }) };
}

describe('main.ts', () => {
  it('serves, says that auth is off, and stops cleanly on SIGTERM', async () => {
    const server = start({});
    const url = await server.listening;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    const health = await rawRequest(url.replace('/graphql', '/health'));
    expect(health.status).toBe(200);
    // The warning is written before the line announcing the address, so it is there already.
    expect(server.output().stdout).toContain('auth is off');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('refuses a non-loopback HOST without tokens, naming the variable', async () => {
    const server = start({ HOST: '0.0.0.0' });
    expect(await server.exited).toBe(2);
    expect(server.output().stderr).toContain('HOST: 0.0.0.0 is not a loopback address');
  });

  it("refuses REDIS_URL (replicas) while the state is in the process's own DATA_DIR, exiting 2", async () => {
    const server = start({ REDIS_URL: 'redis://127.0.0.1:1', STORE: 'influxdb' });
    expect(await server.exited).toBe(2);
    expect(server.output().stderr).toContain(
      'REDIS_URL: replicas need shared state, but DATABASE_URL (PostgreSQL, for the shared state) is not set',
    );
  });

  it('reports every configuration problem at once', async () => {
    const server = start({ PORT: 'eighty', RETENTION: 'forever', LOG_LEVEL: 'loud' });
    expect(await server.exited).toBe(2);
    const { stderr } = server.output();
    for (const name of ['PORT', 'RETENTION', 'LOG_LEVEL']) expect(stderr).toContain(name);
  });
});
