import type { GraphQLFormattedError } from 'graphql';

/**
 * What failed. `network`: no answer (refused, reset, DNS, aborted, the WebSocket closed).
 * `http`: an answer that is not GraphQL (a proxy's 502, a 503 page, 413). `graphql`: the server answered
 * with GraphQL errors; read `code`.
 */
export type SdkErrorKind = 'network' | 'http' | 'graphql';

/** The request as sent. */
export interface SdkErrorRequest {
  query: string;
  variables?: Record<string, unknown> | undefined;
  operationName?: string | undefined;
}

/** The answer as received; absent for `network` errors. */
export interface SdkErrorResponse {
  /** HTTP status; absent over WebSocket. */
  status?: number | undefined;
  headers?: Headers | undefined;
  /** The body as text, when it was read. */
  body?: string | undefined;
  data?: unknown;
  errors?: readonly GraphQLFormattedError[] | undefined;
}

/**
 * Every `extensions.code` the server answers with (its error registry, listed in `docs/errors.md`; a test
 * holds this table to the server's), and whether sending the same request again may succeed. A server
 * newer than the SDK may answer a code that is not here.
 */
export const errorCodes = {
  INVALID_JSON: { retryable: false },
  BAD_USER_INPUT: { retryable: false },
  GRAPHQL_PARSE_FAILED: { retryable: false },
  GRAPHQL_VALIDATION_FAILED: { retryable: false },
  OPERATION_RESOLUTION_FAILURE: { retryable: false },
  QUERY_TOO_DEEP: { retryable: false },
  QUERY_TOO_COMPLEX: { retryable: false },
  RESPONSE_TOO_LARGE: { retryable: false },
  INVALID_DURATION: { retryable: false },
  INVALID_TIME_RANGE: { retryable: false },
  TOO_MANY_BUCKETS: { retryable: false },
  UNKNOWN_METRIC: { retryable: false },
  NOT_FOUND: { retryable: false },
  COMMAND_ALREADY_ACKNOWLEDGED: { retryable: false },
  COMMAND_EXPIRED: { retryable: false },
  METHOD_NOT_ALLOWED: { retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { retryable: false },
  HOST_NOT_ALLOWED: { retryable: false },
  ORIGIN_NOT_ALLOWED: { retryable: false },
  PAYLOAD_TOO_LARGE: { retryable: false },
  TOO_MANY_SUBSCRIPTIONS: { retryable: false },
  UNAUTHENTICATED: { retryable: false },
  FORBIDDEN: { retryable: false },
  STORE_UNAVAILABLE: { retryable: true },
  STORE_REJECTED: { retryable: false },
  INTERNAL_SERVER_ERROR: { retryable: true },
} as const satisfies Record<string, { readonly retryable: boolean }>;

/** A code of `errorCodes`: `BAD_USER_INPUT`, `STORE_UNAVAILABLE`, ... */
export type ErrorCode = keyof typeof errorCodes;

/** Whether `code` is one of `errorCodes` after which a retry may succeed. */
function retryableCode(code: string): boolean {
  return Object.hasOwn(errorCodes, code) && errorCodes[code as ErrorCode].retryable;
}

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** Every failure of the SDK: one class, told apart by `kind` and `code`. */
export class SdkError extends Error {
  override readonly name = 'SdkError';
  readonly kind: SdkErrorKind;
  /** `extensions.code` of the first GraphQL error (`BAD_USER_INPUT`, `STORE_UNAVAILABLE`, ...: `errorCodes`). */
  readonly code: string | undefined;
  /** `extensions.field` of the first GraphQL error: the argument path at fault (`input.windowEnd`). */
  readonly field: string | undefined;
  /** Whether sending the same request again may succeed. */
  readonly retryable: boolean;
  /** HTTP status of the answer, when there was one. */
  readonly status: number | undefined;
  /** The server's `Retry-After`, in ms, when it sent one. */
  readonly retryAfterMs: number | undefined;
  /** Every GraphQL error of the answer (empty unless `kind` is `graphql`). */
  readonly errors: readonly GraphQLFormattedError[];
  readonly request: SdkErrorRequest;
  readonly response: SdkErrorResponse | undefined;

  constructor(init: {
    kind: SdkErrorKind;
    message: string;
    request: SdkErrorRequest;
    response?: SdkErrorResponse | undefined;
    errors?: readonly GraphQLFormattedError[] | undefined;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.request = init.request;
    this.response = init.response;
    this.errors = init.errors ?? [];
    const extensions = this.errors[0]?.extensions;
    this.code = typeof extensions?.code === 'string' ? extensions.code : undefined;
    this.field = typeof extensions?.field === 'string' ? extensions.field : undefined;
    this.status = init.response?.status;
    this.retryAfterMs = parseRetryAfter(init.response?.headers?.get('retry-after'));
    this.retryable =
      init.kind === 'network' ||
      (init.kind === 'http' && this.status !== undefined && RETRYABLE_STATUSES.has(this.status)) ||
      (init.kind === 'graphql' &&
        (extensions?.retryable === true || (this.code !== undefined && retryableCode(this.code))));
  }

  /**
   * Whether the server certainly did nothing, so that even an operation that is not idempotent (creating
   * a rule, sending a command) can be sent again: it answered a retryable code or status, or the
   * connection was refused before the request left. Not after `INTERNAL_SERVER_ERROR`: an unexpected
   * error may strike after the operation took effect.
   */
  get notProcessed(): boolean {
    if (this.kind === 'network') return connectionRefused(this.cause);
    return this.retryable && this.code !== ('INTERNAL_SERVER_ERROR' satisfies ErrorCode);
  }
}

function connectionRefused(cause: unknown): boolean {
  for (let e = cause, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    if ((e as { code?: unknown }).code === 'ECONNREFUSED') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** `Retry-After` as seconds or an HTTP date, in ms. */
function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (value == null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
