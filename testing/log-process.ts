import { type ChildProcess, spawn } from 'node:child_process';

/** One line of a process's JSON log (pino). */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface LogProcess {
  child: ChildProcess;
  /** Every JSON line written to stdout so far. */
  lines: LogLine[];
  /** Resolves with the first log line, already written or to come, that matches; rejects if the process exits first. */
  waitFor(match: (line: LogLine) => boolean, what?: string): Promise<LogLine>;
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** What to show when the process did something unexpected: its stderr and its warnings and errors. */
  problems(): string;
}

/**
 * Runs a TypeScript entry point (`node --import tsx script ...args`; plain `node` with `tsx: false`), as `npm start` or `metrics-agent`
 * would, with `env` on top of a clean environment (PATH and HOME only), reading its JSON log lines.
 */
export function startLogProcess(
  script: string,
  args: string[],
  env: Record<string, string>,
  options: { tsx?: boolean } = {},
): LogProcess {
  // `tsx: false` runs plain node, as `npm start` runs scripts/launch.mjs.
  const loader = options.tsx === false ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...loader, script, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  let stdout = '';
  let pending = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk;
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) {
      let line: LogLine;
      try {
        line = JSON.parse(part) as LogLine;
      } catch {
        continue; // npm's banner and other text
      }
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
  // 'close', not 'exit': after 'exit' the last lines of stdout may still be unread.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    problems: () =>
      [stderr, ...lines.filter((l) => l.level >= 40).map((l) => JSON.stringify(l))].join('\n').trim(),
    waitFor: (match, what = 'a log line') => {
      const found = lines.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        exited.then((code) =>
          reject(new Error(`exited (${code}) before ${what}: ${stderr}\n${JSON.stringify(lines.slice(-5))}`)),
        );
      });
    },
  };
}
