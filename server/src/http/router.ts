import type { IncomingMessage, ServerResponse } from 'node:http';
import { version } from '@metrics-collector/common/version';
import { schema } from '@metrics-collector/schema';
import { type Principal, requireScope } from '@metrics-collector/schema/auth';
import type { Context, Transport } from '@metrics-collector/schema/context';
import { AppError, badInput } from '@metrics-collector/schema/errors';
import type { Config } from '../config.js';
import { PreparedOperations } from '../graphql/prepared-operations.js';
import type { Yoga } from '../graphql/yoga.js';
import type { Logger } from '../logger.js';
import { executionCounter } from '../telemetry/graphql-metrics.js';
import type { ServerMetrics } from '../telemetry/server-metrics.js';
import { graphqlField, parseJson, readBody, sendJson } from './body.js';
import type { ConsoleAssets } from './console-assets.js';
import type { CrossSite } from './cross-site.js';
import { MethodNotAllowed, maskError, sendError } from './error-boundary.js';
import {
  checkGraphQLParams,
  createGraphQLOverHttp,
  type GraphQLOverHttp,
  graphQLParamsFromQuery,
} from './graphql-over-http.js';
import { createRestV1, type RestV1 } from './rest-v1.js';
import { routeName } from './route-names.js';

/** A `node:http` request listener. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface RouterOptions {
  config: Pick<Config, 'bodyLimit' | 'graphiql' | 'maxResponseBytes' | 'authEnabled'>;
  logger: Logger;
  yoga: Yoga;
  crossSite: CrossSite;
  /** The caller of an `Authorization` value; throws `UNAUTHENTICATED` for one that is not a valid token. */
  authenticate(authorization: string | undefined): Principal;
  /** The context of an operation run for `principal` (the REST shims call the services with it). */
  contextFor(principal: Principal, transport: Transport): Context;
  /** Resolves when the metric store answers (`/ready`). */
  ping(): Promise<void>;
  /** The server's own numbers: served on `GET /metrics`, and each request counted. */
  metrics?: ServerMetrics;
  /** The web console at `/` and `/assets/` (server/src/http/console-assets.ts). */
  consoleAssets?: ConsoleAssets;
}

/** What the routes use: the options and the transports built from them. */
interface Routes extends RouterOptions {
  rest: RestV1;
  graphqlOverHttp: GraphQLOverHttp;
}

/**
 * The request listener of the server: `/health`, `/ready`, the web console (`/`, `/assets/`), the REST v1 shims under `/api/v1/`, and
 * `/graphql` (the hot path, or yoga for subscriptions over SSE and GraphiQL). Every request is logged
 * once answered; every error is answered by the error boundary (`sendError`).
 */
export function createRouter(options: RouterOptions): RequestHandler {
  const mask = (error: unknown) => maskError(error, 'Unexpected error.', options.logger);
  const routes: Routes = {
    ...options,
    rest: createRestV1({ bodyLimit: options.config.bodyLimit }),
    graphqlOverHttp: createGraphQLOverHttp(options.yoga, {
      maxResponseBytes: options.config.maxResponseBytes,
      maskError: mask,
      prepared: {
        operations: new PreparedOperations({
          schema,
          fields: ['reportMetrics'],
          maskError: mask,
          executed: options.metrics ? executionCounter(options.metrics, schema) : () => {},
        }),
        authEnabled: options.config.authEnabled,
        contextFor: options.contextFor,
      },
    }),
  };
  return (req, res) => handleRequest(routes, req, res);
}

function handleRequest(routes: Routes, req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now();
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  res.once('finish', () => {
    const route = routeName(path);
    const status = res.statusCode;
    // Health and readiness polls (every few seconds from an orchestrator) only at debug, while they succeed.
    const poll = (route === '/health' || route === '/ready') && status < 400;
    const elapsed = performance.now() - started;
    // `other` for an unrouted path: a bounded label, whatever paths callers send.
    routes.metrics?.request(route ?? 'other', status, elapsed / 1000);
    const ms = Math.round(elapsed * 10) / 10;
    // An unrouted path is logged as sent (cut short): it names no client.
    const at = route === null ? { path: path.slice(0, 200) } : { route };
    routes.logger[poll ? 'debug' : 'info']({ method: req.method, ...at, status, ms }, 'request');
  });
  route(routes, req, res, path, query).catch((error: unknown) => sendError(res, error, path, routes.logger));
}

/**
 * Every refusal that needs no body comes before the body is read: an unknown route, a foreign `Host` or
 * `Origin`, a body that is not JSON, an invalid token.
 */
