import { fileURLToPath } from 'node:url';
import type { MetricStore } from '@metrics-collector/schema/metrics/types';
import { createSqliteMetricStore } from '../../server/src/metrics/sqlite/store.js';
import { type LogProcess, startLogProcess } from '../../testing/log-process.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

export type { LogLine } from '../../testing/log-process.js';
export type AgentProcess = LogProcess;

/** Runs `metrics-agent` (src/cli.ts through tsx) with `args`, logging at debug level. */
export function startAgentProcess(args: string[], env: Record<string, string> = {}): AgentProcess {
  return startLogProcess(cli, ['--log-level', 'debug', ...args], env);
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
