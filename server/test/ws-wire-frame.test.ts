/**
 * Events written as whole WebSocket frames (server/src/http/ws-send.ts, `WireFrame`): the frame built
 * once is what a `ws` client reads, for every length encoding, and it waits behind messages `ws` is still
 * compressing on the same socket.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { boundedSender, DeliveryQueue, WireFrame } from '../src/http/ws-send.js';
import { createLogger } from '../src/logger.js';
import { waitFor } from './ws-helpers.js';

/** A server socket and the client's received messages, over loopback. */
async function pair(perMessageDeflate: boolean) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const accepted = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, {
    perMessageDeflate,
  });
  const received: string[] = [];
  client.on('message', (data: Buffer, isBinary: boolean) => {
    expect(isBinary).toBe(false);
    received.push(data.toString('utf8'));
  });
  await new Promise((resolve) => client.once('open', resolve));
  const socket = await accepted;
  const close = async () => {
    client.terminate();
    await new Promise((resolve) => server.close(resolve));
  };
  return { socket, received, close };
}

const logger = createLogger('silent');
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('events as whole WebSocket frames', () => {
  it('reads back as the same text at every length encoding (7-bit, 16-bit and 64-bit lengths)', async () => {
    const { socket, received, close } = await pair(false);
    cleanup = close;
    const sender = boundedSender(socket, 1 << 24, logger, new DeliveryQueue());
    const texts = [0, 1, 125, 126, 127, 65_535, 65_536, 200_000].map((n) =>
      'é'.repeat(Math.floor(n / 2)).padEnd(n - Math.floor(n / 2), 'x'),
    );
    for (const text of texts) sender.deliver(new WireFrame(Buffer.from(text)));
    await waitFor(() => received.length === texts.length, 'every frame', 30_000);
    expect(received).toEqual(texts);
  });

  it('waits behind the messages ws is still compressing on the socket', async () => {
    const { socket, received, close } = await pair(true);
    cleanup = close;
    expect(socket.extensions).toContain('permessage-deflate');
    const queue = new DeliveryQueue();
    const sender = boundedSender(socket, 1 << 24, logger, queue);
    // Answers of 28 to 511 characters are compressed, in zlib's thread pool: ws queues what follows them.
    const answers = Array.from({ length: 50 }, (_, i) => `{"id":"${i}","type":"complete"}`.padEnd(100));
    for (const answer of answers) sender.send(answer);
    const event = 'e'.repeat(2_000);
    sender.deliver(new WireFrame(Buffer.from(event)));
    await waitFor(() => received.length === answers.length + 1, 'every message', 30_000);
    expect(received).toEqual([...answers, event]);
  });
});
