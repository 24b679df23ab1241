import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '@metrics-collector/schema/auth';
import type { Context, Transport } from '@metrics-collector/schema/context';
import { badInput } from '@metrics-collector/schema/errors';
import { type ExecutionResult, type GraphQLError, getOperationAST } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import type { PreparedOperations } from '../graphql/prepared-operations.js';
import { checkJsonValues, graphqlField } from './body.js';
import { graphQLStatus, MethodNotAllowed, publicResult, responseTooLarge } from './error-boundary.js';

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
 * The hot path for `POST /graphql` and `GET /graphql`: runs queries and mutations straight from the
 * `node:http` handler through `yoga.getEnveloped`, so every envelop plugin still applies (query limits,
 * the document cache, error masking, the context factory), but yoga's Fetch-API request pipeline, most
 * of the cost of a small mutation (docs/benchmarks.md), is skipped. The caller authenticated the request
 * already and hands over its `principal`. Answers larger than `maxResponseBytes` are replaced by
 * `RESPONSE_TOO_LARGE`; a mutation sent with GET is `METHOD_NOT_ALLOWED`. Returns `false` for what it does
 * not serve (subscriptions, answers other than JSON), which then goes through yoga itself.
 */
export function createGraphQLOverHttp(yoga: Yoga, options: GraphQLOverHttpOptions): GraphQLOverHttp {
  return (req, res, params, principal) => serveGraphQL(yoga, options, req, res, params, principal);
}

type Yoga = YogaServerInstance<Record<string, never>, Context>;
type Enveloped = ReturnType<Yoga['getEnveloped']>;

export interface GraphQLOverHttpOptions {
  maxResponseBytes: number;
  /** Turns an error thrown while running the operation into the error answered (the error boundary's). */
  maskError: (error: unknown) => Error;
  /**
   * The agent's report mutation, run without the envelop pipeline once the general path served it
   * (prepared-operations.ts), for callers with the full query budget: anyone while auth is off, else a
   * valid token (a caller without one has a smaller budget, which the general path applies).
   */
  prepared?: {
    operations: PreparedOperations;
    authEnabled: boolean;
    contextFor(principal: Principal, transport: Transport): Context;
  };
}

/** Serves one request on the hot path; `false` when yoga must serve it instead. */
export type GraphQLOverHttp = (
  req: IncomingMessage,
  res: ServerResponse,
  params: GraphQLParams,
  principal: Principal,
) => Promise<boolean>;

/** `createGraphQLOverHttp`'s handler: runs the operation and writes its answer, or returns `false`. */
async function serveGraphQL(
  yoga: Yoga,
  options: GraphQLOverHttpOptions,
  req: IncomingMessage,
  res: ServerResponse,
  params: GraphQLParams,
  principal: Principal,
): Promise<boolean> {
  const mediaType = responseType(req.headers.accept);
  if (!mediaType) return false;
  const { prepared } = options;
  const prepare = prepared && req.method !== 'GET' && (principal.name !== null || !prepared.authEnabled);
  if (prepare) {
    const run = prepared.operations.run(params.query, params.operationName, params.variables, () =>
      prepared.contextFor(principal, 'graphql-http'),
    );
    if (run) {
      writeResult(res, await run, mediaType, options.maxResponseBytes);
      return true;
    }
  }
  const request = {
    // yoga's own check of mutations sent with GET answers a code outside the registry; ours is in runOperation.
    method: 'POST',
    url: req.url,
    headers: { get: (name: string) => header(req, name) },
  };
  const enveloped = yoga.getEnveloped({ request, params, req, res, principal } as never);
  let result: ExecutionResult | null;
  try {
    result = await runOperation(enveloped, params, req.method === 'GET' ? 'GET' : 'POST');
  } catch (error) {
    if (error instanceof MethodNotAllowed) throw error;
    result = { errors: [options.maskError(error) as GraphQLError] };
  }
  if (result === null) return false;
  if (prepare && result.data && !result.errors?.length) {
    prepared.operations.learn(params.query, params.operationName);
  }
  writeResult(res, result, mediaType, options.maxResponseBytes);
  return true;
}

/**
 * Parses, validates and executes the operation with the envelop functions of the request; `null` for a
 * subscription. Throws `METHOD_NOT_ALLOWED` for a mutation sent with GET.
 */
async function runOperation(
  enveloped: Enveloped,
  params: GraphQLParams,
  method: 'GET' | 'POST',
): Promise<ExecutionResult | null> {
  const document = enveloped.parse(params.query);
  const operation = getOperationAST(document, params.operationName);
  if (operation?.operation === 'subscription') return null;
  // yoga's parse answers OPERATION_RESOLUTION_FAILURE when `operationName` picks no operation.
  if (operation?.operation === 'mutation' && method === 'GET') throw new MethodNotAllowed('POST');
  const errors = enveloped.validate(enveloped.schema, document);
  if (errors.length > 0) return { errors };
  const contextValue = await enveloped.contextFactory();
  return (await enveloped.execute({
    schema: enveloped.schema,
    document,
    contextValue,
    variableValues: params.variables,
    operationName: params.operationName,
  })) as ExecutionResult;
}

/** Writes the answer as `mediaType`, replaced by `RESPONSE_TOO_LARGE` when over `maxResponseBytes`. */
function writeResult(
  res: ServerResponse,
  result: ExecutionResult,
  mediaType: string,
  maxResponseBytes: number,
) {
  let answer = result;
  let text = JSON.stringify(publicResult(answer));
  let length = Buffer.byteLength(text);
  if (length > maxResponseBytes) {
    answer = { errors: [responseTooLarge(length, maxResponseBytes)] };
    text = JSON.stringify(publicResult(answer));
    length = Buffer.byteLength(text);
  }
  res.writeHead(graphQLStatus(answer, mediaType), {
    'content-type': `${mediaType}; charset=utf-8`,
    'content-length': length,
  });
  res.end(text);
}

/**
 * The GraphQL-over-HTTP parameters of a GET request's query string (`query`, `variables`,
 * `operationName`, `extensions`), each checked and named when malformed. `null` without `query`.
 */
export function graphQLParamsFromQuery(query: string): GraphQLParams | null {
  const search = new URLSearchParams(query);
  const text = search.get('query');
  if (text === null) return null;
  const json = (name: string): Record<string, unknown> | undefined => {
    const value = search.get(name);
    if (value === null || value === '') return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      throw badInput(name, `is not valid JSON (${(error as Error).message})`);
    }
    if (parsed === null) return undefined;
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw badInput(name, 'must be a JSON object');
    checkJsonValues(parsed, name, graphqlField);
    return parsed as Record<string, unknown>;
  };
  const operationName = search.get('operationName');
  return checkGraphQLParams({
    query: text,
    variables: json('variables'),
    operationName: operationName === '' ? undefined : (operationName ?? undefined),
    extensions: json('extensions'),
  });
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
