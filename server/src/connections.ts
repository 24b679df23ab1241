import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from './logger.js';

/**
 * Timeouts of the HTTP server, ms. A connection must send its first request's headers within
 * `FIRST_REQUEST_TIMEOUT` (Node closes a silent connection never: its `headersTimeout` starts with the
 * first byte), every request's headers within `headersTimeout` and its whole body within
 * `requestTimeout` (else 408); between keep-alive requests it may idle `keepAliveTimeout`.
 */
export const FIRST_REQUEST_TIMEOUT = 10_000;
export const httpTimeouts: ServerOptions = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
};

export interface ConnectionLimit {
  /** Open connections (HTTP and WebSocket alike). */
  readonly open: number;
  /** Connections closed to make room for new ones since the start. */
  readonly evicted: number;
}

interface Tracked {
  /** Requests in flight; an upgraded socket (WebSocket) counts as busy for good. */
  busy: number;
}

/**
 * Caps the open connections at `max` (`MAX_CONNECTIONS`, below the file limit). A connection past the
 * cap closes the longest-idle one: a connection that has not sent a request yet or idles between
 * keep-alive requests. Only when every connection is busy (a request in flight, or a WebSocket) is the
 * new one closed at once. Connections that hold the server without asking anything therefore make room
 * for the next caller, so `/health` on a new connection answers however many idle sockets are held.
 */
export function limitConnections(server: Server, max: number, logger: Logger): ConnectionLimit {
  const tracked = new Map<Socket, Tracked>();
  /** Idle connections, oldest idle first (a Map keeps insertion order). */
  const idle = new Map<Socket, true>();
  let evicted = 0;
  let lastWarning = 0;

  const warn = (message: string) => {
    const now = Date.now();
    if (now - lastWarning < 10_000) return;
    lastWarning = now;
    logger.warn({ open: tracked.size, max, evicted }, message);
  };

  server.on('connection', (socket: Socket) => {
    tracked.set(socket, { busy: 0 });
    idle.set(socket, true);
    socket.setTimeout(FIRST_REQUEST_TIMEOUT);
    socket.once('close', () => {
      tracked.delete(socket);
      idle.delete(socket);
    });
    if (tracked.size <= max) return;
    const oldest = idle.keys().next().value as Socket;
    if (oldest !== socket) {
      evicted += 1;
      idle.delete(oldest);
      oldest.destroy();
      warn('connection limit reached: closing the longest-idle connections');
      return;
    }
    warn('connection limit reached and every connection busy: refusing new connections');
    socket.destroy();
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const state = tracked.get(socket);
    if (!state) return;
    if (state.busy === 0) {
      idle.delete(socket);
      // The first request came: from now on Node's own timeouts apply.
      socket.setTimeout(0);
    }
    state.busy += 1;
    res.once('close', () => {
      state.busy -= 1;
      if (state.busy === 0 && !socket.destroyed) idle.set(socket, true);
    });
  });

  server.on('upgrade', (req: IncomingMessage) => {
    const socket = req.socket;
    const state = tracked.get(socket);
    if (!state) return;
    idle.delete(socket);
    socket.setTimeout(0);
    state.busy = Number.POSITIVE_INFINITY;
  });

  return {
    get open() {
      return tracked.size;
    },
    get evicted() {
      return evicted;
    },
  };
}
