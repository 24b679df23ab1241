import type { IncomingMessage, Server } from 'node:http';
import { createGraphQLError } from '@graphql-tools/utils';
import type { Principal } from '@metrics-collector/schema/auth';
import type { Context } from '@metrics-collector/schema/context';
import { AppError } from '@metrics-collector/schema/errors';
import { type ExecutionArgs, type ExecutionResult, GraphQLError } from 'graphql';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { type WebSocket, WebSocketServer } from 'ws';
import type { CrossSite } from './cross-site.js';
import { responseTooLarge } from './graphql-over-http.js';
import { checkJsonValues, graphqlField } from './http.js';
import { SlowConsumerError } from './live/bounded-pubsub.js';
import type { Logger } from './logger.js';

/**
 * Close code for a subscriber that does not read fast enough: its socket's send buffer passed
 * `maxBufferedBytes`. Outside graphql-ws's own 4400–4499 and 4500; mirrors HTTP 408/"too slow". Documented
 * in docs/live.md.
 */
export const SLOW_CONSUMER_CLOSE_CODE = 4008;

/** Extension code of the error a subscription gets past `maxSubscriptionsPerConnection`. */
export const TOO_MANY_SUBSCRIPTIONS = 'TOO_MANY_SUBSCRIPTIONS';

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
}

export interface GraphQLWebSocket {
  /** Closes every socket (1001, going away) and the WebSocket server; resolves once all are closed. */
  close(): Promise<void>;
}

