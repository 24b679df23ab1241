import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../scripts/build.mjs';
import { rootVersion } from '../../testing/fixtures.js';
import { configVariables } from '../src/config.js';

// The `metrics-collector` bin as npm links it (node_modules/.bin), run as a process in an empty folder.
const bin = fileURLToPath(new URL('../../node_modules/.bin/metrics-collector', import.meta.url));
beforeAll(() => ensureBuilt(), 60_000);
const dirs: string[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  for (const server of servers.splice(0)) server.close();
});

/** Runs the bin with `args` in a new empty folder, with `env` on top of PATH and HOME. */
function run(args: string[], env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), 'mc-cli-'));
  dirs.push(cwd);
  return new Promise<{ code: number | null; stdout: string; stderr: string; cwd: string }>((resolve) => {
    execFile(
      bin,
      args,
      { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr, cwd }),
    );
  });
}

describe('metrics-collector (the bin)', () => {
  it('--help lists every environment variable with its default, and starts nothing', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    const rows = new Map(
      help.stdout
        .split('\n')
        .map((line) => /^ {2}([A-Z][A-Z0-9_]+) +(\S+) +(.+)$/.exec(line))
        .flatMap((m) =>
          m ? [[m[1] as string, { default: m[2] as string, meaning: m[3] as string }] as const] : [],
        ),
    );
    expect(rows.get('NAME')).toEqual({ default: 'DEFAULT', meaning: 'MEANING' }); // the heading
    rows.delete('NAME');
    expect([...rows.keys()]).toEqual(configVariables);
    expect(rows.get('PORT')).toMatchObject({ default: '8888' });
    expect(rows.get('RETENTION')).toMatchObject({ default: '30d' });
    expect(rows.get('GRAPHIQL')).toMatchObject({ default: 'true' });
    expect(rows.get('LOG_FORMAT')).toMatchObject({ default: 'auto' });
    expect(rows.get('API_TOKENS')).toMatchObject({ default: 'unset' });
    for (const row of rows.values()) expect(row.meaning.length).toBeGreaterThan(10);
    expect(readdirSync(help.cwd)).toEqual([]); // no ./data
  });

  it('--version prints the root package.json version', async () => {
    for (const flag of ['--version', '-v']) {
      const answer = await run([flag]);
      expect(answer).toMatchObject({ code: 0, stdout: `${rootVersion}\n`, stderr: '' });
    }
  });

  it('refuses unknown flags and arguments with one line and exit 2, creating nothing', async () => {
    for (const args of [['--port', '9000'], ['--help=yes'], ['serve'], ['-x']]) {
      const answer = await run(args);
      expect(answer.code, args.join(' ')).toBe(2);
      expect(answer.stdout).toBe('');
      expect(answer.stderr.trim().split('\n')).toHaveLength(1);
      expect(answer.stderr).toMatch(/^metrics-collector: (unknown option|unexpected argument) .*--help/);
      expect(readdirSync(answer.cwd)).toEqual([]);
    }
  });

  it('says in one line that the port is busy, naming it and PORT, and exits 2 without a stack', async () => {
    const holder = createServer();
    servers.push(holder);
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const answer = await run([], { PORT: String(port), DATA_DIR: 'data' });
    expect(answer.code).toBe(2);
    expect(answer.stderr.trim().split('\n')).toEqual([
      `port ${port} on 127.0.0.1 is already in use: stop what holds it, or choose another port with PORT`,
    ]);
    expect(existsSync(join(answer.cwd, 'data'))).toBe(true); // it got as far as opening the stores
  });
});
