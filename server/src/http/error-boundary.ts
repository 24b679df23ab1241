/**
 * The error boundary of every transport: how an error becomes an HTTP status, a REST or GraphQL body, a
 * WebSocket close code, and a log line. Codes come from the registry (`@metrics-collector/schema/errors`);
 * only an unexpected error is logged with its cause, and it is answered masked as `INTERNAL_SERVER_ERROR`.
 *
 * - Outside yoga (routing, cross-site checks, auth, REST, body reading): `sendError`.
 * - GraphQL, over HTTP and WebSocket alike: `maskError` (yoga's `maskedErrors`), then `graphQLStatus` and
 *   `publicResult` for the answer of the HTTP hot path.
 * - WebSocket: `upgradeNotFound`/`refuseUpgrade` before the upgrade, `refuseConnection` at
 *   `connection_init`, `tooManySubscriptions` for an operation, `closeForFailure` and `socketCloses` for
 *   the socket.
 */
import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { createGraphQLError } from '@graphql-tools/utils';
import { AppError, type ErrorCode, errorRegistry } from '@metrics-collector/schema/errors';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { SlowConsumerError } from '../live/bounded-pubsub.js';
import type { Logger } from '../logger.js';
import { sendJson } from './body.js';

// --- Errors the transports raise ------------------------------------------------------------------------

/** `METHOD_NOT_ALLOWED` for a route that answers only `allow` (such as `POST`), which `Allow` names. */
export class MethodNotAllowed extends AppError {
  constructor(readonly allow: string) {
    super('METHOD_NOT_ALLOWED', `method: this route answers ${allow} only`, { field: 'method' });
  }
}

/** The error that replaces an answer larger than `MAX_RESPONSE_BYTES` (over HTTP and WebSocket). */
export function responseTooLarge(bytes: number, limit: number): AppError {
  return new AppError(
    'RESPONSE_TOO_LARGE',
    `query: the answer would be ${bytes} bytes, more than the ${limit} allowed; select fewer fields or rows`,
    { field: 'query' },
  );
}

/** The registry code of the error an operation gets past `maxSubscriptionsPerConnection`. */
export const TOO_MANY_SUBSCRIPTIONS = 'TOO_MANY_SUBSCRIPTIONS' satisfies ErrorCode;

/**
 * The error of an operation past the per-connection limit. Sent over the socket as graphql-ws sends
 * errors, so only `code` and `limit` (no HTTP status) are in its extensions.
 */
export function tooManySubscriptions(limit: number): GraphQLError {
  return createGraphQLError(
    `Too many subscriptions on this connection: the limit is ${limit}; complete one first or open another connection.`,
    { extensions: { code: TOO_MANY_SUBSCRIPTIONS, limit } },
  );
}

// --- HTTP outside yoga ----------------------------------------------------------------------------------

/**
 * Headers every error answer of a code carries: a retry hint for retryable codes, a challenge for 401,
 * the methods a route answers for 405 (RFC 9110 requires `Allow` there).
 */
export function errorHeaders(error: AppError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (error instanceof MethodNotAllowed) headers.allow = error.allow;
  if (errorRegistry[error.code].retryable) headers['retry-after'] = '5';
  if (error.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer';
  if (error.code === 'PAYLOAD_TOO_LARGE') headers.connection = 'close';
  return headers;
}

/**
 * Answers an error outside yoga with the code's status: GraphQL's shape on `/graphql`, the original
 * `{"errors":[...],"code":...}` elsewhere. An error that is not an `AppError` is logged and masked; once
 * the headers are sent, the connection is cut instead.
 */
export function sendError(res: ServerResponse, error: unknown, path: string, logger: Logger): void {
  const known = error instanceof AppError ? error : undefined;
  if (!known) logger.error({ err: error, path }, 'unexpected error');
  const code: ErrorCode = known?.code ?? 'INTERNAL_SERVER_ERROR';
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

// --- GraphQL --------------------------------------------------------------------------------------------

/**
 * Lets expected failures (an `AppError` anywhere in the chain) and graphql-js's own input errors through,
 * each with a registry code; logs and masks everything else as `INTERNAL_SERVER_ERROR`.
 */
export function maskError(error: unknown, message: string, logger: Logger): Error {
  let cause: unknown = error;
  while (cause instanceof GraphQLError && !(cause instanceof AppError) && cause.originalError) {
    cause = cause.originalError;
  }
  if (!(error instanceof GraphQLError) || !(cause instanceof GraphQLError)) {
    logger.error({ err: cause }, 'unexpected error');
    return createGraphQLError(message, {
      extensions: { code: 'INTERNAL_SERVER_ERROR' satisfies ErrorCode },
      ...(error instanceof GraphQLError ? { nodes: error.nodes, path: error.path } : {}),
    });
  }
  // graphql-jit builds its GraphQLErrors without extensions.
  const extensions: Record<string, unknown> = { ...cause.extensions };
  const foreign = typeof extensions.code === 'string' && !Object.hasOwn(errorRegistry, extensions.code);
  if (foreign) extensions.code = registryCodeOf(extensions.http as { status?: number } | undefined);
  // yoga's: the document has no operation of that name, or several and no name.
  if (extensions.code === ('OPERATION_RESOLUTION_FAILURE' satisfies ErrorCode))
    extensions.field ??= 'operationName';
  if (error === cause && extensions.code && !foreign && extensions.field === cause.extensions.field) {
    return error;
  }
  if (cause instanceof AppError && cause.originalError) {
    logger.warn({ err: cause.originalError, code: cause.code }, cause.message);
  }
  // Variable coercion ('Variable "$input" got invalid value 1.5 at "input.cpu.utilization.mean"; ...')
  // keeps graphql-js's message, which names the variable path; the field is that path.
  const variable = error.message.startsWith('Variable "$');
  const field = variable ? variableField(error.message) : (extensions.field as string | undefined);
  return createGraphQLError(variable ? error.message : cause.message, {
    nodes: error.nodes,
    path: error.path,
    extensions: {
      ...extensions,
      code: extensions.code ?? ('BAD_USER_INPUT' satisfies ErrorCode),
      ...(field ? { field } : {}),
      http: { status: 400, ...(extensions.http as object | undefined) },
    },
  });
}

/** A library's own code (yoga's BAD_REQUEST, ...) answered with the registry's nearest, by its status. */
function registryCodeOf(http: { status?: number } | undefined): ErrorCode {
  const status = http?.status;
  return status === 405 ? 'METHOD_NOT_ALLOWED' : status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_USER_INPUT';
}

/** The variable path a graphql-js coercion message names (`input.cpu.utilization.mean`), or the variable. */
function variableField(message: string): string | undefined {
  return / at "([^"]+)"/.exec(message)?.[1] ?? /^Variable "\$(\w+)"/.exec(message)?.[1];
}

