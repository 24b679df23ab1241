/**
 * A socket shed by the delivery queue's lag bound (server/src/http/ws-send.ts) gets its close frame with
 * 4008, and the server then ends the connection without waiting for the peer's close frame: here the peer
 * is a bare TCP client that never answers, and still sees the close frame and the end of the stream. (A
 * socket whose sends are still buffered waits as before: self-metrics/slow-consumers.test.ts.)
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { SLOW_CONSUMER_CLOSE_CODE } from '../src/http/error-boundary.js';
import { boundedSender, DeliveryQueue, SHED_EVERY } from '../src/http/ws-send.js';
import { createLogger } from '../src/logger.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A WebSocket server whose every connection gets a bounded sender on `queue`. */
async function serverSheddingOn(queue: DeliveryQueue) {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (socket) => {
    const sender = boundedSender(socket, 1_048_576, createLogger('silent'), queue);
    // The stale frames of one socket: the SHED_EVERY-th is shed.
    for (let i = 0; i < SHED_EVERY; i += 1) sender.deliver(`event ${i}`);
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  stops.push(async () => {
    wss.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
  return (http.address() as AddressInfo).port;
}

/** Upgrades over a bare TCP socket that reads everything and never writes again; resolves at the end. */
async function silentPeer(port: number): Promise<Buffer> {
  const socket = connect(port, '127.0.0.1');
  socket.write(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'end');
  socket.destroy();
  return Buffer.concat(chunks);
}

/** The server's frames after the 101 answer: [opcode, payload] each (unmasked, short payloads). */
function framesOf(received: Buffer): [number, Buffer][] {
  let at = received.indexOf('\r\n\r\n') + 4;
  const frames: [number, Buffer][] = [];
  while (at < received.length) {
    const length = (received[at + 1] as number) & 0x7f;
    frames.push([(received[at] as number) & 0x0f, received.subarray(at + 2, at + 2 + length)]);
    at += 2 + length;
  }
  return frames;
}

describe('a socket shed by the delivery lag bound', () => {
  it('gets the close frame with 4008 after the frames before it, and the end, without answering', async () => {
    // A clock 3 s further on at each reading: every frame has waited past the bound when it is flushed.
    let now = 0;
    const queue = new DeliveryQueue({ maxLag: 2000, now: () => (now += 3000) });
    const port = await serverSheddingOn(queue);
    const frames = framesOf(await silentPeer(port));
    const texts = frames.filter(([op]) => op === 1).map(([, payload]) => payload.toString());
    // The shed frame is not written; the ones before it are.
    expect(texts).toEqual(Array.from({ length: SHED_EVERY - 1 }, (_, i) => `event ${i}`));
    const close = frames.find(([op]) => op === 8);
    expect(close?.[1].readUInt16BE(0)).toBe(SLOW_CONSUMER_CLOSE_CODE);
    // Waiting for the peer, `ws` would end the connection itself only after 30 s (its close timeout).
  }, 20_000);
});
