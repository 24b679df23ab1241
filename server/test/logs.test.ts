import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../scripts/build.mjs';
import { type LogLine, type LogProcess, startLogProcess } from '../../testing/log-process.js';
import { graphql, rawRequest } from './helpers.js';

// The server's log as an operator sees it: dist/main.js (the bundle the image runs) as a process.
const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
beforeAll(() => ensureBuilt(), 60_000);
const dirs: string[] = [];
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mc-logs-'));
  dirs.push(dir);
  return dir;
}

function start(env: Record<string, string>): LogProcess {
  const run = startLogProcess(main, [], { DATA_DIR: dataDir(), PORT: '0', ...env });
  stops.push(() => run.child.kill('SIGKILL'));
  return run;
}

/** Polls `check` every 50 ms until it holds, failing after a generous deadline. */
async function until(check: () => boolean, what: string, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const requests = (run: LogProcess) => run.lines.filter((l) => l.msg === 'request');

/** Sends the requests every log test makes; the unknown path comes last, so its line says all were logged. */
async function traffic(base: string, run: LogProcess): Promise<void> {
  expect((await rawRequest(`${base}/health`)).status).toBe(200);
  expect((await rawRequest(`${base}/ready`)).status).toBe(200);
  const history = await rawRequest(
    `${base}/api/v1/metrics/cpuLoadAvg/byUser/6a:d6:96:d3:45:35?start=0&end=1`,
  );
  expect(history.status).toBe(200);
  expect((await graphql(base, '{ clients { id } }')).status).toBe(200);
  expect((await rawRequest(`${base}/nowhere`)).status).toBe(404);
  await until(() => requests(run).some((l) => l.path === '/nowhere'), 'the last request line');
}

describe('request logs', () => {
  it('name the route (not the path), status and duration; /health and /ready polls only at debug', async () => {
    const run = start({ LOG_LEVEL: 'info' });
    const base = ((await run.waitFor((l) => l.msg === 'listening')).url as string).replace('/graphql', '');
    await traffic(base, run);
    const lines = requests(run).map(({ level, method, route, path, status, ms }: LogLine) => ({
      level,
      method,
      route,
      path,
      status,
      ms,
    }));
    const ms = expect.any(Number);
    expect(lines).toEqual([
      { level: 30, method: 'GET', route: '/api/v1/metrics/:metric/byUser/:userId', status: 200, ms },
      { level: 30, method: 'POST', route: '/graphql', status: 200, ms },
      { level: 30, method: 'GET', path: '/nowhere', status: 404, ms },
    ]);
    // No client id from the path in any line.
    expect(run.stdout()).not.toContain('6a:d6:96:d3:45:35');

    const debug = start({ LOG_LEVEL: 'debug' });
    const debugBase = ((await debug.waitFor((l) => l.msg === 'listening')).url as string).replace(
      '/graphql',
      '',
    );
    await traffic(debugBase, debug);
    const polls = requests(debug).filter((l) => l.route === '/health' || l.route === '/ready');
    expect(polls.map((l) => [l.level, l.route, l.status])).toEqual([
      [20, '/health', 200],
      [20, '/ready', 200],
    ]);
  });
});

describe('LOG_FORMAT', () => {
  it('auto: JSON lines when stdout is not a terminal', async () => {
    const run = start({});
    await run.waitFor((l) => l.msg === 'listening');
    expect(run.stdout().trim().split('\n')[0]).toMatch(/^\{"level":/);
  });

  it('pretty: human-readable lines, a request as METHOD route status ms', async () => {
    const run = start({ LOG_FORMAT: 'pretty' });
    await until(() => /INFO: listening/.test(run.stdout()), 'the listening line');
    expect(run.lines).toEqual([]); // no JSON line at all
    const url = /"url":"([^"]+)"/.exec(run.stdout())?.[1] as string;
    await graphql(url.replace('/graphql', ''), '{ clients { id } }');
    await until(() => /INFO: POST \/graphql 200 [\d.]+ ms/.test(run.stdout()), 'the request line');
    expect(run.stdout()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: auth is off/m);
  });

  it('auto: human-readable lines on a terminal (script(1) gives the server a pseudo-terminal)', async () => {
    const child = spawn('script', ['-qfec', `"${process.execPath}" "${main}"`, '/dev/null'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir(), PORT: '0' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    stops.push(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    await until(() => /INFO.*listening/.test(out), `the listening line (so far: ${out})`);
    expect(out).not.toContain('{"level"');
  });

  it('refuses a value it does not know, naming the variable', async () => {
    const run = start({ LOG_FORMAT: 'xml' });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain('LOG_FORMAT');
  });
});
