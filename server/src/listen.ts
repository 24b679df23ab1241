import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from './app.js';
import type { Config } from './config.js';
import {
  type ConnectionLimit,
  defaultTimeouts,
  type HttpTimeouts,
  limitConnections,
  serverOptions,
} from './http/connections.js';
import type { Logger } from './logger.js';

export interface ListenOptions {
  /** HTTP timeouts other than the defaults (tests). */
  timeouts?: Partial<HttpTimeouts>;
}

/** An app served on a port. */
export interface Listening {
  server: Server;
  /** The open connections and how many were closed to make room (`MAX_CONNECTIONS`). */
  connections: ConnectionLimit;
  /** Base URL, such as `http://127.0.0.1:8888`. */
  url: string;
  port: number;
  /** Stops accepting, closes the WebSockets and the open connections, then the app's work and stores. */
  close(): Promise<void>;
}

/**
 * Serves `app` on the configured host and port with one `node:http` server: its timeouts, the connection
 * limit (`MAX_CONNECTIONS`), the app's request and upgrade handlers. Once bound it logs where it listens
 * (and that auth is off, when it is) and starts the app's background work. For `main.ts`, `npm start`
 * (scripts/start.ts), the tests and the benchmarks.
 */
export async function listen(app: App, config: Config, options: ListenOptions = {}): Promise<Listening> {
  await app.ready();
  const timeouts = { ...defaultTimeouts, ...options.timeouts };
  const server = createServer(serverOptions(timeouts), app.handleRequest);
  const connections = limitConnections(server, {
    max: config.maxConnections,
    firstRequestTimeout: timeouts.firstRequest,
    logger: app.logger,
  });
  server.on('upgrade', app.handleUpgrade);
  const port = await bind(server, config.port, config.host);
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  announce(app.logger, config, url);
  app.start();
  return { server, connections, url, port, close: () => stop(app, server) };
}

/** The port cannot be bound: one line for the operator, naming the port and its variable (exit 2). */
/**
 * `listen` for a command-line entry point (main.ts, `npm start`): a port that cannot be bound is one line
 * naming it and `PORT` on stderr, then exit 2, with the app disposed; any other error is thrown.
 */
export async function listenOrExit(app: App, config: Config): Promise<Listening> {
  try {
    return await listen(app, config);
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    console.error(error.message);
    await app.dispose();
    process.exit(2);
  }
}

export class ListenError extends Error {
  constructor(message: string, options: ErrorOptions) {
    super(message, options);
    this.name = 'ListenError';
  }
}

const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'is already in use: stop what holds it, or choose another port with PORT',
  EACCES: 'needs privileges this process lacks: choose a port above 1023 with PORT',
  EADDRNOTAVAIL: 'is on an address this host does not have: check HOST',
};

/** Listens on `host` and `port`; resolves with the port bound (the one the system chose for port 0). */
function bind(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      const problem = LISTEN_PROBLEMS[error.code ?? ''];
      reject(problem ? new ListenError(`port ${port} on ${host} ${problem}`, { cause: error }) : error);
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The lines a start logs: auth off (a warning), InfluxDB v2 retention, and where the server listens. */
function announce(logger: Logger, config: Config, url: string): void {
  if (!config.authEnabled) {
    logger.warn(
      { host: config.host },
      config.authSwitchedOff
        ? 'auth is off (AUTH=off): every caller has every scope'
        : 'auth is off: no API token is configured, every caller has every scope (set API_TOKENS to turn it on)',
    );
  }
  const influx = config.influx && {
    influx: config.influx.url,
    api: config.influx.api,
    database: config.influx.database,
    ...(config.influx.bucket ? { bucket: config.influx.bucket } : {}),
  };
  if (config.influx?.api === 'v2' && config.retention !== null) {
    logger.info("RETENTION is the InfluxDB bucket's own retention with INFLUX_API=v2; set it in InfluxDB");
  }
  logger.info(
    { url: `${url}/graphql`, store: config.store, ...influx, dataDir: config.dataDir },
    'listening',
  );
}

/** WebSockets first (the app's drain), then the HTTP connections, then the app's work and stores. */
async function stop(app: App, server: Server): Promise<void> {
  await app.drain();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await app.dispose();
}
