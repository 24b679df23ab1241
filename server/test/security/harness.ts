import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LogProcess, startLogProcess } from '../../../testing/log-process.js';
import { rawRequest } from '../helpers.js';

/** The server as users run it (`main.ts`), in its own process, so that its memory and files can be read. */
export interface ServerProcess {
  url: string;
  pid: number;
  run: LogProcess;
  /** Resident memory, MB (`VmRSS`). */
  rss(): number;
  /** Open file descriptors: sockets, databases, logs. */
  openFiles(): number;
  stop(): Promise<void>;
}

const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** Starts `main.ts` on a free loopback port with its data in a new temporary folder and `env` on top. */
export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mc-sec-'));
  const run = startLogProcess(main, [], { DATA_DIR: dataDir, PORT: '0', ...env });
  const listening = await run.waitFor((l) => l.msg === 'listening', 'listening');
  const url = (listening.url as string).replace(/\/graphql$/, '');
  const pid = run.child.pid as number;
  return {
    url,
    pid,
    run,
    rss: () => {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return Number(match?.[1]) / 1024;
    },
    openFiles: () => readdirSync(`/proc/${pid}/fd`).length,
    stop: async () => {
      run.child.kill('SIGTERM');
      await run.exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One GET /health on a connection of its own (no keep-alive agent); resolves with the status, 0 on failure. */
export function healthOnNewConnection(url: string, timeoutMs = 20_000): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${url}/health`, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/**
 * Asks `/health` on a new connection, one after the other, until `stop()`: the server must answer every
 * one while an attack runs. `stop()` resolves with every status seen (at least one probe runs).
 */
export function probeHealth(url: string) {
  const statuses: number[] = [];
  let running = true;
  const loop = (async () => {
    do {
      statuses.push(await healthOnNewConnection(url));
      await new Promise((r) => setTimeout(r, 50));
    } while (running);
  })();
  return {
    statuses,
    stop: async () => {
      running = false;
      await loop;
      return statuses;
    },
  };
}

/** POSTs a raw body to `/graphql` on a connection of its own; resolves with status and parsed JSON. */
export async function postGraphQL(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any }> {
  const answer = await rawRequest(`${url}/graphql`, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: answer.status, json: answer.json };
}

/** Runs `tasks` with at most `width` in flight. */
export async function inParallel<T>(width: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, tasks.length) }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await (tasks[index] as () => Promise<T>)();
      }
    }),
  );
  return results;
}
