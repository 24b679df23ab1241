import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { AgentNumbers } from './agent.js';
import type { ListenAddress } from './config.js';
import type { Logger } from './log.js';

/** A counter whose value is read from `read()` at each scrape. */
function readCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/**
 * The agent's own numbers in the Prometheus text format, read from `numbers()` at each scrape (nothing
 * is counted on the sampling or sending paths), with prom-client's process metrics.
 */
export function agentRegistry(numbers: () => AgentNumbers): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters, which `promtool check metrics` refuses; their per-type gauges stay.
  for (const name of ['handles', 'requests', 'resources'])
    registry.removeSingleMetric(`nodejs_active_${name}_total`);
  let taken: AgentNumbers | undefined;
  const current = () => {
    taken ??= numbers();
    return taken;
  };
  const counters: [string, string, (n: AgentNumbers) => number][] = [
    ['samples_total', 'Samples taken (one per sampling interval).', (n) => n.samples],
    ['windows_closed_total', 'Windows closed and spooled.', (n) => n.windows],
    ['windows_sent_total', 'Windows the server acknowledged (stored).', (n) => n.sent],
    [
      'send_failures_total',
      'Attempts to send a window that failed; the window stayed in the spool.',
      (n) => n.failures,
    ],
    ['windows_refused_total', 'Windows the server refused as invalid; dropped.', (n) => n.refused],
    ['windows_dropped_total', "Windows dropped by the spool's size or age bound.", (n) => n.dropped],
    ['windows_lost_total', 'Closed windows that could not be spooled (a disk error).', (n) => n.lost],
    ['commands_total', 'Server commands handled (applied or failed).', (n) => n.commands],
  ];
  // The first family read takes the numbers for the whole scrape, so that they agree with each other.
  new Gauge({
    name: 'metrics_agent_spool_windows',
    help: 'Windows in the spool, not yet acknowledged by the server.',
    registers: [registry],
    collect() {
      taken = numbers();
      this.set(taken.spoolWindows);
    },
  });
  new Gauge({
    name: 'metrics_agent_spool_bytes',
    help: 'Bytes of the windows in the spool.',
    registers: [registry],
    collect() {
      this.set(current().spoolBytes);
    },
  });
  for (const [name, help, read] of counters)
    readCounter(registry, `metrics_agent_${name}`, help, () => read(current()));
  new Counter({
    name: 'metrics_agent_collector_errors_total',
    help: 'Collector failures (the collector is skipped for that sample), by collector.',
    labelNames: ['collector'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [collector, count] of current().collectorErrors) this.inc({ collector }, count);
    },
  });
  return registry;
}

/** `--metrics-listen` could not be bound (the port is taken, the address not this host's). */
export class MetricsListenError extends Error {
  constructor(address: ListenAddress, cause: unknown) {
    const code = (cause as { code?: string }).code ?? (cause as Error).message;
    super(
      `--metrics-listen (AGENT_METRICS_LISTEN): cannot listen on ${address.host}:${address.port} (${code})`,
    );
    this.name = 'MetricsListenError';
  }
}

export interface AgentMetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `GET /metrics` on `address`; anything else is 404. Resolves once listening. */
export async function serveAgentMetrics(
  address: ListenAddress,
  numbers: () => AgentNumbers,
  logger: Logger,
): Promise<AgentMetricsServer> {
  const registry = agentRegistry(numbers);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => {
        logger.error({ err: error }, 'the metrics endpoint failed');
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new MetricsListenError(address, error)));
    server.listen(address.port, address.host, () => {
      server.removeAllListeners('error');
      server.on('error', (error) => logger.error({ err: error }, 'the metrics endpoint failed'));
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const url = `http://${host}:${port}/metrics`;
  logger.info({ url }, 'serving the agent metrics');
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