async function route(
  routes: Routes,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: string,
): Promise<void> {
  if (path === '/health') return sendJson(res, 200, { status: 'ok', version });
  if (path === '/ready') return ready(routes, res);
  if (path === '/metrics' && routes.metrics) return serveMetrics(routes, routes.metrics, req, res);
  const rest1 = path.startsWith('/api/v1/');
  if (!rest1 && path !== '/graphql') {
    if (routes.consoleAssets && (path === '/' || path === '/index.html' || path.startsWith('/assets/'))) {
      routes.crossSite.check(req);
      if (routes.consoleAssets(req, res, path)) return;
    }
    throw new AppError('NOT_FOUND', `path: no route ${path}`, { field: 'path' });
  }
  if (checkCrossSite(routes.crossSite, req, res, path) === 'answered') return;
  const principal = routes.authenticate(req.headers.authorization);
  if (rest1) return serveRest(routes, req, res, path, query, principal);
  if (req.method === 'GET') return serveGraphQLGet(routes, req, res, query, principal);
  if (req.method !== 'POST') throw new MethodNotAllowed('GET, POST');
  return serveGraphQLPost(routes, req, res, principal);
}

async function ready(routes: Routes, res: ServerResponse): Promise<void> {
  try {
    await routes.ping();
    return sendJson(res, 200, { status: 'ready' });
  } catch (error) {
    routes.logger.warn({ err: error }, 'not ready: the metric store does not answer');
    return sendJson(res, 503, { status: 'unavailable' }, { 'retry-after': '5' });
  }
}

/** `GET /metrics`: the Prometheus text, for a caller with the `read` scope (anyone when auth is off). */
async function serveMetrics(
  routes: Routes,
  metrics: ServerMetrics,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new MethodNotAllowed('GET');
  routes.crossSite.check(req);
  requireScope({ principal: routes.authenticate(req.headers.authorization) }, 'read');
  const text = await metrics.text();
  res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
  res.end(req.method === 'HEAD' ? undefined : text);
}

/**
 * The cross-site checks of an API request (`Host`, `Origin`), its CORS headers, the preflight (which it
 * answers), and the media type of a body sent to a route that takes one.
 */
function checkCrossSite(
  crossSite: CrossSite,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): 'answered' | 'continue' {
  crossSite.check(req);
  if (req.headers.origin !== undefined) {
    for (const [name, value] of Object.entries(crossSite.corsHeaders(req))) res.setHeader(name, value);
  }
  if (req.method === 'OPTIONS') {
    crossSite.preflight(req, res);
    return 'answered';
  }
  // Routes that take a POST body; a POST elsewhere is METHOD_NOT_ALLOWED first.
  if (req.method === 'POST' && (path === '/graphql' || path === '/api/v1/metrics')) {
    crossSite.checkBodyType(req);
  }
  return 'continue';
}

async function serveRest(
  routes: Routes,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: string,
  principal: Principal,
): Promise<void> {
  const answer = await routes.rest(req, path, query, routes.contextFor(principal, 'rest'));
  if (answer.body === undefined) {
    res.writeHead(answer.status, { 'content-length': 0 });
    res.end();
    return;
  }
  sendJson(res, answer.status, answer.body);
}

/** `GET /graphql`: the query-string parameters on the hot path, else GraphiQL or SSE through yoga. */
async function serveGraphQLGet(
  routes: Routes,
  req: IncomingMessage,
  res: ServerResponse,
  query: string,
  principal: Principal,
): Promise<void> {
  const params = graphQLParamsFromQuery(query);
  if (!params) {
    // GraphiQL, for a browser that asks for a page.
    if (routes.config.graphiql && (req.headers.accept ?? '').includes('text/html')) {
      return routes.yoga.requestListener(req, res);
    }
    throw badInput('query', 'is required: send a GraphQL document in the query parameter');
  }
  const eventStream = (req.headers.accept ?? '').includes('text/event-stream');
  if (!eventStream && (await routes.graphqlOverHttp(req, res, params, principal))) return;
  return routes.yoga.requestListener(req, res);
}

/** `POST /graphql`: the body's parameters, checked, on the hot path, else through yoga. */
async function serveGraphQLPost(
  routes: Routes,
  req: IncomingMessage,
  res: ServerResponse,
  principal: Principal,
): Promise<void> {
  const body = checkGraphQLParams(parseJson(await readBody(req, routes.config.bodyLimit), graphqlField));
  if (await routes.graphqlOverHttp(req, res, body, principal)) return;
  // yoga takes an already-read body from `req.body` instead of reading the stream again.
  (req as IncomingMessage & { body: unknown }).body = body;
  return routes.yoga.requestListener(req, res);
}
