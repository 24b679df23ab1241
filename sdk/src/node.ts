/**
 * `@metrics-collector/sdk/node`: the SDK with `webSocketImpl` defaulting to the `ws` package, for Node
 * versions without a global WebSocket (Node 20). Needs `ws` installed.
 */
import WebSocket from 'ws';
import { type Client, type ClientOptions, createClient as createBaseClient } from './client.js';

export * from './index.js';

/** `createClient` with `webSocketImpl` defaulting to `ws`. */
export function createClient(options: ClientOptions): Client {
  return createBaseClient({ webSocketImpl: WebSocket, ...options });
}
