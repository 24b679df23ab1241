import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGraphQLError } from '@graphql-tools/utils';
import { schema } from '@metrics-collector/schema';
import type { Principal } from '@metrics-collector/schema/auth';
import type { StateStore } from '@metrics-collector/schema/clients/types';
import type { Clock } from '@metrics-collector/schema/clock';
import type { Context } from '@metrics-collector/schema/context';
import { AppError, badInput, errorRegistry } from '@metrics-collector/schema/errors';
import { defaultLimits } from '@metrics-collector/schema/limits';
import type { MetricStore } from '@metrics-collector/schema/metrics/types';
import { GraphQLError } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { type Alerting, createAlerting } from './alerts/index.js';
import { RedisLease } from './alerts/lease.js';
import { anonymous, createAuthenticator } from './auth.js';
import { createSqliteStateStore } from './clients/sqlite-store.js';
import { createCommands } from './commands/index.js';
import type { Config } from './config.js';
import {
  type ConnectionLimit,
  defaultTimeouts,
  type HttpTimeouts,
  limitConnections,
  serverOptions,
} from './connections.js';
import { createCrossSite } from './cross-site.js';
import { checkGraphQLParams, createGraphQLOverHttp, graphQLParamsFromQuery } from './graphql-over-http.js';
import { errorHeaders, graphqlField, MethodNotAllowed, parseJson, readBody, sendJson } from './http.js';
import { createLive, type ServerLive } from './live/index.js';
import { createStatusTracker } from './live/status.js';
import { createLogger, type Logger } from './logger.js';
import { createInfluxMetricStore } from './metrics/influx/store.js';
import { createSqliteMetricStore } from './metrics/sqlite/store.js';
import { createRestV1 } from './rest-v1.js';
import { useCompiledExecution } from './use-compiled-execution.js';
import { useQueryLimits } from './use-query-limits.js';
import { useSharedSubscriptionResults } from './use-shared-subscription-results.js';
import { attachGraphQLWebSocket } from './ws.js';

/** What `buildApp` can be handed instead of building it from the configuration (tests, benchmarks). */
export interface AppDeps {
  logger?: Logger;
  clock?: Clock;
  metrics?: MetricStore;
  state?: StateStore;
  /** HTTP timeouts other than the defaults (tests). */
  timeouts?: Partial<HttpTimeouts>;
}

export interface App {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  server: Server;
  metrics: MetricStore;
  state: StateStore;
  live: ServerLive;
  /** Alert rules and their evaluation (tests call `alerting.check()` to check NO_DATA rules now). */
  alerting: Alerting;
  /** The open connections and how many were closed to make room (`MAX_CONNECTIONS`). */
  connections: ConnectionLimit;
  logger: Logger;
  /** Listens on the configured host and port; resolves with the base URL. */
  start(): Promise<{ url: string; port: number }>;
  /** Stops accepting, closes open connections, closes the stores. */
  stop(): Promise<void>;
}

/**
 * Builds the server: yoga at `/graphql` (with GraphiQL), the REST v1 shims, `/health` and `/ready`, all
 * on one `node:http` server. Nothing listens until `start()`.
 */
