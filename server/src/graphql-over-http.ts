import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from '@metrics-collector/schema/context';
import { badInput } from '@metrics-collector/schema/errors';
import { type ExecutionResult, type GraphQLError, getOperationAST } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';

/** The GraphQL-over-HTTP request parameters of a POST body, checked by `checkGraphQLParams`. */
export interface GraphQLParams {
  [key: string]: unknown;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  extensions?: Record<string, unknown>;
}

const JSON_TYPE = 'application/json';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json';

/**
 * The hot path for `POST /graphql`: runs queries and mutations straight from the `node:http` handler
 * through `yoga.getEnveloped`, so every envelop plugin still applies (parse and validation caches, query
 * limits, error masking, the context factory with auth), but yoga's Fetch-API request pipeline, which
 * DESIGN.md measured as most of the cost of a small mutation, is skipped. Returns `false` for anything
 * it does not serve (subscriptions, answers other than JSON), which then goes
 * through yoga itself.
 */
export function createGraphQLOverHttp(
  yoga: YogaServerInstance<Record<string, never>, Context>,
  maskError: (error: unknown) => Error,
) {
  return async function serve(req: IncomingMessage, res: ServerResponse, params: GraphQLParams) {
    const mediaType = responseType(req.headers.accept);
    if (!mediaType) return false;
    const request = {
      method: 'POST',
      url: req.url,
      headers: { get: (name: string) => header(req, name) },
    };
    const enveloped = yoga.getEnveloped({ request, params, req, res } as never);
    let result: ExecutionResult;
    try {
      const document = enveloped.parse(params.query);
      const operation = getOperationAST(document, params.operationName);
      if (operation?.operation === 'subscription') return false;
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length > 0) {
        result = { errors };
      } else {
        const contextValue = await enveloped.contextFactory();
        result = (await enveloped.execute({
          schema: enveloped.schema,
          document,
          contextValue,
          variableValues: params.variables,
          operationName: params.operationName,
        })) as ExecutionResult;
      }
    } catch (error) {
      result = { errors: [maskError(error) as GraphQLError] };
    }
    const text = JSON.stringify(withoutInternals(result));
    res.writeHead(statusOf(result, mediaType), {
      'content-type': `${mediaType}; charset=utf-8`,
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    return true;
  };
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name.toLowerCase()];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Checks a POST body against the GraphQL-over-HTTP request parameters, naming the parameter at fault, so
 * that no malformed request reaches the hot path or yoga (whose own codes are not in the registry).
 */
export function checkGraphQLParams(body: unknown): GraphQLParams {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(body)) throw badInput('body', 'expected a JSON object with a "query"');
  const { query, variables, operationName, extensions } = body;
  if (typeof query !== 'string') throw badInput('query', 'must be a string holding a GraphQL document');
  if (variables != null && !isObject(variables)) throw badInput('variables', 'must be a JSON object');
  if (operationName != null && typeof operationName !== 'string') {
    throw badInput('operationName', 'must be a string');
  }
  if (extensions != null && !isObject(extensions)) throw badInput('extensions', 'must be a JSON object');
  return body as GraphQLParams;
}

/** The JSON media type the client accepts, preferring the one it names first; `null` if neither. */
function responseType(accept: string | undefined): string | null {
  if (!accept) return JSON_TYPE;
  for (const part of accept.split(',')) {
    const type = part.split(';')[0]?.trim().toLowerCase();
    if (type === GRAPHQL_RESPONSE_TYPE) return GRAPHQL_RESPONSE_TYPE;
    if (type === JSON_TYPE || type === '*/*' || type === 'application/*') return JSON_TYPE;
  }
  return null;
}

/**
 * As yoga decides it: an error's `extensions.http.status` wins (the largest); with legacy
 * `application/json`, errors that only the GraphQL-over-HTTP spec gives a status (validation) answer 200;
 * a masked unexpected error without data answers 500.
 */
function statusOf(result: ExecutionResult, mediaType: string): number {
  let status = 0;
  let unexpected = false;
  for (const error of result.errors ?? []) {
    const http = error.extensions?.http as { status?: number; spec?: boolean } | undefined;
    if (http) {
      if (mediaType === JSON_TYPE && http.spec) continue;
      if (http.status && http.status > status) status = http.status;
    } else if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') unexpected = true;
  }
  if (status) return status;
  return unexpected && result.data == null ? 500 : 200;
}

function withoutInternals(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  return {
    ...result,
    errors: result.errors.map((error) => {
      const { http: _http, ...extensions } = (error.extensions ?? {}) as Record<string, unknown>;
      return {
        message: error.message,
        ...(error.locations ? { locations: error.locations } : {}),
        ...(error.path ? { path: error.path } : {}),
        ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
      } as unknown as GraphQLError;
    }),
  };
}
