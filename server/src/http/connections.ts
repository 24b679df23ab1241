import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';

/**
 * Timeouts of the HTTP server, ms. A connection must send its first request within `firstRequest` (Node
 * never closes a silent connection: its `headersTimeout` starts with the first byte), every request's
 * headers within `headers` and its whole body within `request` (else 408); between keep-alive requests
 * it may idle `keepAlive`.
 */
export interface HttpTimeouts {
  firstRequest: number;
  headers: number;
  request: number;
  keepAlive: number;
}

export const defaultTimeouts: HttpTimeouts = {
  firstRequest: 10_000,
  headers: 10_000,
  request: 30_000,
  keepAlive: 5_000,
};

/** The `node:http` server options for `timeouts`. */
export function serverOptions(timeouts: HttpTimeouts): ServerOptions {
  return {
    headersTimeout: timeouts.headers,
    requestTimeout: timeouts.request,
    keepAliveTimeout: timeouts.keepAlive,
    connectionsCheckingInterval: Math.min(1_000, timeouts.headers),
  };
}

export interface ConnectionLimit {
  /** Open connections (HTTP and WebSocket alike). */
  readonly open: number;
  /** Connections closed to make room for new ones since the start. */
  readonly evicted: number;
}

interface Tracked {
  /** Requests in flight; an upgraded socket (WebSocket) counts as busy for good. */
  busy: number;
  /** Whether the connection sent a request yet (the first-request timeout is then off). */
  asked: boolean;
  /** Called when a response of this connection ends (one function per connection, not per request). */
  done: () => void;
}

export interface ConnectionLimitOptions {
  max: number;
  firstRequestTimeout: number;
  logger: Logger;
}

/**
 * Caps the open connections at `max` (`MAX_CONNECTIONS`, below the file limit). A connection past the
 * cap closes the longest-idle one: a connection that has not sent a request yet or idles between
 * keep-alive requests. Only when every connection is busy (a request in flight, or a WebSocket) is the
 * new one closed at once. Connections that hold the server without asking anything therefore make room
 * for the next caller, so `/health` on a new connection answers however many idle sockets are held.
 */
export function limitConnections(server: Server, options: ConnectionLimitOptions): ConnectionLimit {
  const limiter = new ConnectionLimiter(options);
  server.on('connection', (socket: Socket) => limiter.connected(socket));
  server.on('request', (req: IncomingMessage, res: ServerResponse) => limiter.requested(req, res));
  server.on('upgrade', (req: IncomingMessage) => limiter.upgraded(req));
  return limiter;
}

/** The bookkeeping of `limitConnections`: the server's `connection`, `request` and `upgrade` events. */
class ConnectionLimiter implements ConnectionLimit {
  private readonly tracked = new Map<Socket, Tracked>();
  /** Idle connections, oldest idle first (a Map keeps insertion order). */
  private readonly idle = new Map<Socket, true>();
  private evictedCount = 0;
  private lastWarning = 0;

  constructor(private readonly options: ConnectionLimitOptions) {}

  get open(): number {
    return this.tracked.size;
  }

  get evicted(): number {
    return this.evictedCount;
  }

  connected(socket: Socket): void {
    const { tracked, idle } = this;
    const state: Tracked = {
      busy: 0,
      asked: false,
      done: () => {
        state.busy -= 1;
        if (state.busy === 0 && !socket.destroyed) idle.set(socket, true);
      },
    };
    tracked.set(socket, state);
    idle.set(socket, true);
    socket.setTimeout(this.options.firstRequestTimeout);
    socket.once('close', () => {
      tracked.delete(socket);
      idle.delete(socket);
    });
    if (tracked.size <= this.options.max) return;
    const oldest = idle.keys().next().value as Socket;
    if (oldest !== socket) {
      this.evictedCount += 1;
      idle.delete(oldest);
      oldest.destroy();
      this.warn('connection limit reached: closing the longest-idle connections');
      return;
    }
    this.warn('connection limit reached and every connection busy: refusing new connections');
    socket.destroy();
  }

  requested(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    const state = this.tracked.get(socket);
    if (!state) return;
    if (state.busy === 0) this.idle.delete(socket);
    if (!state.asked) {
      state.asked = true;
      // The first request came: from now on Node's own timeouts apply.
      socket.setTimeout(0);
    }
    state.busy += 1;
    res.once('close', state.done);
  }

  upgraded(req: IncomingMessage): void {
    const socket = req.socket;
    const state = this.tracked.get(socket);
    if (!state) return;
    this.idle.delete(socket);
    socket.setTimeout(0);
    state.busy = Number.POSITIVE_INFINITY;
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < 10_000) return;
    this.lastWarning = now;
    const fields = { open: this.tracked.size, max: this.options.max, evicted: this.evictedCount };
    this.options.logger.warn(fields, message);
  }
}
