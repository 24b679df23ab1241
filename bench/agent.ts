/**
 * Agent: what the host agent costs the host it watches, beside Prometheus's node_exporter watching the same
 * host over the same seconds, in the same run. Called by `run.ts`.
 *
 * - A server (`server-process.ts app`, embedded store) and the agent (every collector, 1 s sampling, 10 s
 *   windows) run in their own processes; the agent is its bundle (`agent/build.mjs`, what `npm run agent`
 *   and the Docker image run) under plain `node`, spawned here directly, so its pid is the process that
 *   runs it. It talks to the server through a TCP pass-through
 *   proxy in this process that counts the bytes each way (the WebSocket upgrade passes through unchanged).
 * - `prometheus-node-exporter` runs at the same time on a free loopback port, scraped by this process every
 *   15 s with Prometheus's headers (`Accept-Encoding: gzip`).
 * - After a warm-up, both are measured over the same seconds: CPU time (utime + stime of the process and of
 *   the children it waited for, from `/proc/<pid>/stat`) and RSS (`VmRSS`, sampled every second).
 *   The measured period starts half a window after a window boundary, so that it holds whole windows.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { sleep } from '@metrics-collector/common/backoff';
import { type Binary, freePort, hasBinary } from '../server/test/real-servers.js';
import type { FanoutHost } from './fanout.js';
import { cpuTimes, procMemory } from './proc.js';

/** What `run.ts` lends this part: the same as the fan-out part gets. */
export type AgentHost = FanoutHost;

export interface AgentSettings {
  /** Seconds measured. */
  seconds: number;
  /** Seconds before measuring, at least; the period then starts half a window after a boundary. */
  warmup: number;
  /** `--collectors` of the agent; every collector when unset. */
  collectors?: string | undefined;
  /** When set, the agent writes a V8 CPU profile into this folder (on exit). */
  cpuProfDir?: string | undefined;
}

/** CPU and memory of one process over the measured seconds. */
export interface ProcessCost {
  pid: number;
  /** % of one core: the process itself, the children it waited for (spawned commands), and both. */
  cpu: { own: number; children: number; total: number };
  /** VmRSS sampled every second, MB. */
  rss: { mean: number; peak: number; min: number; first: number; last: number; samples: number };
  /** VmHWM at the end of the period (the peak since the process started, start-up included), MB. */
  hwm: number;
}

export interface NodeExporterFigures {
  version: string;
  cost: ProcessCost;
  /** One scrape, bytes on the wire: request and response (headers included), plain and gzip. */
  plain: { request: number; response: number; body: number };
  gzip: { request: number; response: number; body: number };
  /** Scrapes (gzip) made in the measured seconds and their mean bytes, both directions (with none: the warm-up's). */
  scrapes: number;
  scrapeBytes: number;
  /** Lines of metrics in one scrape (samples, without comments). */
  samples: number;
}

export interface AgentFigures {
  seconds: number;
  warmupSeconds: number;
  agent: ProcessCost;
  /** Payload bytes through the proxy in the measured seconds: agent → server and server → agent. */
  bytes: { up: number; down: number };
  /** Everything since the agent started (connection set-up included). */
  bytesSinceStart: { up: number; down: number; seconds: number };
  /** Window boundaries (reports) inside the measured seconds. */
  reports: number;
  /** TCP connections through the proxy: each one's first request line, whether it upgraded, and when. */
  connections: { request: string; upgrade: boolean; opened: 'before' | 'during' | 'after' }[];
  /** The agent's own count when it stopped (`agent stopped` log line). */
  stopped: { windows: number; sent: number; refused: number; dropped: number; lost: number } | undefined;
  nodeExporter: NodeExporterFigures | undefined;
  /** Why the baseline is missing. */
  skipped?: string;
}

export const nodeExporterBinary: Binary = {
  name: 'prometheus-node-exporter',
  debianPackage: 'prometheus-node-exporter',
};

const AGENT_BUILD = fileURLToPath(new URL('../agent/build.mjs', import.meta.url));
const AGENT_BUNDLE = fileURLToPath(new URL('../agent/dist/metrics-agent.js', import.meta.url));
const SAMPLING = '1s';
const REPORT_MS = 10_000;
const SCRAPE_MS = 15_000;
/** What Prometheus 2.x sends on a scrape. */
const PROMETHEUS_HEADERS = {
  accept:
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  'accept-encoding': 'gzip',
  'user-agent': 'Prometheus/2.45.0',
  'x-prometheus-scrape-timeout-seconds': '10',
};

