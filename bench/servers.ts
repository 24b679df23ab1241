/**
 * What every part of a bench run shares: the server processes it starts (`server-process.ts`), its
 * temporary folders, its serial HTTP client and the problems that make the run invalid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../scripts/build.mjs';
import { terminate } from '../testing/processes.js';
import { START_FLAGS } from '../testing/start-flags.js';
import { SerialHttp } from './http.js';

const SERVER_SCRIPT = fileURLToPath(new URL('./server-process.ts', import.meta.url));
/**
 * Bench servers (`server-process.ts`, the bare broadcast) run bundled as `npm start`'s code is
 * (`bundleForNode`, once per script and run), with plain `node`, not through tsx: tsx keeps every function's
 * name, a call per closure made, which cost the ingest path's main thread about a fifth more than users pay
 * (docs/benchmarks.md).
 */
const BUNDLE_DIR = fileURLToPath(new URL('../node_modules/.cache/metrics-collector/bench/', import.meta.url));
/** Server log lines shown and kept per process: a server failing under load can log thousands. */
const MAX_LOG_LINES = 20;

export interface ServerProcess {
  port: number;
  pid: number | undefined;
  info: Record<string, unknown>;
  /** Server log lines at level error or worse, and anything on stderr. */
  errors: string[];
  stop(): Promise<void>;
}

export interface HostOptions {
  /** The folder temporary folders are made in. */
  dataRoot: string;
  /** When set, every server process writes a V8 CPU profile (`.cpuprofile`) into this folder. */
  cpuProfDir: string | undefined;
  /** Extra Node.js arguments for every server process (experiments: `--import ./x.mjs`). */
  serverNodeArgs: string[];
}

/** One run's processes, folders and problems; `close()` kills and removes whatever is left. */
export class BenchHost {
  /** Failed requests, wrong answers and server errors: any of them makes the run invalid. */
  readonly problems: string[] = [];
  readonly http = new SerialHttp();
  private readonly options: HostOptions;
  private readonly tempDirs: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly bundles = new Map<string, Promise<string>>();

  constructor(options: HostOptions) {
    this.options = options;
  }

  /** Starts `server-process.ts` with `args`; resolves once it listens. */
  startServer(label: string, args: string[]): Promise<ServerProcess> {
    return this.startProcess(label, SERVER_SCRIPT, args);
  }

  /**
   * Starts a bench server `script` (one that prints `BENCH_READY {"port":...}` once it listens) with `args`;
   * resolves once it listens. Killed by `close()` if still running.
   */
  async startProcess(label: string, script: string, args: string[]): Promise<ServerProcess> {
    const { cpuProfDir, serverNodeArgs } = this.options;
    const profile = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
    let bundle = this.bundles.get(script);
    if (!bundle) {
      bundle = bundleForNode(script, BUNDLE_DIR);
      this.bundles.set(script, bundle);
    }
    const nodeArgs = [...profile, ...START_FLAGS, ...serverNodeArgs, await bundle, ...args];
    const child = spawn(process.execPath, nodeArgs, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    const errors: string[] = [];
    let stopping = false;
    let stopped: Promise<void> | undefined;
    const exit = new Promise<number | null>((resolve) =>
      child.once('exit', (code, signal) => {
        this.children.delete(child);
        if (!stopping) errors.push(`${label}: the server process exited (code ${code}, signal ${signal})`);
        resolve(code);
      }),
    );
    const log = new LogLines(label, errors);
    createInterface({ input: child.stderr as NonNullable<typeof child.stderr> }).on('line', (line) =>
      log.report(`stderr: ${line}`, true),
    );
    return new Promise((resolve, reject) => {
      createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on('line', (line) => {
        if (line.startsWith('BENCH_READY ')) {
          const info = JSON.parse(line.slice('BENCH_READY '.length)) as Record<string, unknown>;
          resolve({
            port: info.port as number,
            pid: child.pid,
            info,
            errors,
            stop: () => {
              stopped ??= (async () => {
                stopping = true;
                const code = await terminate(child, exit);
                if (log.more > 0) errors.push(`${label}: ${log.more} more log lines not shown`);
                if (code !== 0) errors.push(`${label}: the server process stopped with code ${code}`);
              })();
              return stopped;
            },
          });
          return;
        }
        log.stdout(line);
      });
      void exit.then((code) =>
        reject(new Error(`${label}: the server process exited (code ${code}) before listening`)),
      );
    });
  }

  /** The folder the bench's data goes in (cached datasets too). */
  get dataRoot(): string {
    return this.options.dataRoot;
  }

  /** A new folder under the data root, removed by `close()`. */
  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(this.options.dataRoot, prefix));
    this.tempDirs.push(dir);
    return dir;
  }

  /** Kills the server processes still running, closes the HTTP connections, removes the folders. */
  close(): void {
    for (const child of this.children) child.kill('SIGKILL');
    this.http.close();
    for (const dir of this.tempDirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** A server's log lines: the first `MAX_LOG_LINES` shown, errors among them kept. */
class LogLines {
  more = 0;
  private shown = 0;
  private readonly label: string;
  private readonly errors: string[];

  constructor(label: string, errors: string[]) {
    this.label = label;
    this.errors = errors;
  }

  report(line: string, isError: boolean): void {
    if (this.shown >= MAX_LOG_LINES) {
      this.more += 1;
      return;
    }
    this.shown += 1;
    console.error(`  [${this.label}] ${line.length > 500 ? `${line.slice(0, 500)}…` : line}`);
    if (isError) this.errors.push(`${this.label}: ${line.slice(0, 300)}`);
  }

  /** A stdout line: a pino JSON entry (an error from level 50 up) or anything else (an error). */
  stdout(line: string): void {
    let entry: { level?: number; msg?: string } | undefined;
    try {
      entry = JSON.parse(line) as { level?: number; msg?: string };
    } catch {
      entry = undefined;
    }
    // The server warns once that auth is off (no token configured): expected here.
    if (entry?.msg?.startsWith('auth is off')) return;
    this.report(line, !entry || (entry.level ?? 0) >= 50);
  }
}
