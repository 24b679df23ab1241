/**
 * The server's WebSocket class (server/src/http/ws-quiet-close.ts): a close, by the server or by the
 * client, still completes its handshake with the code sent, and no stream of the connection is ended
 * again once ended (which makes an error, stack trace and all, that `ws` drops). A real `ws` server and
 * client on a loopback port.
 */
import type { AddressInfo } from 'node:net';
import { Duplex, Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { QuietCloseWebSocket } from '../src/http/ws-quiet-close.js';
import { waitFor } from './ws-helpers.js';

/** `end()` calls on `streams` once ended, through `Writable` and `Duplex` (sockets) alike. */
function countEndsAfterEnd(streams: Set<unknown>) {
  const count = { again: 0 };
  for (const proto of [Writable.prototype, Duplex.prototype]) {
    const end = proto.end;
    vi.spyOn(proto, 'end').mockImplementation(function (this: Writable, ...args: unknown[]) {
      if (this.writableEnded && streams.has(this)) count.again += 1;
      return (end as (...a: unknown[]) => Writable).apply(this, args);
    });
  }
  return count;
}

async function closeOnce(WebSocketClass: typeof WebSocket, by: 'server' | 'client') {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', WebSocket: WebSocketClass });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
  const server = await serverSide;
  const seen = { client: 0, server: 0 };
  client.once('close', (code) => (seen.client = code));
  server.once('close', (code) => (seen.server = code));
  // The server side's socket and frame parser (the client is plain `ws`).
  const { _socket, _receiver } = server as unknown as { _socket: unknown; _receiver: unknown };
  const count = countEndsAfterEnd(new Set([_socket, _receiver]));
  if (by === 'server') server.close(4008, 'slow');
  else client.close(4000, 'bye');
  await waitFor(() => seen.client !== 0 && seen.server !== 0, 'both sides closed', 10_000);
  vi.restoreAllMocks();
  await new Promise((resolve) => wss.close(resolve));
  return { ...seen, endsAfterEnd: count.again };
}

afterEach(() => vi.restoreAllMocks());

describe('the server WebSocket class', () => {
  it('closes with the code sent and ends no stream twice, when the server closes', async () => {
    expect(await closeOnce(QuietCloseWebSocket, 'server')).toEqual({
      client: 4008,
      server: 4008,
      endsAfterEnd: 0,
    });
  });

  it('closes with the code sent and ends no stream twice, when the client closes', async () => {
    expect(await closeOnce(QuietCloseWebSocket, 'client')).toEqual({
      client: 4000,
      server: 4000,
      endsAfterEnd: 0,
    });
  });

  it('is needed: ws itself ends streams again on a close', async () => {
    // If a ws release stops doing so, QuietCloseWebSocket can go.
    expect((await closeOnce(WebSocket, 'server')).endsAfterEnd).toBeGreaterThan(0);
  });
});