export function buildApp(config: Config, deps: AppDeps = {}): App {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const clock = deps.clock ?? { now: () => Date.now() };
  const onBackgroundError = (error: unknown) => logger.error({ err: error }, 'background store work failed');
  const metrics =
    deps.metrics ??
    (config.influx
      ? createInfluxMetricStore({
          ...config.influx,
          retention: config.retention,
          onBackgroundError,
          onQuery: (influxql) => logger.debug({ influxql }, 'InfluxQL'),
        })
      : createSqliteMetricStore({ dataDir: config.dataDir, retention: config.retention, onBackgroundError }));
  const state = deps.state ?? createSqliteStateStore({ dataDir: config.dataDir, onBackgroundError });
  const live = createLive({ redisUrl: config.redisUrl, logger });
  const status = createStatusTracker({ live, clock, logger });
  const alerting = createAlerting({
    dataDir: config.dataDir,
    live,
    clock,
    logger,
    lease: live.redis ? new RedisLease(live.redis) : null,
    allowPrivate: config.webhookAllowPrivate,
  });
  const commands = createCommands({ dataDir: config.dataDir, clock, logger });
  const authenticate = createAuthenticator(config.tokens, config.authEnabled);
  const limits = { ...defaultLimits, allowPrivateWebhooks: config.webhookAllowPrivate };
  const contextFor = (principal: Principal): Context => ({
    metrics,
    state,
    live,
    alerts: alerting.store,
    commands: commands.store,
    clock,
    principal,
    limits,
  });

  const principalOf = (initial: Record<string, unknown>): Principal => {
    if (initial.principal) return initial.principal as Principal;
    const request = initial.request as { headers: { get(name: string): string | null } } | undefined;
    try {
      return authenticate(request?.headers.get('authorization') ?? undefined);
    } catch {
      return anonymous;
    }
  };

  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: config.graphiql ? { title: 'metrics-collector' } : false,
    landingPage: false,
    batching: false,
    // CORS is answered by the node:http handler, for CORS_ORIGINS only (server/src/cross-site.ts).
    cors: false,
    // useQueryLimits keeps its own cache of the documents that passed every limit.
    parserAndValidationCache: false,
    context: (initial) => {
      const given = (initial as { principal?: Principal }).principal;
      return contextFor(given ?? authenticate(initial.request.headers.get('authorization') ?? undefined));
    },
    plugins: [
      useQueryLimits({
        budget: config.queryLimits,
        authEnabled: config.authEnabled,
        introspection: config.introspection,
        principalOf,
      }),
      ...useCompiledExecution(),
      useSharedSubscriptionResults(),
    ],
    maskedErrors: { maskError: (error, message) => maskError(error, message, logger) },
    logging: {
      debug: (...args) => logger.debug({ args }, 'yoga'),
      info: (...args) => logger.info({ args }, 'yoga'),
      warn: (...args) => logger.warn({ args }, 'yoga'),
      error: () => {
        // Unexpected errors are logged once, with their cause, by maskError.
      },
    },
  });

  const rest = createRestV1({ bodyLimit: config.bodyLimit });
  const graphqlOverHttp = createGraphQLOverHttp(yoga, {
    maxResponseBytes: config.maxResponseBytes,
    maskError: (error) => maskError(error, 'Unexpected error.', logger),
  });
  const crossSite = createCrossSite({
    authEnabled: config.authEnabled,
    host: config.host,
    allowedHosts: config.allowedHosts,
    corsOrigins: config.corsOrigins,
  });

  /**
   * Every refusal that needs no body comes before the body is read: an unknown route, a foreign `Host` or
   * `Origin`, a body that is not JSON, an invalid token.
   */
  const handle = async (req: IncomingMessage, res: ServerResponse, path: string, query: string) => {
    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/ready') {
      try {
        await metrics.ping();
        return sendJson(res, 200, { status: 'ready' });
      } catch (error) {
        logger.warn({ err: error }, 'not ready: the metric store does not answer');
        return sendJson(res, 503, { status: 'unavailable' }, { 'retry-after': '5' });
      }
    }
    const rest1 = path.startsWith('/api/v1/');
    if (!rest1 && path !== '/graphql') {
      throw new AppError('NOT_FOUND', `path: no route ${path}`, { field: 'path' });
    }
    crossSite.check(req);
    if (req.headers.origin !== undefined) {
      for (const [name, value] of Object.entries(crossSite.corsHeaders(req))) res.setHeader(name, value);
    }
    if (req.method === 'OPTIONS') return crossSite.preflight(req, res);
    // Routes that take a POST body; a POST elsewhere is METHOD_NOT_ALLOWED first.
    if (req.method === 'POST' && (path === '/graphql' || path === '/api/v1/metrics')) {
      crossSite.checkBodyType(req);
    }
    const principal = authenticate(req.headers.authorization);
    if (rest1) {
      const answer = await rest(req, path, query, contextFor(principal));
      if (answer.body === undefined) {
        res.writeHead(answer.status, { 'content-length': 0 });
        return res.end();
      }
      return sendJson(res, answer.status, answer.body);
    }
    if (req.method === 'GET') {
      const params = graphQLParamsFromQuery(query);
      if (!params) {
        // GraphiQL, for a browser that asks for a page.
        if (config.graphiql && (req.headers.accept ?? '').includes('text/html')) {
          return yoga.requestListener(req, res);
        }
        throw badInput('query', 'is required: send a GraphQL document in the query parameter');
      }
      const eventStream = (req.headers.accept ?? '').includes('text/event-stream');
      if (!eventStream && (await graphqlOverHttp(req, res, params, principal))) return;
      return yoga.requestListener(req, res);
    }
    if (req.method !== 'POST') throw new MethodNotAllowed('GET, POST');
    const body = checkGraphQLParams(parseJson(await readBody(req, config.bodyLimit), graphqlField));
    if (await graphqlOverHttp(req, res, body, principal)) return;
    // yoga takes an already-read body from `req.body` instead of reading the stream again.
    (req as IncomingMessage & { body: unknown }).body = body;
    return yoga.requestListener(req, res);
  };

  const timeouts = { ...defaultTimeouts, ...deps.timeouts };
  const server = createServer(serverOptions(timeouts), (req, res) => {
    const started = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);
    res.once('finish', () =>
      logger.info(
        {
          method: req.method,
          path,
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 10) / 10,
        },
        'request',
      ),
    );
    handle(req, res, path, query).catch((error: unknown) => sendError(res, error, path, logger));
  });
  const connections = limitConnections(server, {
    max: config.maxConnections,
    firstRequestTimeout: timeouts.firstRequest,
    logger,
  });

  const webSocket = attachGraphQLWebSocket(server, yoga, {
    logger,
    crossSite,
    maxResponseBytes: config.maxResponseBytes,
    authenticate: (authorization) => authenticate(authorization),
  });

  return {
    yoga,
    server,
    metrics,
    state,
    live,
    alerting,
    connections,
    logger,
    start: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          const host = config.host.includes(':') ? `[${config.host}]` : config.host;
          const url = `http://${host}:${port}`;
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
            logger.info(
              "RETENTION is the InfluxDB bucket's own retention with INFLUX_API=v2; set it in InfluxDB",
            );
          }
          logger.info(
            { url: `${url}/graphql`, store: config.store, ...influx, dataDir: config.dataDir },
            'listening',
          );
          status.start();
          alerting.start();
          commands.start();
          resolve({ url, port });
        });
      }),
    stop: async () => {
      // The status tracker stops first: agents' command streams closing because this server stops do not
      // make them OFFLINE (they reconnect, here or to another replica).
      await status.stop();
      await webSocket.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([alerting.stop(), commands.stop()]);
      await Promise.all([metrics.close(), state.close(), live.close()]);
    },
  };
}

