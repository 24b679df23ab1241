import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Principal } from '@metrics-collector/schema/auth';
import type { Context } from '@metrics-collector/schema/context';
import type { AppError } from '@metrics-collector/schema/errors';
import { handleProtocols } from 'graphql-ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../telemetry/server-metrics.js';
import type { CrossSite } from './cross-site.js';
import {
  closeForFailure,
  logShedSubscribers,
  refuseUpgrade,
  socketCloses,
  upgradeNotFound,
} from './error-boundary.js';
import { createOperationServer, isPlaceholder, type OperationServer } from './ws-operations.js';
import { QuietCloseWebSocket } from './ws-quiet-close.js';
import { boundedSender, DeliveryQueue } from './ws-send.js';

export interface WebSocketOptions {
  /** Keep-alive ping interval, ms; a socket that does not answer a ping within as long is dropped. @default 12000 */
  keepAlive?: number;
  /**
   * Bytes a socket may hold unsent (`ws.bufferedAmount`) before the server gives up on the subscriber and
   * closes it with `SLOW_CONSUMER_CLOSE_CODE`. @default 1048576 (1 MiB)
   */
  maxBufferedBytes?: number;
  /** Operations (subscriptions, and queries still running) one connection may have open. @default 100 */
  maxSubscriptionsPerConnection?: number;
  /** Largest incoming message, bytes. @default 1048576 (1 MiB) */
  maxPayload?: number;
  /** Largest answer to a query or mutation sent over the socket, bytes (`MAX_RESPONSE_BYTES`). */
  maxResponseBytes: number;
  /** Refuses upgrades from foreign origins and, with auth off, foreign hosts. */
  crossSite: CrossSite;
  /** The caller of an `Authorization` value; throws `UNAUTHENTICATED` for one that is not a valid token. */
  authenticate(authorization: string | undefined): Principal;
  logger: Logger;
  /** Counts connections, deliveries and slow consumers for `/metrics`. */
  telemetry?: ServerMetrics;
}

export interface GraphQLWebSocket {
  /** For the HTTP server's `upgrade` event: graphql-ws on `/graphql`, a refusal anywhere else. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every socket (1001, going away) and the WebSocket server; resolves once all are closed. */
  close(): Promise<void>;
}

/** What one socket needs from the options, defaults applied. */
interface SocketSettings {
  keepAlive: number;
  /** The frames of subscription events waiting to be written, shared by every socket of the server. */
  queue: DeliveryQueue;
  /** graphql-ws's cleanup of closed sockets, a chunk per turn of the event loop. */
  cleanups: TurnQueue;
  maxBufferedBytes: number;
  logger: Logger;
  telemetry: ServerMetrics | undefined;
}

/**
 * graphql-ws on `/graphql` (the `graphql-transport-ws` subprotocol), for the listener to hand its upgrade
 * requests to. The operations themselves are served by `createOperationServer` (server/src/http/ws-operations.ts).
 *
 * This is graphql-ws's `useServer` for `ws` with two bounds added and subscription events delivered apart.
 * A send does not wait for the socket to flush: the socket's buffer is the subscriber's queue, and once it
 * (with the socket's frames still in the delivery queue) holds more than `maxBufferedBytes` the socket is
 * closed with `SLOW_CONSUMER_CLOSE_CODE` (graphql-ws's own adapter waits for every flush, which moves the
 * backlog, unbounded, into the pubsub's per-subscription queue). One connection may hold at most
 * `maxSubscriptionsPerConnection` operations; the next one gets an error naming the limit. And an event's
 * `next` frame is spliced from the payload serialised once per result (ws-operations.ts) and written by
 * the server's `DeliveryQueue` a chunk of sockets per turn of the event loop (ws-send.ts).
 */
export function createGraphQLWebSocket(
  yoga: YogaServerInstance<Record<string, never>, Context>,
  options: WebSocketOptions,
): GraphQLWebSocket {
  const settings: SocketSettings = {
    keepAlive: options.keepAlive ?? 12_000,
    queue: new DeliveryQueue({
      onShed: (count, lagMs) => logShedSubscribers(options.logger, count, lagMs),
    }),
    cleanups: new TurnQueue(CLEANUPS_PER_TURN),
    maxBufferedBytes: options.maxBufferedBytes ?? 1_048_576,
    logger: options.logger,
    telemetry: options.telemetry,
  };
  const wss = createWebSocketServer(options.maxPayload ?? 1_048_576);
  const operations = createOperationServer(yoga, {
    maxResponseBytes: options.maxResponseBytes,
    maxSubscriptions: options.maxSubscriptionsPerConnection ?? 100,
    authenticate: options.authenticate,
    logger: options.logger,
    telemetry: options.telemetry,
  });
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) =>
    serveSocket(operations, socket, request, settings),
  );
  return {
    handleUpgrade: (req, socket, head) => upgrade(wss, options.crossSite, req, socket, head),
    close: () => closeAll(wss),
  };
}

