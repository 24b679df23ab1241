/**
 * The agent part's baseline: Prometheus's node_exporter, started on a free loopback port and scraped as
 * Prometheus 2.x would (`Accept-Encoding: gzip`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { terminate } from '../testing/processes.js';
import { type Binary, freePort } from '../testing/real-servers.js';
import type { ProcessCost } from './proc.js';

export const nodeExporterBinary: Binary = {
  name: 'prometheus-node-exporter',
  debianPackage: 'prometheus-node-exporter',
};

/** Prometheus's default scrape interval. */
export const SCRAPE_MS = 15_000;
/** What Prometheus 2.x sends on a scrape. */
const PROMETHEUS_HEADERS = {
  accept:
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  'accept-encoding': 'gzip',
  'user-agent': 'Prometheus/2.45.0',
  'x-prometheus-scrape-timeout-seconds': '10',
};

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

export interface Scrape {
  /** Bytes this side wrote (the request) and read (status line, headers, body as sent). */
  request: number;
  response: number;
  /** The body as sent (compressed or not), and the metrics text. */
  body: number;
  text: string;
}

/** One scrape of `/metrics` on a new connection, as Prometheus would send it (`gzip`: with its encoding). */
export function scrape(port: number, gzip: boolean): Promise<Scrape> {
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

export interface NodeExporter {
  port: number;
  pid: number;
  version: string;
  stop(): Promise<void>;
}

/** Starts node_exporter on a free loopback port; resolves once it answers a scrape. */
export async function startNodeExporter(): Promise<NodeExporter> {
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
  const stop = () => terminate(child, exit);
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
