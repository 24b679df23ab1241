/** The agent part's agent: its bundle (`agent/build.mjs`, what `npm run agent` runs) in a process of its own. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { terminate } from '../testing/processes.js';
import type { BenchHost } from './servers.js';

const AGENT_BUILD = fileURLToPath(new URL('../agent/build.mjs', import.meta.url));
const AGENT_BUNDLE = fileURLToPath(new URL('../agent/dist/metrics-agent.js', import.meta.url));
const SAMPLING = '1s';
/** The agent's report interval: one window, one report. */
export const REPORT_MS = 10_000;

/** The agent's own count when it stopped (its `agent stopped` log line). */
export interface AgentStopped {
  windows: number;
  sent: number;
  refused: number;
  dropped: number;
  lost: number;
}

export interface AgentProcess {
  pid: number;
  /** Resolves once the agent logged `agent started`. */
  started: Promise<void>;
  /** SIGTERM; resolves with the `agent stopped` line's counts once it exited. */
  stop(): Promise<AgentStopped>;
}

/**
 * Builds the agent bundle and runs it under plain `node` against `url`, sampling every second and reporting
 * 10-second windows; what it logs beyond its start and stop goes to the run's problems.
 */
export function startAgent(
  host: BenchHost,
  url: string,
  spoolDir: string,
  settings: { collectors?: string | undefined; cpuProfDir?: string | undefined },
): AgentProcess {
  const built = spawnSync(process.execPath, [AGENT_BUILD], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building the agent failed: ${built.stderr}`);
  const profile = settings.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${settings.cpuProfDir}`] : [];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...profile,
      AGENT_BUNDLE,
      '--server',
      url,
      '--client-id',
      'bench-agent',
      '--spool-dir',
      spoolDir,
      '--sampling-interval',
      SAMPLING,
      '--report-interval',
      `${REPORT_MS / 1000}s`,
      '--log-level',
      'info',
      ...(settings.collectors ? ['--collectors', settings.collectors] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stopping = false;
  let stopped: AgentStopped;
  let onStarted: () => void = () => {};
  let onFailed: (error: Error) => void = () => {};
  const started = new Promise<void>((resolve, reject) => {
    onStarted = resolve;
    onFailed = reject;
  });
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!stopping) {
        host.problems.push(`agent: the process exited (code ${code}, signal ${signal})`);
        onFailed(new Error(`agent: the process exited (code ${code}, signal ${signal}) before it started`));
      }
      resolve(code);
    }),
  );
  let shown = 0;
  const show = (line: string) => {
    if (shown++ < 20) console.error(`  [agent] ${line.length > 500 ? `${line.slice(0, 500)}…` : line}`);
  };
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let at = buffered.indexOf('\n');
    while (at !== -1) {
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      at = buffered.indexOf('\n');
      let entry: ({ level?: number; msg?: string } & Record<string, unknown>) | undefined;
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        entry = undefined;
      }
      if (entry?.msg === 'agent started') onStarted();
      else if (entry?.msg === 'agent stopped') {
        const n = (key: string) => Number(entry?.[key]);
        stopped = {
          windows: n('windows'),
          sent: n('sent'),
          refused: n('refused'),
          dropped: n('dropped'),
          lost: n('lost'),
        };
      } else if (entry?.msg !== 'stopping') {
        // Anything else at info is unexpected in a quiet run; warnings and errors make it invalid.
        show(line);
        if (!entry || (entry.level ?? 0) >= 40) host.problems.push(`agent: ${line.slice(0, 300)}`);
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      show(`stderr: ${line}`);
      host.problems.push(`agent stderr: ${line.slice(0, 300)}`);
    }
  });
  return {
    pid: child.pid as number,
    started,
    stop: async () => {
      stopping = true;
      const code = await terminate(child, exit, 15_000);
      if (code !== 0) host.problems.push(`agent: stopped with code ${code}`);
      return stopped;
    },
  };
}
