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
import { setTimeout as sleep } from 'node:timers/promises';
import { hasBinary } from '../testing/real-servers.js';
import { type AgentProcess, type AgentStopped, REPORT_MS, startAgent } from './agent-process.js';
import { countingProxy } from './agent-proxy.js';
import {
  type NodeExporter,
  type NodeExporterFigures,
  nodeExporterBinary,
  SCRAPE_MS,
  type Scrape,
  scrape,
  startNodeExporter,
} from './node-exporter.js';
import { type ProcessCost, watch } from './proc.js';
import type { BenchHost } from './servers.js';

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
  stopped: AgentStopped | undefined;
  nodeExporter: NodeExporterFigures | undefined;
  /** Why the baseline is missing. */
  skipped?: string;
}

/** Runs the part: server, proxy, agent and node_exporter (when installed), measured together. */
export async function agentBench(host: BenchHost, settings: AgentSettings): Promise<AgentFigures> {
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
