import { createRequire } from 'node:module';
import { schema } from '@metrics-collector/schema';
import type { Principal } from '@metrics-collector/schema/auth';
import type { Context, Transport } from '@metrics-collector/schema/context';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { anonymous } from '../auth.js';
import type { Config } from '../config.js';
import { maskError } from '../http/error-boundary.js';
import type { Logger } from '../logger.js';
import { useGraphQLMetrics } from '../telemetry/graphql-metrics.js';
import type { ServerMetrics } from '../telemetry/server-metrics.js';
import { useCompiledExecution } from './use-compiled-execution.js';
import { useQueryLimits } from './use-query-limits.js';
import { useSharedSubscriptionResults } from './use-shared-subscription-results.js';

type GraphiQLRender = typeof import('@graphql-yoga/render-graphiql')['renderGraphiQL'];
let graphiqlRender: GraphiQLRender | undefined;
const require = createRequire(import.meta.url);

/**
 * The offline GraphiQL page; the package (9 MB of inlined scripts) is loaded on first use, not at start.
 * With require, not import(): `npm start` runs its bundle from V8's code cache, which on Node.js 20 loses
 * the loader of every import() in it (scripts/code-cache.mjs).
 */
async function renderGraphiQLOffline(options: Parameters<GraphiQLRender>[0]): Promise<string> {
  graphiqlRender ??= (
    require('@graphql-yoga/render-graphiql') as typeof import('@graphql-yoga/render-graphiql')
  ).renderGraphiQL;
  return graphiqlRender(options);
}

/** The GraphQL server every transport runs operations through (its envelop plugins, its context). */
export type Yoga = YogaServerInstance<Record<string, never>, Context>;

export interface GraphQLOptions {
  config: Pick<Config, 'graphiql' | 'queryLimits' | 'authEnabled' | 'introspection'>;
  logger: Logger;
  /** The caller of an `Authorization` value; throws `UNAUTHENTICATED` for one that is not a valid token. */
  authenticate(authorization: string | undefined): Principal;
  /** The context of an operation run for `principal`, arrived over `transport`. */
  contextFor(principal: Principal, transport: Transport): Context;
  /** Counts operations and subscriptions for `/metrics`. */
  metrics?: ServerMetrics;
}

/**
 * yoga at `/graphql` (with GraphiQL unless `GRAPHIQL=false`), with the plugins: query limits, compiled
 * execution, shared subscription results, and error masking through the error boundary. The HTTP hot
 * path and graphql-ws hand over the principal they authenticated; yoga's own pipeline (SSE, GraphiQL)
 * authenticates from the request.
 */
export function createGraphQL(options: GraphQLOptions): Yoga {
  const { config, logger, authenticate, contextFor } = options;
  return createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: config.graphiql ? { title: 'metrics-collector' } : false,
    // GraphiQL from @graphql-yoga/render-graphiql: its scripts, styles and editor workers are inlined in
    // the page (9 MB, loaded on the first request for it, not at start), so that it needs no CDN.
    renderGraphiQL: renderGraphiQLOffline,
    landingPage: false,
    batching: false,
    // CORS is answered by the node:http handler, for CORS_ORIGINS only (server/src/http/cross-site.ts).
    cors: false,
    // useQueryLimits keeps its own cache of the documents that passed every limit.
    parserAndValidationCache: false,
    context: (initial) => {
      const { principal: given, transport } = initial as { principal?: Principal; transport?: Transport };
      return contextFor(
        given ?? authenticate(initial.request.headers.get('authorization') ?? undefined),
        transport ?? 'graphql-http',
      );
    },
    plugins: [
      // First: it hears the operations the other plugins refuse (the query budget) too.
      ...(options.metrics ? [useGraphQLMetrics(options.metrics, schema)] : []),
      useQueryLimits({
        budget: config.queryLimits,
        authEnabled: config.authEnabled,
        introspection: config.introspection,
        principalOf: (initial) => principalOf(initial, authenticate),
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
}

/**
 * The caller whose budget applies to a document: the principal a transport handed over, else the
 * request's token; a token that is not valid gets the anonymous budget (the operation is refused later).
 */
function principalOf(
  initial: Record<string, unknown>,
  authenticate: (authorization: string | undefined) => Principal,
): Principal {
  if (initial.principal) return initial.principal as Principal;
  const request = initial.request as { headers: { get(name: string): string | null } } | undefined;
  try {
    return authenticate(request?.headers.get('authorization') ?? undefined);
  } catch {
    return anonymous;
  }
}