/** Where the operation's envelop functions travel from `onSubscribe` to `execute`/`subscribe`. */
interface Enveloped {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

interface Extra {
  socket: WebSocket;
  request: IncomingMessage;
  /** Set by `onConnect` from the connection parameters (or the upgrade request's header). */
  principal?: Principal;
}

/**
 * graphql-ws on the HTTP server's `/graphql` (the `graphql-transport-ws` subprotocol). Every operation
 * goes through `yoga.getEnveloped`, so it gets the same context (auth: the token comes from
 * `connectionParams.authorization` or `.token`), parse and validation caches, query limits and error
 * masking as over HTTP.
 *
 * This is graphql-ws's `useServer` for `ws` with two bounds added. A send does not wait for the socket to
 * flush: the socket's buffer is the subscriber's queue, and once it holds more than `maxBufferedBytes` the
 * socket is closed with `SLOW_CONSUMER_CLOSE_CODE` (graphql-ws's own adapter waits for every flush, which
 * moves the backlog, unbounded, into the pubsub's per-subscription queue). And one connection may hold at
 * most `maxSubscriptionsPerConnection` operations; the next one gets an error naming the limit.
 */
/**
 * The server compresses a message (when the client agreed to permessage-deflate) only if it is at least
 * COMPRESS_FROM and less than COMPRESS_BELOW characters long. In: the answers to an agent's report
 * (`next`, 77 characters, and `complete`, 28 and up, become about 10 and 6 bytes) and commands. Out:
 * `connection_ack` (25) and graphql-ws `ping`/`pong` messages (15), which gain nothing, and subscription
 * events, which are larger: deflating every event for every subscriber would cost fan-out CPU. A first
 * version that compressed every message under 512 characters, `connection_ack` included, made the
 * fan-out bench's delivery delay 5× worse with a thousand subscribers (each socket then holds a zlib
 * stream; we did not pin down the mechanism further); with these bounds it is unchanged. (`ws` ignores
 * its own `threshold` when contexts are kept, hence the decision per message.)
 */
const COMPRESS_FROM = 28;
const COMPRESS_BELOW = 512;

export function attachGraphQLWebSocket(
  server: Server,
  yoga: YogaServerInstance<Record<string, never>, Context>,
  options: WebSocketOptions,
): GraphQLWebSocket {
  const keepAlive = options.keepAlive ?? 12_000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1_048_576;
  const maxSubscriptions = options.maxSubscriptionsPerConnection ?? 100;
  const { logger } = options;
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols,
    maxPayload: options.maxPayload ?? 1_048_576,
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
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    try {
      options.crossSite.check(req);
    } catch (error) {
      const body = JSON.stringify({
        errors: [{ message: (error as Error).message, extensions: { code: (error as AppError).code } }],
      });
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const graphqlWs = makeServer<Record<string, unknown> | undefined, Extra>({
    // Answers to queries and mutations over the socket have the same cap as over HTTP (subscription
    // events, small and shared between subscribers, go through `subscribe`).
    execute: async (args) => {
      const result = (await (args.rootValue as Enveloped).execute(args)) as ExecutionResult;
      const bytes = Buffer.byteLength(JSON.stringify(result));
      if (bytes <= options.maxResponseBytes) return result as never;
      return { errors: [responseTooLarge(bytes, options.maxResponseBytes)] } as never;
    },
    subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
    // The token is checked once, when the connection is initialised: a token that is not valid closes the
    // socket with 4403 (graphql-ws's Forbidden) before any operation is read.
    onConnect: (ctx) => {
      try {
        ctx.extra.principal = options.authenticate(authorizationOf(ctx.extra.request, ctx.connectionParams));
        return true;
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        logger.info({ code: error.code }, 'websocket refused: the token is not valid');
        return false;
      }
    },
    onSubscribe: async (ctx, _id, payload) => {
      // graphql-ws registers the operation's id before this hook, so the count includes it.
      if (Object.keys(ctx.subscriptions).length > maxSubscriptions) {
        return [
          createGraphQLError(
            `Too many subscriptions on this connection: the limit is ${maxSubscriptions}; complete one first or open another connection.`,
            { extensions: { code: TOO_MANY_SUBSCRIPTIONS, limit: maxSubscriptions } },
          ),
        ];
      }
      const request = requestShim(ctx.extra.request, ctx.connectionParams);
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        request,
        params: payload,
        req: ctx.extra.request,
        socket: ctx.extra.socket,
        principal: ctx.extra.principal,
      } as never);
      try {
        checkJsonValues(payload, '', graphqlField);
        const document = parse(payload.query);
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies Enveloped,
        };
      } catch (error) {
        if (error instanceof GraphQLError) return [error];
        throw error;
      }
    },
  });

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.once('error', (error) => {
      logger.warn({ err: error }, 'websocket error');
      socket.terminate();
    });
    let pongWait: NodeJS.Timeout | null = null;
    const pingInterval =
      keepAlive > 0 && Number.isFinite(keepAlive)
        ? setInterval(() => {
            if (socket.readyState !== socket.OPEN) return;
            pongWait = setTimeout(() => socket.terminate(), keepAlive);
            socket.once('pong', () => {
              if (pongWait) clearTimeout(pongWait);
              pongWait = null;
            });
            socket.ping();
          }, keepAlive)
        : null;
    let slow = false;
    const closed = graphqlWs.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          if (socket.readyState !== socket.OPEN) return;
          if (socket.bufferedAmount > maxBufferedBytes) {
            if (!slow) {
              slow = true;
              logger.warn(
                { bufferedAmount: socket.bufferedAmount, limit: maxBufferedBytes },
                'websocket subscriber too slow: closing it',
              );
              socket.close(SLOW_CONSUMER_CLOSE_CODE, 'Slow consumer: too many unsent messages');
            }
            return;
          }
          // Not waiting for the flush keeps the backlog in the socket's buffer, where it is measured.
          socket.send(data, { compress: data.length >= COMPRESS_FROM && data.length < COMPRESS_BELOW });
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', async (data) => {
            try {
              await cb(String(data));
            } catch (error) {
              if (error instanceof SlowConsumerError) {
                // The subscription fell too far behind (server/src/live/bounded-pubsub.ts).
                socket.close(SLOW_CONSUMER_CLOSE_CODE, 'Slow consumer: too many events waiting');
                return;
              }
              logger.error({ err: error }, 'graphql-ws message handling failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      if (pingInterval) clearInterval(pingInterval);
      closed(code, String(reason)).catch((error: unknown) =>
        logger.error({ err: error }, 'graphql-ws close handling failed'),
      );
    });
  });

  return {
    close: async () => {
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
      for (const socket of sockets) socket.close(1001, 'Server stopping');
      // A peer that does not answer the closing handshake is cut off rather than waited for.
      const cutOff = setTimeout(() => {
        for (const socket of sockets) socket.terminate();
      }, 1_000);
      await allClosed;
      clearTimeout(cutOff);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** `connectionParams.authorization` (or `.token`), else the upgrade request's `Authorization` header. */
function authorizationOf(
  req: IncomingMessage,
  connectionParams: Record<string, unknown> | undefined,
): string | undefined {
  const fromParams = connectionParams?.authorization ?? connectionParams?.Authorization;
  const token = connectionParams?.token;
  if (typeof fromParams === 'string') return fromParams;
  if (typeof token === 'string') return `Bearer ${token}`;
  return req.headers.authorization;
}

/**
 * The HTTP request yoga's context factory reads: the upgrade request's headers, with the token from the
 * connection parameters (browsers cannot set headers on a WebSocket).
 */
function requestShim(req: IncomingMessage, connectionParams: Record<string, unknown> | undefined) {
  const authorization = authorizationOf(req, connectionParams);
  return {
    // yoga refuses mutations in a GET request; an operation over the socket is not one.
    method: 'POST',
    url: req.url,
    headers: {
      get: (name: string) => {
        if (name.toLowerCase() === 'authorization') return authorization ?? null;
        const value = req.headers[name.toLowerCase()];
        return Array.isArray(value) ? value.join(', ') : (value ?? null);
      },
    },
  };
}
