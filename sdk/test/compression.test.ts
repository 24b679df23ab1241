import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createClient } from '../src/node.js';

/** The Sec-WebSocket-Extensions header a client offers, read from its upgrade request by a server that then refuses it. */
async function offeredExtensions(compression?: boolean): Promise<string | undefined> {
  const server = createServer();
  const upgrade = new Promise<IncomingMessage>((resolve) =>
    server.on('upgrade', (req, socket) => {
      resolve(req);
      socket.destroy();
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const sdk = createClient({
    url: `http://127.0.0.1:${port}/graphql`,
    transport: 'ws',
    retry: false,
    ws: { retryAttempts: 0 },
    ...(compression === undefined ? {} : { compression }),
  });
  try {
    await sdk.metrics().catch(() => undefined);
    return (await upgrade).headers['sec-websocket-extensions'];
  } finally {
    await sdk.close();
    server.close();
  }
}

describe('the node entry', () => {
  it('offers permessage-deflate only when asked (compression: true)', async () => {
    expect(await offeredExtensions()).toBeUndefined();
    expect(await offeredExtensions(false)).toBeUndefined();
    expect(await offeredExtensions(true)).toMatch(/^permessage-deflate/);
  });
});
