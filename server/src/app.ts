import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Principal } from '@metrics-collector/schema/auth';
import type { StateStore } from '@metrics-collector/schema/clients/types';
import type { Clock } from '@metrics-collector/schema/clock';
import type { Context, Transport } from '@metrics-collector/schema/context';
import { defaultLimits } from '@metrics-collector/schema/limits';
import type { MetricStore } from '@metrics-collector/schema/metrics/types';
import { type Alerting, createAlerting } from './alerts/index.js';
import { RedisLease } from './alerts/lease.js';
import { createAuthenticator } from './auth.js';
import { PgStateStore } from './clients/pg-store.js';
import { createSqliteStateStore } from './clients/sqlite-store.js';
import { createCommands } from './commands/index.js';
import { pgCommandBackend } from './commands/pg-store.js';
import type { Config } from './config.js';
import { createGraphQL, type Yoga } from './graphql/yoga.js';
import { createConsoleAssets } from './http/console-assets.js';
import { CrossSite } from './http/cross-site.js';
import { createRouter, type RequestHandler } from './http/router.js';
import { createGraphQLWebSocket } from './http/ws.js';
import { createLive, type ServerLive } from './live/index.js';
import { createStatusTracker } from './live/status.js';
import { createStdoutLogger, type Logger } from './logger.js';
import { createInfluxMetricStore } from './metrics/influx/store.js';
import { createSqliteMetricStore } from './metrics/sqlite/store.js';
import { PgDatabase } from './pg/database.js';
import { PgLease } from './pg/lease.js';
import { ServerMetrics } from './telemetry/server-metrics.js';
import { timedStore } from './telemetry/timed-store.js';

/** What `buildApp` can be handed instead of building it from the configuration (tests, benchmarks). */
export interface AppDeps {
  logger?: Logger;
  clock?: Clock;
  metrics?: MetricStore;
  state?: StateStore;
}

/**
 * The server without a socket: a request handler and an upgrade handler for a listener to call
 * (`listen` in server/src/listen.ts, or a test in-process), the stores and services behind them, and
 * the steps of starting and stopping their background work.
 */
export interface App {
  /** The `node:http` request listener: `/graphql`, the REST v1 shims, `/health` and `/ready`. */
  handleRequest: RequestHandler;
  /** For the HTTP server's `upgrade` event: graphql-ws on `/graphql`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  yoga: Yoga;
  metrics: MetricStore;
  state: StateStore;
  live: ServerLive;
  /** Alert rules and their evaluation (tests call `alerting.check()` to check NO_DATA rules now). */
  alerting: Alerting;
  logger: Logger;
  /** The server's own numbers (`GET /metrics`). */
  telemetry: ServerMetrics;
  /** Settles once the stores can serve (PostgreSQL migrated); `listen` awaits it before it binds. */
  ready(): Promise<void>;
  /** Starts the background work: client status, alert evaluation, command expiry. */
  start(): void;
  /**
   * The first step of stopping, before the listener closes its connections: stops the client status
   * tracker, then closes every WebSocket (1001).
   */
  drain(): Promise<void>;
  /** The last step of stopping, once no request runs: stops alerting and commands, closes the stores. */
  dispose(): Promise<void>;
}

/**
 * Builds the server: yoga at `/graphql` (with GraphiQL), the REST v1 shims, `/health` and `/ready`, and
 * graphql-ws, over the stores the configuration names. Nothing listens: see `listen`.
 */
export function buildApp(config: Config, deps: AppDeps = {}): App {
  const logger = deps.logger ?? createStdoutLogger(config.logLevel, config.logFormat);
  const clock = deps.clock ?? { now: () => Date.now() };
  const onBackgroundError = (error: unknown) => logger.error({ err: error }, 'background store work failed');
  let commandsByState: () => Iterable<[string, number]> | Promise<Iterable<[string, number]>> = () => [];
  const telemetry = new ServerMetrics({ commandsByState: () => commandsByState() });
  const onGroup = (writes: number, points: number, seconds: number) => {
    telemetry.groupReports.observe(writes);
    telemetry.groupPoints.observe(points);
    telemetry.groupCommit.observe(seconds);
  };
  const store =
    deps.metrics ??
    (config.influx
      ? createInfluxMetricStore({
          ...config.influx,
          retention: config.retention,
          onBackgroundError,
          onQuery: (influxql) => logger.debug({ influxql }, 'InfluxQL'),
        })
      : createSqliteMetricStore({
          dataDir: config.dataDir,
          retention: config.retention,
          onBackgroundError,
          onGroup,
        }));
  const metrics = timedStore(store, config.store, telemetry);
  // DATABASE_URL: the state replicas share is in PostgreSQL (docs/scaling.md); otherwise in DATA_DIR.
  const db = config.databaseUrl
    ? new PgDatabase({ url: config.databaseUrl, onError: onBackgroundError })
    : null;
  const state =
    deps.state ??
    (db
      ? new PgStateStore(db, { onBackgroundError })
      : createSqliteStateStore({ dataDir: config.dataDir, onBackgroundError }));
  const live = createLive({ redisUrl: config.redisUrl, logger });
  const status = createStatusTracker({ live, clock, logger });
  const alerting = createAlerting({
    dataDir: config.dataDir,
    db,
    live,
    clock,
    logger,
    lease: live.redis ? (db ? new PgLease(db) : new RedisLease(live.redis)) : null,
    allowPrivate: config.webhookAllowPrivate,
    telemetry,
  });
  const commands = createCommands({
    dataDir: config.dataDir,
    clock,
    logger,
    ...(db ? { backend: pgCommandBackend(db) } : {}),
  });
  commandsByState = () => commands.countByStatus();
  const authenticate = createAuthenticator(config.tokens, config.authEnabled);
  const limits = { ...defaultLimits, allowPrivateWebhooks: config.webhookAllowPrivate };
  const contextFor = (principal: Principal, transport: Transport): Context => ({
    metrics,
    state,
    live,
    alerts: alerting.store,
    commands: commands.store,
    clock,
    principal,
    limits,
    reports: telemetry.reportsOver(transport),
  });

  const yoga = createGraphQL({ config, logger, authenticate, contextFor, metrics: telemetry });
  const crossSite = new CrossSite({
    authEnabled: config.authEnabled,
    host: config.host,
    allowedHosts: config.allowedHosts,
    corsOrigins: config.corsOrigins,
  });
  const handleRequest = createRouter({
    config,
    logger,
    yoga,
    crossSite,
    authenticate,
    contextFor,
    ping: async () => {
      await Promise.all([metrics.ping(), db?.ping()]);
    },
    metrics: telemetry,
    consoleAssets: createConsoleAssets(),
  });
  const webSocket = createGraphQLWebSocket(yoga, {
    logger,
    crossSite,
    maxResponseBytes: config.maxResponseBytes,
    authenticate: (authorization) => authenticate(authorization),
    telemetry,
  });

  return {
    handleRequest,
    handleUpgrade: webSocket.handleUpgrade,
    yoga,
    metrics,
    state,
    live,
    alerting,
    logger,
    telemetry,
    ready: async () => {
      await db?.ready;
      await alerting.ready();
    },
    start: () => {
      status.start();
      alerting.start();
      commands.start();
    },
    drain: async () => {
      // The status tracker stops first: agents' command streams closing because this server stops do not
      // make them OFFLINE (they reconnect, here or to another replica).
      await status.stop();
      await webSocket.close();
    },
    dispose: async () => {
      await Promise.all([alerting.stop(), commands.stop()]);
      await Promise.all([metrics.close(), state.close(), live.close()]);
      await db?.close();
    },
  };
}
