import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { terminate } from './processes.js';

/**
 * Real database servers for tests (PostgreSQL: postgres.ts): each starts on a free loopback port with its data in a new temporary
 * folder and is stopped (and its folder removed) by `stop()`. With `CI=true` a missing binary is an error;
 * elsewhere the suites that need it are skipped, saying which package to install.
 */
export interface RealServer {
  /** Base URL, such as `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  dir: string;
  /** The running process's id (benchmarks read its CPU time). */
  pid(): number | undefined;
  /** Stops the process (SIGTERM, then SIGKILL after 10 s). `keepData` keeps the folder for a restart. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** Starts the process again on the same port and data after `stop({ keepData: true })`. */
  restart(): Promise<void>;
}

export interface Binary {
  name: string;
  /** Debian package that provides it. */
  debianPackage: string;
  /** Where it is when not on PATH (Debian keeps PostgreSQL's in /usr/lib/postgresql/<version>/bin). */
  locate?: () => string | null;
}

export const influxdBinary: Binary = { name: 'influxd', debianPackage: 'influxdb' };
export const victoriaMetricsBinary: Binary = { name: 'victoria-metrics', debianPackage: 'victoria-metrics' };
export const redisBinary: Binary = { name: 'redis-server', debianPackage: 'redis-server' };
/**
 * Whether the binary is installed. Under `CI=true` a missing one throws, so that a suite can never be
 * skipped silently in CI.
 */
export function hasBinary(binary: Binary): boolean {
  const found =
    spawnSync('sh', ['-c', `command -v ${binary.name}`]).status === 0 || (binary.locate?.() ?? null) !== null;
  if (!found && process.env.CI === 'true') {
    throw new Error(
      `${binary.name} is not installed (Debian package ${binary.debianPackage}); CI=true requires it`,
    );
  }
  return found;
}

/** A free TCP port on loopback, as the OS hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitUntil(
  check: () => Promise<boolean>,
  what: string,
  child: ChildProcess,
  log: () => string,
) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${log()}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not become ready within 30 s:\n${log()}`);
}

/**
 * Starts `command` on a free port with a temporary folder, and waits until `ready` says it serves. A free
 * port is only free when it is chosen: when another process took it before the server bound it (the
 * server exits saying "address already in use"), it starts again on new ports, up to 3 times.
 */
export async function startProcess(options: StartOptions): Promise<RealServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt === 3 || !/address already in use|EADDRINUSE/i.test(String(error))) throw error;
    }
  }
}

interface StartOptions {
  what: string;
  command: string;
  args: (dir: string, port: number) => string[];
  prepare?: (dir: string, port: number) => Promise<void> | void;
  ready: (url: string) => Promise<boolean>;
  /** @default 'http' */
  scheme?: string;
  /** Such as the user to run as (PostgreSQL refuses to run as root). */
  spawnOptions?: SpawnOptions;
}

async function startOnce(options: StartOptions): Promise<RealServer> {
  const dir = mkdtempSync(join(tmpdir(), `mc-${options.what}-`));
  const port = await freePort();
  const url = `${options.scheme ?? 'http'}://127.0.0.1:${port}`;
  await options.prepare?.(dir, port);
  let child: ChildProcess;
  let output = '';
  const launch = async () => {
    output = '';
    child = spawn(options.command, options.args(dir, port), {
      ...options.spawnOptions,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await waitUntil(
      () => options.ready(url),
      options.what,
      child,
      () => output,
    );
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await terminate(child, new Promise<void>((resolve) => child.once('exit', () => resolve())));
  };
  try {
    await launch();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    dir,
    pid: () => child.pid,
    stop: async ({ keepData = false } = {}) => {
      await kill();
      if (!keepData) rmSync(dir, { recursive: true, force: true });
    },
    restart: launch,
  };
}

const answers = (url: string, status: number) => async () => (await fetch(url)).status === status;

/**
 * `influxd` (InfluxDB 1.x from Debian) with a temporary config: loopback only, free ports, every directory
 * in the temporary folder, usage reporting, monitoring and logging off. With `auth`, HTTP auth is on: the
 * first user must be an admin, created without credentials (`CREATE USER … WITH ALL PRIVILEGES`).
 */
export async function startInfluxd(options: { auth?: boolean } = {}): Promise<RealServer> {
  return startProcess({
    what: 'influxd',
    command: 'influxd',
    prepare: async (dir, port) => {
      for (const sub of ['meta', 'data', 'wal']) mkdirSync(join(dir, sub));
      const rpcPort = await freePort();
      writeFileSync(
        join(dir, 'influxdb.conf'),
        `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
  trace-logging-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
  auth-enabled = ${options.auth === true}
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
[logging]
  level = "warn"
`,
      );
    },
    args: (dir) => ['run', '-config', join(dir, 'influxdb.conf')],
    ready: (url) => answers(`${url}/ping`, 204)(),
  });
}

/**
 * VictoriaMetrics single-node, which accepts InfluxDB's `/api/v2/write`: loopback, a free port, data in
 * the temporary folder, a 100-year retention so that test windows in the past are kept.
 */
export async function startVictoriaMetrics(): Promise<RealServer> {
  return startProcess({
    what: 'victoria-metrics',
    command: 'victoria-metrics',
    args: (dir, port) => [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${join(dir, 'data')}`,
      '-retentionPeriod=100y',
      '-loggerLevel=ERROR',
    ],
    ready: (url) => answers(`${url}/health`, 200)(),
  });
}

/**
 * `redis-server` (Debian's) on loopback and a free port, without persistence (`--save ''`, no AOF), its
 * working folder the temporary one. `url` is `redis://127.0.0.1:<port>`.
 */
export async function startRedis(): Promise<RealServer> {
  return startProcess({
    what: 'redis-server',
    command: 'redis-server',
    scheme: 'redis',
    args: (dir, port) => [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--loglevel',
      'warning',
    ],
    ready: (url) => redisPing(Number(new URL(url).port)),
  });
}

/** Whether a Redis server answers PING on the port. */
function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

/** Sends InfluxQL to an InfluxDB 1.x `/query` and returns the parsed JSON (throws on HTTP errors). */
export async function influxQuery(url: string, q: string, db?: string): Promise<InfluxQueryResult> {
  const params = new URLSearchParams({ q, epoch: 'ms' });
  if (db) params.set('db', db);
  const res = await fetch(`${url}/query`, { method: 'POST', body: params });
  const body = (await res.json()) as InfluxQueryResult;
  if (!res.ok) throw new Error(`InfluxDB answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

export interface InfluxQueryResult {
  results: {
    statement_id: number;
    error?: string;
    series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[];
  }[];
  error?: string;
}