function createWebSocketServer(maxPayload: number): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    handleProtocols,
    maxPayload,
    WebSocket: QuietCloseWebSocket,
    // permessage-deflate, with small windows so that its state costs a few KiB per connection. Clients
    // compress what they send: an agent's report repeats the previous one's query, keys and identity and
    // shrinks about 6× (a 2 KiB window, client_max_window_bits=11, holds a whole report). The server
    // compresses only some small messages (see COMPRESS_FROM). maxPayload applies to the inflated message.
    perMessageDeflate: {
      clientMaxWindowBits: 11,
      serverMaxWindowBits: 9,
      zlibDeflateOptions: { memLevel: 1 },
    },
  });
}

/** Upgrades a request for `/graphql` that passes the cross-site checks; refuses any other. */
function upgrade(
  wss: WebSocketServer,
  crossSite: CrossSite,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/graphql') {
    upgradeNotFound(socket);
    return;
  }
  try {
    crossSite.check(req);
  } catch (error) {
    refuseUpgrade(socket, error as AppError);
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
}

/** Serves graphql-ws on one socket, with keep-alive pings and the slow-consumer bound on sends. */
function serveSocket(
  operations: OperationServer,
  socket: WebSocket,
  request: IncomingMessage,
  settings: SocketSettings,
): void {
  const { logger, telemetry } = settings;
  telemetry?.wsConnectionsOpened.inc();
  telemetry?.wsConnections.inc();
  socket.once('error', (error) => {
    logger.warn({ err: error }, 'websocket error');
    socket.terminate();
  });
  const stopKeepAlive = keepAlive(socket, settings.keepAlive);
  const sender = boundedSender(socket, settings.maxBufferedBytes, logger, settings.queue, telemetry);
  const closed = operations.opened(
    {
      protocol: socket.protocol,
      // A subscription event's frame was queued already by `onNext` (ws-operations.ts); graphql-ws's own
      // message for it is a placeholder, not sent.
      send: (data) => {
        if (!isPlaceholder(data)) sender.send(data);
      },
      close: (code, reason) => socket.close(code, reason),
      onMessage: (cb) =>
        socket.on('message', async (data) => {
          try {
            await cb(String(data));
          } catch (error) {
            const { code, reason } = closeForFailure(error, logger);
            socket.close(code, reason);
          }
        }),
    },
    { socket, request, sender },
  );
  socket.once('close', (code, reason) => {
    telemetry?.wsConnections.dec();
    stopKeepAlive();
    settings.cleanups.push(() =>
      closed(code, String(reason)).catch((error: unknown) =>
        logger.error({ err: error }, 'graphql-ws close handling failed'),
      ),
    );
  });
}

/**
 * Closed sockets whose subscriptions graphql-ws cleans up per turn of the event loop. Peers answer close
 * frames in bursts (past the fan-out maximum, the 10,000 shed subscribers' answers came 1,700–2,500 to a
 * poll phase), and the cleanup of each socket's operations held the loop for all of them at once while
 * reports waited. A closed socket is sent nothing meanwhile: its sender checks the socket's state.
 */
const CLEANUPS_PER_TURN = 64;

/** Tasks run `perTurn` per turn of the event loop (`setImmediate` between chunks), in order. */
export class TurnQueue {
  #tasks: ((() => unknown) | undefined)[] = [];
  #head = 0;
  #scheduled = false;

  constructor(readonly perTurn: number) {}

  push(task: () => unknown): void {
    this.#tasks.push(task);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#run);
    }
  }

  readonly #run = (): void => {
    const end = Math.min(this.#tasks.length, this.#head + this.perTurn);
    while (this.#head < end) {
      const task = this.#tasks[this.#head] as () => unknown;
      this.#tasks[this.#head] = undefined;
      this.#head += 1;
      task();
    }
    if (this.#head < this.#tasks.length) {
      setImmediate(this.#run);
      return;
    }
    this.#tasks = [];
    this.#head = 0;
    this.#scheduled = false;
  };
}

/**
 * Pings the socket every `interval` ms and drops it when a ping is not answered within as long;
 * returns the function that stops it. An interval of 0 (or not finite) pings never.
 */
function keepAlive(socket: WebSocket, interval: number): () => void {
  if (!(interval > 0 && Number.isFinite(interval))) return () => {};
  let pongWait: NodeJS.Timeout | null = null;
  const ping = setInterval(() => {
    if (socket.readyState !== socket.OPEN) return;
    pongWait = setTimeout(() => socket.terminate(), interval);
    socket.once('pong', () => {
      if (pongWait) clearTimeout(pongWait);
      pongWait = null;
    });
    socket.ping();
  }, interval);
  return () => {
    if (pongWait) clearTimeout(pongWait);
    clearInterval(ping);
  };
}

/** Closes every socket (going away), cutting off peers that do not answer within a second, then `wss`. */
async function closeAll(wss: WebSocketServer): Promise<void> {
  const sockets = [...wss.clients];
  const allClosed = Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === socket.CLOSED) return resolve();
          socket.once('close', () => resolve());
        }),
    ),
  );
  for (const socket of sockets) socket.close(socketCloses.stopping.code, socketCloses.stopping.reason);
  // A peer that does not answer the closing handshake is cut off rather than waited for.
  const cutOff = setTimeout(() => {
    for (const socket of sockets) socket.terminate();
  }, 1_000);
  await allClosed;
  clearTimeout(cutOff);
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}
