import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MetricStore } from '@metrics-collector/schema/context';
import { createSqliteMetricStore } from '../../server/src/stores/sqlite-metric-store.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

/** One line of the agent's JSON log. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface AgentProcess {
  child: ChildProcess;
  lines: LogLine[];
  /** Resolves with the first log line (already written or to come) that matches. */
  waitFor(match: (line: LogLine) => boolean, what?: string): Promise<LogLine>;
  exited: Promise<number | null>;
  stderr(): string;
}

/** Runs `metrics-agent` (src/cli.ts through tsx) with `args`, logging at debug level. */
export function startAgentProcess(args: string[], env: Record<string, string> = {}): AgentProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '--log-level', 'debug', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.trim()) continue;
      const line = JSON.parse(part) as LogLine;
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    stderr: () => stderr,
    waitFor: (match, what = 'a log line') => {
      const found = lines.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        exited.then((code) =>
          reject(
            new Error(
              `the agent exited (${code}) before ${what}: ${stderr}\n${JSON.stringify(lines.slice(-5))}`,
            ),
          ),
        );
      });
    },
  };
}

/**
 * The embedded store, counting every write of `CPU_UTILIZATION` per (client, window start): how often each
 * window arrived. The counts live in `counts`, so that they add up across restarts of the server.
 */
export function countingStore(dataDir: string, counts: Map<string, number>): MetricStore {
  const store = createSqliteMetricStore({ dataDir, retention: null });
  return {
    write: async (points) => {
      await store.write(points);
      for (const p of points) {
        if (p.metric !== 'CPU_UTILIZATION') continue;
        const key = `${p.clientId}@${p.windowStart}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    },
    history: (selector, resample, aggregate) => store.history(selector, resample, aggregate),
    summarize: (selector, aggregate) => store.summarize(selector, aggregate),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

/** Window starts (epoch ms) that arrived for `clientId`, ascending, with how often each arrived. */
export function arrivals(counts: Map<string, number>, clientId: string): { start: number; times: number }[] {
  return [...counts.entries()]
    .filter(([key]) => key.startsWith(`${clientId}@`))
    .map(([key, times]) => ({ start: Number(key.slice(clientId.length + 1)), times }))
    .sort((a, b) => a.start - b.start);
}
