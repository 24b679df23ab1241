import type { GraphQLFormattedError } from 'graphql';
import { ClientError } from 'graphql-request';
import { SdkError, type SdkErrorRequest } from './errors.js';

/** How each transport's failures become an `SdkError`: GraphQL errors, HTTP answers, WebSocket events. */

/** An answer with GraphQL errors (over HTTP or the WebSocket). */
export function graphqlError(
  errors: readonly GraphQLFormattedError[],
  request: SdkErrorRequest,
  response: { status?: number; headers?: Headers; body?: string; data?: unknown },
): SdkError {
  const message = errors.map((e) => e.message).join('; ') || 'The server answered without data.';
  return new SdkError({ kind: 'graphql', message, request, errors, response: { ...response, errors } });
}

/** What graphql-request threw: an answer with GraphQL errors, an answer that is not GraphQL, or no answer. */
export function httpError(error: unknown, request: SdkErrorRequest): SdkError {
  if (error instanceof ClientError) {
    const { status, headers, body, errors, data } = error.response as typeof error.response & {
      body?: string;
    };
    if (errors?.length) return graphqlError(errors, request, { status, headers, body, data });
    const excerpt = typeof body === 'string' && body ? `: ${body.slice(0, 200)}` : '';
    return new SdkError({
      kind: 'http',
      message: `HTTP ${status}${excerpt}`,
      request,
      response: { status, headers, body },
      cause: error,
    });
  }
  // A 2xx answer whose body is not GraphQL JSON.
  if (error instanceof SyntaxError) {
    return new SdkError({
      kind: 'http',
      message: `Not a GraphQL answer: ${error.message}`,
      request,
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SdkError({ kind: 'network', message: `No answer: ${message}`, request, cause: error });
}

/** graphql-ws reports GraphQL errors as an array, a closed socket as its close event, anything else as an error. */
export function webSocketError(error: unknown, request: SdkErrorRequest): SdkError {
  if (error instanceof SdkError) return error;
  if (Array.isArray(error)) return graphqlError(error as GraphQLFormattedError[], request, {});
  if (error && typeof error === 'object' && 'code' in error && 'reason' in error) {
    const { code, reason } = error as { code: unknown; reason: unknown };
    const message = `The WebSocket closed (${String(code)}${reason ? `: ${String(reason)}` : ''}).`;
    return new SdkError({ kind: 'network', message, request, cause: error });
  }
  // ws reports connection failures as an ErrorEvent, which is not an Error but has a message.
  const described = (error as { message?: unknown } | null)?.message;
  const message = typeof described === 'string' ? described : String(error);
  return new SdkError({ kind: 'network', message: `WebSocket: ${message}`, request, cause: error });
}
