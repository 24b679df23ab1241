/**
 * `@metrics-collector/sdk/node`: the SDK with `webSocketImpl` defaulting to the `ws` package, for Node
 * versions without a global WebSocket (Node 20). Needs `ws` installed.
 */
import WebSocket from 'ws';
import { type Client, type ClientOptions, createClient as createBaseClient } from './client.js';

export * from './index.js';

/** Options of the Node entry: those of `createClient`, and whether the WebSocket compresses. */
export interface NodeClientOptions extends ClientOptions {
  /**
   * Offer `permessage-deflate` on the WebSocket. It makes small, repetitive messages several times smaller
   * (an agent's report every 10 s: about 6×), and costs a zlib round trip per message, which caps a
   * busy socket (32 reports in flight: 6.5× fewer per second). Ignored when `webSocketImpl` is given.
   * @default false
   */
  compression?: boolean;
}

/** `createClient` with `webSocketImpl` defaulting to `ws` (without compression unless asked for). */
export function createClient(options: NodeClientOptions): Client {
  const { compression = false, ...rest } = options;
  return createBaseClient({ webSocketImpl: compression ? WebSocket : UncompressedWebSocket, ...rest });
}

/** `ws` with `permessage-deflate` off (ws offers it by default); graphql-ws passes only url and protocols. */
class UncompressedWebSocket extends WebSocket {
  constructor(address: string | URL, protocols?: string | string[]) {
    super(address, protocols, { perMessageDeflate: false });
  }
}