/** Answers an error outside yoga: GraphQL's shape on `/graphql`, the original `{"errors":[...]}` elsewhere. */
function sendError(res: ServerResponse, error: unknown, path: string, logger: Logger): void {
  const known = error instanceof AppError ? error : undefined;
  if (!known) logger.error({ err: error, path }, 'unexpected error');
  const code = known?.code ?? 'INTERNAL_SERVER_ERROR';
  const message = known?.message ?? 'Unexpected error.';
  const status = known?.status ?? 500;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers = known ? errorHeaders(known) : {};
  if (path === '/graphql') {
    const extensions = { code, ...(known?.field ? { field: known.field } : {}) };
    sendJson(res, status, { errors: [{ message, extensions }] }, headers);
  } else {
    sendJson(res, status, { errors: [message], code }, headers);
  }
}

/**
 * Lets expected failures (an `AppError` anywhere in the chain) and graphql-js's own input errors through,
 * each with a registry code; logs and masks everything else as `INTERNAL_SERVER_ERROR`.
 */
function maskError(error: unknown, message: string, logger: Logger): Error {
  let cause: unknown = error;
  while (cause instanceof GraphQLError && !(cause instanceof AppError) && cause.originalError) {
    cause = cause.originalError;
  }
  if (!(error instanceof GraphQLError) || !(cause instanceof GraphQLError)) {
    logger.error({ err: cause }, 'unexpected error');
    return createGraphQLError(message, {
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
      ...(error instanceof GraphQLError ? { nodes: error.nodes, path: error.path } : {}),
    });
  }
  // graphql-jit builds its GraphQLErrors without extensions.
  const extensions: Record<string, unknown> = { ...cause.extensions };
  const foreign = typeof extensions.code === 'string' && !Object.hasOwn(errorRegistry, extensions.code);
  if (foreign) {
    // A library's own code (yoga's BAD_REQUEST, ...): answered with the registry's nearest.
    const status = (extensions.http as { status?: number } | undefined)?.status;
    extensions.code =
      status === 405 ? 'METHOD_NOT_ALLOWED' : status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_USER_INPUT';
  }
  // yoga's: the document has no operation of that name, or several and no name.
  if (extensions.code === 'OPERATION_RESOLUTION_FAILURE') extensions.field ??= 'operationName';
  if (error === cause && extensions.code && !foreign && extensions.field === cause.extensions.field) {
    return error;
  }
  if (cause instanceof AppError && cause.originalError) {
    logger.warn({ err: cause.originalError, code: cause.code }, cause.message);
  }
  // Variable coercion ('Variable "$input" got invalid value 1.5 at "input.cpu.utilization.mean"; ...')
  // keeps graphql-js's message, which names the variable path; the field is that path.
  const variable = error.message.startsWith('Variable "$');
  const field = variable
    ? (/ at "([^"]+)"/.exec(error.message)?.[1] ?? /^Variable "\$(\w+)"/.exec(error.message)?.[1])
    : (extensions.field as string | undefined);
  return createGraphQLError(variable ? error.message : cause.message, {
    nodes: error.nodes,
    path: error.path,
    extensions: {
      ...extensions,
      code: extensions.code ?? 'BAD_USER_INPUT',
      ...(field ? { field } : {}),
      http: { status: 400, ...(extensions.http as object | undefined) },
    },
  });
}