/** Measures one process from now on: `end()` gives its CPU and RSS over the time in between. */
function watch(pid: number): { sample(): void; end(seconds: number): ProcessCost } {
  const start = cpuTimes(pid);
  const rss: number[] = [];
  return {
    sample: () => {
      const value = procMemory(pid, 'VmRSS');
      if (Number.isFinite(value)) rss.push(value);
    },
    end: (seconds) => {
      const end = cpuTimes(pid);
      const own = ((end.own - start.own) / seconds) * 100;
      const children = ((end.children - start.children) / seconds) * 100;
      return {
        pid,
        cpu: { own, children, total: own + children },
        rss: {
          mean: rss.reduce((a, b) => a + b, 0) / rss.length,
          peak: Math.max(...rss),
          min: Math.min(...rss),
          first: rss[0] ?? Number.NaN,
          last: rss.at(-1) ?? Number.NaN,
          samples: rss.length,
        },
        hwm: procMemory(pid, 'VmHWM'),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// The counting proxy

interface Proxy {
  port: number;
  up: number;
  down: number;
  connections: { request: string; upgrade: boolean }[];
  close(): Promise<void>;
}

/** A TCP pass-through to `127.0.0.1:target` that counts payload bytes each way. */
function countingProxy(target: number): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const proxy: Proxy = {
    port: 0,
    up: 0,
    down: 0,
    connections: [],
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const connection = { request: '', upgrade: false };
    proxy.connections.push(connection);
    client.on('data', (chunk: Buffer) => {
      if (connection.request === '') {
        const head = chunk.toString('latin1');
        connection.request = head.slice(0, head.indexOf('\r\n'));
        connection.upgrade = /^upgrade:\s*websocket/im.test(head);
      }
      proxy.up += chunk.length;
    });
    upstream.on('data', (chunk: Buffer) => {
      proxy.down += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      proxy.port = (server.address() as { port: number }).port;
      resolve(proxy);
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// node_exporter

interface Scrape {
  /** Bytes this side wrote (the request) and read (status line, headers, body as sent). */
  request: number;
  response: number;
  /** The body as sent (compressed or not), and the metrics text. */
  body: number;
  text: string;
}

/** One scrape of `/metrics` on a new connection, as Prometheus would send it (`gzip`: with its encoding). */
function scrape(port: number, gzip: boolean): Promise<Scrape> {
  const headers: Record<string, string> = { ...PROMETHEUS_HEADERS };
  if (!gzip) delete headers['accept-encoding'];
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/metrics',
        agent: false,
        headers: { ...headers, connection: 'close' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const socket = res.socket as Socket;
          if (res.statusCode !== 200) {
            reject(new Error(`node_exporter answered ${res.statusCode}`));
            return;
          }
          const encoded = res.headers['content-encoding'] === 'gzip';
          if (encoded !== gzip) {
            reject(new Error(`node_exporter answered content-encoding ${res.headers['content-encoding']}`));
            return;
          }
          const text = (encoded ? gunzipSync(body) : body).toString('utf8');
          if (!text.includes('node_cpu_seconds_total')) {
            reject(
              new Error(`node_exporter's metrics have no node_cpu_seconds_total: ${text.slice(0, 200)}`),
            );
            return;
          }
          resolve({ request: socket.bytesWritten, response: socket.bytesRead, body: body.length, text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface NodeExporter {
  port: number;
  pid: number;
  version: string;
  stop(): Promise<void>;
}

async function startNodeExporter(): Promise<NodeExporter> {
  const answer = spawnSync(nodeExporterBinary.name, ['--version'], { encoding: 'utf8' });
  const version = (`${answer.stdout}${answer.stderr}`.split('\n')[0] ?? '')
    .replace(/^node_exporter, /, '')
    .trim();
  const port = await freePort();
  const child = spawn(nodeExporterBinary.name, [`--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (log.length < 20_000) log += chunk.toString('utf8');
  });
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node_exporter exited with ${child.exitCode}:\n${log}`);
    try {
      await scrape(port, false);
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`node_exporter did not answer within 30 s (${(error as Error).message}):\n${log}`);
      }
      await sleep(100);
    }
  }
  return { port, pid: child.pid as number, version, stop };
}

// ---------------------------------------------------------------------------------------------------
// The agent process

interface AgentProcess {
  pid: number;
  /** Resolves once the agent logged `agent started`. */
  started: Promise<void>;
  /** SIGTERM; resolves with the `agent stopped` line's counts once it exited. */
  stop(): Promise<AgentFigures['stopped']>;
}

function startAgent(host: AgentHost, url: string, spoolDir: string, settings: AgentSettings): AgentProcess {
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
  let stopped: AgentFigures['stopped'];
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
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exit;
      clearTimeout(timer);
      if (code !== 0) host.problems.push(`agent: stopped with code ${code}`);
      return stopped;
    },
  };
}

// ---------------------------------------------------------------------------------------------------

/** Runs the part: server, proxy, agent and node_exporter (when installed), measured together. */
export async function agentBench(host: AgentHost, settings: AgentSettings): Promise<AgentFigures> {
  const available = hasBinary(nodeExporterBinary);
  const server = await host.startServer('agent bench server', ['app', host.tempDir('mc-bench-agent-')]);
  const proxy = await countingProxy(server.port);
  let nodeExporter: NodeExporter | undefined;
  let agent: AgentProcess | undefined;
  try {
    if (available) nodeExporter = await startNodeExporter();
    const agentStarted = performance.now();
    agent = startAgent(
      host,
      `http://127.0.0.1:${proxy.port}/graphql`,
      host.tempDir('mc-bench-agent-spool-'),
      settings,
    );
    await agent.started;

    // Warm-up: node_exporter's first scrapes (plain, for its size, then gzip) and at least `warmup` seconds
    // of the agent, then on to half a window past a window boundary.
    let plain: Scrape | undefined;
    let gzip: Scrape | undefined;
    if (nodeExporter) {
      plain = await scrape(nodeExporter.port, false);
      gzip = await scrape(nodeExporter.port, true);
    }
    await sleep(settings.warmup * 1000);
    const half = REPORT_MS / 2;
    await sleep((half - (Date.now() % REPORT_MS) + REPORT_MS) % REPORT_MS);

    const t0 = Date.now();
    const warmupSeconds = (performance.now() - agentStarted) / 1000;
    const upAtStart = proxy.up;
    const downAtStart = proxy.down;
    const connectionsAtStart = proxy.connections.length;
    const agentWatch = watch(agent.pid);
    const exporterWatch = nodeExporter ? watch(nodeExporter.pid) : undefined;
    const scrapes: Scrape[] = [];
    const scrapeErrors: string[] = [];
    const measuredMs = settings.seconds * 1000;
    const sampler = setInterval(() => {
      agentWatch.sample();
      exporterWatch?.sample();
    }, 1000);
    agentWatch.sample();
    exporterWatch?.sample();
    // Scrapes every 15 s, the first half an interval in, so that each one ends well inside the period.
    const scraping = (async () => {
      if (!nodeExporter) return;
      for (let at = SCRAPE_MS / 2; at < measuredMs - 1000; at += SCRAPE_MS) {
        await sleep(t0 + at - Date.now());
        try {
          scrapes.push(await scrape(nodeExporter.port, true));
        } catch (error) {
          scrapeErrors.push((error as Error).message);
        }
      }
    })();
    await sleep(t0 + measuredMs - Date.now());
    await scraping;
    const seconds = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    const agentCost = agentWatch.end(seconds);
    const exporterCost = exporterWatch?.end(seconds);
    const bytes = { up: proxy.up - upAtStart, down: proxy.down - downAtStart };
    const sinceStart = { up: proxy.up, down: proxy.down, seconds: (performance.now() - agentStarted) / 1000 };
    const connectionsAtEnd = proxy.connections.length;
    if (connectionsAtEnd !== connectionsAtStart)
      host.problems.push(
        `agent: ${connectionsAtEnd - connectionsAtStart} new connection(s) during the measured seconds (a reconnect or the HTTP fallback)`,
      );
    for (const error of scrapeErrors) host.problems.push(`node_exporter scrape: ${error}`);

    const stopped = await agent.stop();
    agent = undefined;
    if (!stopped) host.problems.push('agent: no "agent stopped" line');
    else if (stopped.sent !== stopped.windows || stopped.refused + stopped.dropped + stopped.lost > 0)
      host.problems.push(`agent: not every window was delivered: ${JSON.stringify(stopped)}`);

    // Window boundaries (multiples of the report interval) strictly inside the period.
    const reports = Math.ceil((t0 + measuredMs) / REPORT_MS) - 1 - Math.floor(t0 / REPORT_MS);
    // A period too short to hold a scrape falls back on the warm-up's gzip scrape for the size.
    const gzipMean =
      scrapes.length > 0
        ? scrapes.reduce((sum, s) => sum + s.request + s.response, 0) / scrapes.length
        : (gzip?.request ?? Number.NaN) + (gzip?.response ?? Number.NaN);
    return {
      seconds,
      warmupSeconds,
      agent: agentCost,
      bytes,
      bytesSinceStart: sinceStart,
      reports,
      connections: proxy.connections.map((c, i) => ({
        ...c,
        opened: i < connectionsAtStart ? 'before' : i < connectionsAtEnd ? 'during' : 'after',
      })),
      stopped,
      nodeExporter:
        nodeExporter && plain && gzip && exporterCost
          ? {
              version: nodeExporter.version,
              cost: exporterCost,
              plain: { request: plain.request, response: plain.response, body: plain.body },
              gzip: { request: gzip.request, response: gzip.response, body: gzip.body },
              scrapes: scrapes.length,
              scrapeBytes: gzipMean,
              samples: plain.text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length,
            }
          : undefined,
      ...(available
        ? {}
        : {
            skipped: `${nodeExporterBinary.name} is not installed (Debian package ${nodeExporterBinary.debianPackage}): the node_exporter baseline is skipped`,
          }),
    };
  } finally {
    await agent?.stop();
    await nodeExporter?.stop();
    await proxy.close();
    await server.stop();
    host.problems.push(...server.errors);
  }
}

type Table = (head: string[], rows: string[][], right: boolean[]) => string;

/** The part's table and the lines under it. */
export function agentReport(f: AgentFigures, table: Table): string {
  const fx = (n: number | undefined, d: number) =>
    n !== undefined && Number.isFinite(n) ? n.toFixed(d) : '-';
  const kb = (n: number | undefined) => (n === undefined ? '-' : `${(n / 1000).toFixed(1)} kB`);
  const ne = f.nodeExporter;
  const perMinute = (n: number) => (n / f.seconds) * 60;
  const agentMinute = perMinute(f.bytes.up + f.bytes.down);
  const agentUpMinute = perMinute(f.bytes.up);
  // node_exporter at a 15 s scrape interval: 4 scrapes a minute, of the size measured in the period.
  const neMinute = ne ? ne.scrapeBytes * (60_000 / SCRAPE_MS) : undefined;
  const neUpMinute = ne ? ne.gzip.response * (60_000 / SCRAPE_MS) : undefined;
  const nePlainMinute = ne ? (ne.plain.request + ne.plain.response) * (60_000 / SCRAPE_MS) : undefined;
  const cpu = f.agent.cpu;
  const neCpu = ne?.cost.cpu;
  const verdict = (ok: boolean | undefined, what: string) =>
    `${what} ${ok === undefined ? '(not measured)' : ok ? 'met' : 'MISSED'}`;
  const bytesRatio = neMinute === undefined || !(agentMinute > 0) ? undefined : neMinute / agentMinute;
  const rows = [
    [
      'CPU, % of one core (process + children it spawned)',
      fx(cpu.total, 2),
      fx(neCpu?.total, 2),
      neCpu ? `${fx(cpu.total / neCpu.total, 2)} agent/ne` : '-',
      verdict(cpu.total < 1, '< 1 %'),
    ],
    [
      '  of which the process itself / children',
      `${fx(cpu.own, 2)} / ${fx(cpu.children, 2)}`,
      neCpu ? `${fx(neCpu.own, 2)} / ${fx(neCpu.children, 2)}` : '-',
      '',
      '',
    ],
    [
      'RSS MB, mean (VmRSS every second)',
      fx(f.agent.rss.mean, 1),
      fx(ne?.cost.rss.mean, 1),
      ne ? `${fx(f.agent.rss.mean / ne.cost.rss.mean, 2)} agent/ne` : '-',
      '',
    ],
    [
      'RSS MB, peak of the samples (VmHWM since start)',
      `${fx(f.agent.rss.peak, 1)} (${fx(f.agent.hwm, 1)})`,
      ne ? `${fx(ne.cost.rss.peak, 1)} (${fx(ne.cost.hwm, 1)})` : '-',
      ne ? `${fx(f.agent.rss.peak / ne.cost.rss.peak, 2)} agent/ne` : '-',
      verdict(f.agent.rss.peak < 80, '< 80 MB'),
    ],
    [
      'bytes per minute on the wire, both directions (ne: gzip scrapes every 15 s)',
      kb(agentMinute),
      kb(neMinute),
      bytesRatio === undefined ? '-' : `${fx(bytesRatio, 1)}× ne/agent`,
      verdict(bytesRatio === undefined ? undefined : bytesRatio >= 20, '≥ 20×'),
    ],
    [
      '  sent by the watched host only (agent → server; ne: its responses)',
      kb(agentUpMinute),
      kb(neUpMinute),
      neUpMinute === undefined ? '-' : `${fx(neUpMinute / agentUpMinute, 1)}× ne/agent`,
      '',
    ],
    [
      '  ne scraped without gzip (both directions)',
      '',
      kb(nePlainMinute),
      nePlainMinute === undefined ? '-' : `${fx(nePlainMinute / agentMinute, 1)}× ne/agent`,
      '',
    ],
  ];
  const lines = [
    table(['per watched host', 'metrics-agent', 'node_exporter', 'ratio', 'target'], rows, [
      false,
      true,
      true,
      true,
      false,
    ]),
  ];
  const perReport = f.reports > 0 ? (f.bytes.up + f.bytes.down) / f.reports : Number.NaN;
  if (Math.round(f.seconds) % (REPORT_MS / 1000) !== 0)
    lines.push(
      `BENCH_AGENT_SECONDS is not a multiple of ${REPORT_MS / 1000}: the period does not hold whole windows, so the agent's bytes per minute are off`,
    );
  lines.push(
    `agent: ${fx(f.bytes.up, 0)} bytes up, ${fx(f.bytes.down, 0)} down in ${fx(f.seconds, 1)} s holding ${f.reports} window boundaries (${fx(perReport, 0)} bytes per report, keep-alive included); since it started (${fx(f.bytesSinceStart.seconds, 0)} s, connection set-up included): ${f.bytesSinceStart.up} up, ${f.bytesSinceStart.down} down`,
  );
  lines.push(
    `agent connections through the proxy: ${f.connections.map((c) => `${c.request}${c.upgrade ? ' (WebSocket upgrade)' : ''}, opened ${c.opened === 'after' ? 'after the period (on stop)' : `${c.opened} the period`}`).join('; ')}`,
  );
  const rss = (c: ProcessCost) =>
    `first ${fx(c.rss.first, 1)}, min ${fx(c.rss.min, 1)}, last ${fx(c.rss.last, 1)} (${c.rss.samples} samples)`;
  lines.push(`RSS MB over the period: agent ${rss(f.agent)}${ne ? `; node_exporter ${rss(ne.cost)}` : ''}`);
  if (f.stopped)
    lines.push(
      `agent on stop: ${f.stopped.windows} windows, ${f.stopped.sent} acknowledged, ${f.stopped.refused} refused, ${f.stopped.dropped} dropped, ${f.stopped.lost} lost`,
    );
  if (ne) {
    lines.push(
      `node_exporter ${ne.version}: one scrape = ${ne.samples.toLocaleString('en-US')} samples; plain ${ne.plain.request} B request + ${ne.plain.response.toLocaleString('en-US')} B response (body ${ne.plain.body.toLocaleString('en-US')}); gzip ${ne.gzip.request} B + ${ne.gzip.response.toLocaleString('en-US')} B (body ${ne.gzip.body.toLocaleString('en-US')}); ${ne.scrapes} gzip scrapes in the period, ${fx(ne.scrapeBytes, 0)} B each on average`,
    );
  }
  if (f.skipped) lines.push(f.skipped);
  return lines.join('\n');
}
