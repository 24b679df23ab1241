import { type ASTNode, GraphQLError } from 'graphql';

/**
 * The one error registry. Every error a client must act on carries one of these codes: GraphQL in
 * `extensions.code`, REST through the HTTP status given here. `docs/errors.md` lists exactly these codes
 * (a test checks it).
 */
export const errorRegistry = {
  INVALID_JSON: { status: 400, retryable: false, summary: 'The body is not valid JSON.' },
  BAD_USER_INPUT: {
    status: 400,
    retryable: false,
    summary: 'A field is missing, has the wrong type or an invalid value; `extensions.field` names it.',
  },
  GRAPHQL_PARSE_FAILED: { status: 400, retryable: false, summary: 'The GraphQL document does not parse.' },
  GRAPHQL_VALIDATION_FAILED: {
    status: 400,
    retryable: false,
    summary: 'The GraphQL document does not match the schema (unknown field, wrong argument type, ...).',
  },
  OPERATION_RESOLUTION_FAILURE: {
    status: 400,
    retryable: false,
    summary:
      'The document holds no operation of the given `operationName`, or several operations and no name.',
  },
  QUERY_TOO_DEEP: { status: 400, retryable: false, summary: 'The query nests deeper than allowed.' },
  QUERY_TOO_COMPLEX: {
    status: 400,
    retryable: false,
    summary:
      'The operation is over a limit of the query budget: tokens, fields, aliases, directives or result rows (cost).',
  },
  RESPONSE_TOO_LARGE: {
    status: 400,
    retryable: false,
    summary: 'The answer would be larger than `MAX_RESPONSE_BYTES` (16 MiB); select fewer fields or rows.',
  },
  INVALID_DURATION: {
    status: 400,
    retryable: false,
    summary: 'A duration is not of the form `500ms`, `30s`, `15m`, `1h`, `7d`, `2w` (or sums like `1h30m`).',
  },
  INVALID_TIME_RANGE: {
    status: 400,
    retryable: false,
    summary: 'A time range is empty or reversed (`from >= to`, or a window ending before it starts).',
  },
  TOO_MANY_BUCKETS: {
    status: 400,
    retryable: false,
    summary: 'The range divided by `resample` gives more than 10,000 buckets; use a larger `resample`.',
  },
  UNKNOWN_METRIC: {
    status: 404,
    retryable: false,
    summary: 'The metric is not in the catalogue (`Query.metrics`).',
  },
  NOT_FOUND: {
    status: 404,
    retryable: false,
    summary: 'No such route, or no such object (an agent command id, an alert rule id).',
  },
  COMMAND_ALREADY_ACKNOWLEDGED: {
    status: 409,
    retryable: false,
    summary: 'The agent command was already acknowledged (APPLIED or FAILED); its status stays as it was.',
  },
  COMMAND_EXPIRED: {
    status: 410,
    retryable: false,
    summary: 'The agent command expired before it was acknowledged; it stays EXPIRED.',
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    retryable: false,
    summary: 'The route exists but not for this HTTP method.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retryable: false,
    summary: 'A POST body is not declared `application/json` (`Content-Type`).',
  },
  HOST_NOT_ALLOWED: {
    status: 403,
    retryable: false,
    summary:
      'With auth off, the `Host` header names neither a loopback address nor `HOST` nor one of `ALLOWED_HOSTS` (DNS rebinding).',
  },
  ORIGIN_NOT_ALLOWED: {
    status: 403,
    retryable: false,
    summary: 'The request comes from a web page of another origin that is not in `CORS_ORIGINS`.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    retryable: false,
    summary: 'The body is larger than `BODY_LIMIT` (1 MiB).',
  },
  TOO_MANY_SUBSCRIPTIONS: {
    status: 429,
    retryable: false,
    summary:
      'A WebSocket connection already has the most operations open at once (100); complete one first or open another connection.',
  },
  UNAUTHENTICATED: {
    status: 401,
    retryable: false,
    summary: 'No bearer token was sent, or the token is not one of `API_TOKENS`.',
  },
  FORBIDDEN: { status: 403, retryable: false, summary: 'The token lacks the scope this operation needs.' },
  STORE_UNAVAILABLE: {
    status: 503,
    retryable: true,
    summary:
      'The store could not commit or answer. `extensions.outcome` says whether a write is known not stored (`NOT_STORED`) or may have been (`UNKNOWN`); a retry is safe either way. REST: `Retry-After`.',
  },
  STORE_REJECTED: {
    status: 422,
    retryable: false,
    summary:
      'The metric store refused the points (InfluxDB: older than its retention policy, or a field type conflict); the message says why. Retrying will not help.',
  },
  INTERNAL_SERVER_ERROR: {
    status: 500,
    retryable: true,
    summary: 'An unexpected error; its details are logged on the server and masked in the answer.',
  },
} as const satisfies Record<string, { status: number; retryable: boolean; summary: string }>;

export type ErrorCode = keyof typeof errorRegistry;

/**
 * An expected failure: a registry code, a message for people and, for bad input, the path of the field
 * at fault (`input.cpu.utilization.mean`, `resample_rate`). Thrown by service functions; GraphQL shows it
 * unmasked, the REST shims answer with the code's status.
 */
export class AppError extends GraphQLError {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { field?: string; cause?: unknown; extensions?: Record<string, unknown>; nodes?: ASTNode } = {},
  ) {
    const { status, retryable } = errorRegistry[code];
    super(message, {
      nodes: options.nodes,
      originalError: options.cause instanceof Error ? options.cause : undefined,
      extensions: {
        code,
        ...(options.field ? { field: options.field } : {}),
        ...(retryable ? { retryable } : {}),
        ...options.extensions,
        http: { status },
      },
    });
    this.name = 'AppError';
    this.code = code;
    this.field = options.field;
  }

  get status(): number {
    return errorRegistry[this.code].status;
  }
}

/** Bad input in one field: the message starts with the field's path, as the original service's did. */
export function badInput(field: string, problem: string): AppError {
  return new AppError('BAD_USER_INPUT', `${field}: ${problem}`, { field });
}

/**
 * The same error, located at `node` of the GraphQL document. graphql-js reports an error thrown by a
 * scalar's `parseLiteral` as it is, without a location, and the scalar cannot know the argument's name:
 * the location of the literal at least points at the argument at fault.
 */
export function atNode(error: AppError, node: ASTNode): AppError {
  return new AppError(error.code, error.message, {
    field: error.field,
    extensions: error.extensions,
    nodes: node,
  });
}
