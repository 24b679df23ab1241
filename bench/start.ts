/**
 * Start (`BENCH_ONLY=start`): the time from spawning a process to its first `/health` 200, polled every
 * 5 ms. The baseline is a bare `node -e` `node:http` server answering `/health`, spawned the same way;
 * then `npm start` as a user runs it (npm, then `scripts/launch.mjs`, then the bundle), the same right
 * after a source changed (the build included, and the first start of a new bundle has no code cache yet), what
 * `npm start` runs, run by plain `node` (no npm), and the sources run by tsx (how `npm start` ran before the build). Each is
 * started `runs` times, alternating, each with a new data folder; a fresh build happens before the first.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { START_FLAGS } from '../testing/start-flags.js';
import { fixed, quantile, table } from './table.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const BARE = `require('node:http').createServer((q, s) => s.end('{"status":"ok"}')).listen(+process.env.PORT, '127.0.0.1')`;

interface Way {
  label: string;
  command: string;
  args: string[];
  /** Run before each start, untimed. */
  prepare?: () => void;
}

const WAYS: Way[] = [
  { label: 'bare `node -e` http server (baseline)', command: process.execPath, args: ['-e', BARE] },
  { label: '`npm start` (compiled bundle)', command: 'npm', args: ['start', '--silent'] },
  {
    label: '`npm start` after a source changed (rebuilds dist/ first)',
    command: 'npm',
    args: ['start', '--silent'],
    // Without its record the build is stale, as after an edit: launch.mjs rebuilds it.
    prepare: () => rmSync(join(root, 'dist', 'build.json'), { force: true }),
  },
  {
    label: `\`node ${[...START_FLAGS, 'scripts/launch.mjs'].join(' ')}\` (the same, no npm)`,
    command: process.execPath,
    // With npm start's flags: V8 refuses a code cache made under other flags, so runs without them would
    // rewrite the cache each time for the npm rows.
    args: [...START_FLAGS, 'scripts/launch.mjs'],
  },
  {
    label: '`tsx scripts/start.ts` (before: sources through tsx)',
    command: process.execPath,
    args: ['--import', 'tsx', 'scripts/start.ts'],
  },
];

export interface StartRow {
  label: string;
  /** Milliseconds from spawn to the first `/health` 200, one per run. */
  ms: number[];
}

export async function startBench(runs: number, problems: string[]): Promise<StartRow[]> {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  const rows = WAYS.map((way) => ({ label: way.label, ms: [] as number[] }));
  for (let run = 0; run < runs; run++) {
    for (const [i, way] of WAYS.entries()) {
      const ms = await timeToHealth(way).catch((error: Error) => {
        problems.push(`start: ${way.label}: ${error.message}`);
        return Number.NaN;
      });
      rows[i]?.ms.push(ms);
    }
  }
  return rows;
}

async function timeToHealth(way: Way): Promise<number> {
  way.prepare?.();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'mc-bench-start-'));
  const started = performance.now();
  // Its own process group, so that npm's children are stopped with it.
  const child = spawn(way.command, way.args, {
    cwd: root,
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode} before /health`);
      if (await healthy(port)) return performance.now() - started;
      if (performance.now() - started > 30_000) throw new Error('no /health after 30 s');
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await stopGroup(child, exited);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.pid === undefined) return;
  const group = -child.pid;
  try {
    process.kill(group, 'SIGTERM');
  } catch {
    return; // gone already
  }
  const timer = setTimeout(() => {
    try {
      process.kill(group, 'SIGKILL');
    } catch {}
  }, 10_000);
  await exited;
  // npm may exit before the server it started has closed its stores: removing the data folder then
  // raced with the server's last writes (ENOTEMPTY). Wait until no process of the group is left.
  // (A zombie that nobody reaps counts as alive: give up after 15 s.)
  const until = performance.now() + 15_000;
  while (groupAlive(group) && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  clearTimeout(timer);
}

/** Whether any process of the process group `group` (negative) is still running. */
function groupAlive(group: number): boolean {
  try {
    process.kill(group, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

export function printStart(rows: StartRow[], runs: number): void {
  const baseline = Math.min(...(rows[0]?.ms ?? [Number.NaN]));
  console.log(
    `\n## Start: spawn to the first /health 200 (${runs} runs each, alternating; ratio = best / the baseline's best)\n`,
  );
  const body = rows.map((row) => {
    const best = Math.min(...row.ms);
    return [
      row.label,
      fixed(best, 0),
      fixed(quantile(row.ms, 0.5), 0),
      fixed(Math.max(...row.ms), 0),
      `${fixed(best / baseline, 1)}×`,
    ];
  });
  console.log(
    table(['started by', 'best ms', 'median ms', 'worst ms', 'vs bare'], body, [
      false,
      true,
      true,
      true,
      true,
    ]),
  );
  const npm = rows[1];
  if (npm)
    console.log(`\n\`npm start\` → /health within 1 s: ${Math.min(...npm.ms) <= 1000 ? 'met' : 'MISSED'}`);
}
