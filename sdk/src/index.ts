/**
 * `@metrics-collector/sdk`: a typed client of the metrics-collector GraphQL API for Node and browsers.
 * Queries and mutations go through graphql-request (or the WebSocket, `transport: 'ws'`), subscriptions
 * through graphql-ws. In Node 20, which has no global WebSocket, pass `webSocketImpl` (the `ws` package)
 * or import from `@metrics-collector/sdk/node`.
 */
export {
  type Client,
  type ClientOptions,
  createClient,
  type RequestOptions,
  type Subscriptions,
  type VariablesArgs,
  type WebSocketOptions,
} from './client.js';
export {
  type ErrorCode,
  errorCodes,
  SdkError,
  type SdkErrorKind,
  type SdkErrorRequest,
  type SdkErrorResponse,
} from './errors.js';
export type * from './generated/graphql.js';
export type { RetryOptions } from './retry.js';
