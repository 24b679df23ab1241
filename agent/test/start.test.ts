import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DIST, isFresh } from '../../scripts/build.mjs';
import { cachePath } from '../../scripts/code-cache.mjs';
import { graphql } from '../../server/test/helpers.js';
import { type LogLine, type LogProcess, startLogProcess } from '../../testing/log-process.js';

// What `npm start` runs: it builds dist/ if a source changed, then runs dist/start.cjs from its code cache.
const start = fileURLToPath(new URL('../../scripts/launch.mjs', import.meta.url));
const runs: LogProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const run of runs.splice(0)) run.child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs `scripts/launch.mjs` as `npm start` does, with its data in a new folder and a free port. */
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

  it('says in one line that the port is busy, naming PORT, and exits 2', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const port = (holder.address() as AddressInfo).port;
      const busy = npmStart({ PORT: String(port), LOCAL_AGENT: 'off' });
      expect(await busy.exited).toBe(2);
      // The last line (a first start may say before it that it rebuilt dist/).
      expect(busy.stderr().trim().split('\n').at(-1)).toMatch(
        new RegExp(`^port ${port} .*already in use.*PORT[^\\n]*$`),
      );
    } finally {
      holder.close();
    }
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

describe('the build npm start runs', () => {
  it('is stale when a file it was built from changed size or mtime, or is gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-build-'));
    dirs.push(dir);
    const record = join(dir, 'build.json');
    const file = 'scripts/launch.mjs';
    const { mtimeMs, size } = statSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)));
    const write = (files: Record<string, [number, number]>) =>
      writeFileSync(
        record,
        JSON.stringify({ entries: ['start', 'main', 'read-thread', 'write-thread', 'console'], files }),
      );
    write({ [file]: [mtimeMs, size] });
    expect(isFresh(record)).toBe(true);
    write({ [file]: [mtimeMs, size + 1] });
    expect(isFresh(record)).toBe(false);
    write({ [file]: [mtimeMs - 1, size] });
    expect(isFresh(record)).toBe(false);
    write({ [file]: [mtimeMs, size], 'scripts/gone.ts': [mtimeMs, size] });
    expect(isFresh(record)).toBe(false);
    expect(isFresh(join(dir, 'never-built.json'))).toBe(false);
  });

  it('serves /health and GraphiQL from the bundle under plain node, with no TypeScript loader, from its code cache too', async () => {
    // The first start saves the code cache when it stops; the second runs from it.
    for (const cache of ['written', 'used']) {
      const dataDir = mkdtempSync(join(tmpdir(), 'mc-start-'));
      dirs.push(dataDir);
      const child = spawn(process.execPath, [start], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          DATA_DIR: dataDir,
          PORT: '0',
          LOCAL_AGENT: 'off',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise((resolve) => child.once('close', resolve));
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk;
          const match = /"url":"(http:[^"]+)\/graphql"/.exec(out);
          if (match?.[1]) resolve(match[1]);
        });
        child.once('close', () => reject(new Error(`exited before listening: ${out}`)));
      });
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      // GraphiQL's page is loaded on first use, which the code cache must not break.
      const page = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
      expect([cache, page.status, (await page.text()).includes('GraphiQL')]).toEqual([cache, 200, true]);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(cachePath(join(DIST, 'start.cjs')))).toBe(true);
    }
  });
});