const JSON_TYPE = 'application/json';

/**
 * The HTTP status of a GraphQL answer, as yoga decides it: an error's `extensions.http.status` wins (the
 * largest); with legacy `application/json`, errors that only the GraphQL-over-HTTP spec gives a status
 * (validation) answer 200; a masked unexpected error without data answers 500.
 */
export function graphQLStatus(result: ExecutionResult, mediaType: string): number {
  let status = 0;
  let unexpected = false;
  for (const error of result.errors ?? []) {
    const http = error.extensions?.http as { status?: number; spec?: boolean } | undefined;
    if (http) {
      if (mediaType === JSON_TYPE && http.spec) continue;
      if (http.status && http.status > status) status = http.status;
    } else if (error.extensions?.code === ('INTERNAL_SERVER_ERROR' satisfies ErrorCode)) unexpected = true;
  }
  if (status) return status;
  return unexpected && result.data == null ? 500 : 200;
}

/** A GraphQL answer as clients see it: errors without the `http` extension the status was taken from. */
export function publicResult(result: ExecutionResult): ExecutionResult {
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

// --- WebSocket ------------------------------------------------------------------------------------------

/**
 * Close code for a subscriber that does not read fast enough: its socket's send buffer passed
 * `maxBufferedBytes`, or its subscription fell too far behind. Outside graphql-ws's own 4400–4499 and
 * 4500; mirrors HTTP 408/"too slow". Documented in docs/live.md.
 */
export const SLOW_CONSUMER_CLOSE_CODE = 4008;

/**
 * Every close the server itself starts on a graphql-ws socket. A token that is not valid is closed by
 * graphql-ws with `CloseCode.Forbidden` (4403) when `refuseConnection` returns false.
 */
export const socketCloses = {
  /** The socket's send buffer passed `maxBufferedBytes`. */
  slowSend: { code: SLOW_CONSUMER_CLOSE_CODE, reason: 'Slow consumer: too many unsent messages' },
  slowDelivery: { code: SLOW_CONSUMER_CLOSE_CODE, reason: 'Slow consumer: events fell too far behind' },
  /** A subscription fell too far behind (server/src/live/bounded-pubsub.ts). */
  slowEvents: { code: SLOW_CONSUMER_CLOSE_CODE, reason: 'Slow consumer: too many events waiting' },
  /** Handling a message failed unexpectedly. */
  internal: { code: CloseCode.InternalServerError, reason: 'Internal server error' },
  /** The server stops (going away). */
  stopping: { code: 1001, reason: 'Server stopping' },
} as const;

/** The close for a failure while handling a message; an unexpected one is logged. */
export function closeForFailure(error: unknown, logger: Logger): { code: number; reason: string } {
  if (error instanceof SlowConsumerError) return socketCloses.slowEvents;
  logger.error({ err: error }, 'graphql-ws message handling failed');
  return socketCloses.internal;
}

/** The log line of a subscriber closed because its send buffer passed the limit. */
export function logSlowSubscriber(logger: Logger, bufferedAmount: number, limit: number): void {
  logger.warn({ bufferedAmount, limit }, 'websocket subscriber too slow: closing it');
}

/** Sockets the delivery queue shed since its last report (at most one a second). */
export function logShedSubscribers(logger: Logger, count: number, lagMs: number): void {
  logger.warn({ count, lagMs }, 'websocket subscribers too far behind: closed some');
}

/**
 * At `connection_init`: a token that is not valid refuses the connection (`false`, which graphql-ws answers
 * with 4403), logged without a stack; anything else is unexpected and thrown on.
 */
export function refuseConnection(error: unknown, logger: Logger): false {
  if (!(error instanceof AppError)) throw error;
  logger.info({ code: error.code }, 'websocket refused: the token is not valid');
  return false;
}

/** Ends an upgrade request for a path that takes none: 404, no body. */
export function upgradeNotFound(socket: Duplex): void {
  socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
}

/** Ends an upgrade request refused before the upgrade (cross-site checks): the code's status, GraphQL's shape. */
export function refuseUpgrade(socket: Duplex, error: AppError): void {
  const body = JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.code } }] });
  const status = error.status;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
