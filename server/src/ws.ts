import type { IncomingMessage, Server } from 'node:http';
import type { Context } from '@metrics-collector/schema/context';
import type { ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { Logger } from './logger.js';

export interface WebSocketOptions {
  /** Keep-alive ping interval, ms. @default 12000 */
  keepAlive?: number;
  logger: Logger;
}

export interface GraphQLWebSocket {
  /** Closes every socket (1001, going away) and the WebSocket server. */
  close(): Promise<void>;
}

/** Where the operation's envelop functions travel from `onSubscribe` to `execute`/`subscribe`. */
interface Enveloped {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

/**
 * graphql-ws on the HTTP server's `/graphql` (the `graphql-transport-ws` subprotocol). Every operation
 * goes through `yoga.getEnveloped`, so it gets the same context (auth: the token comes from
 * `connectionParams.authorization` or `.token`), parse and validation caches, query limits and error
 * masking as over HTTP.
 */
export function attachGraphQLWebSocket(
  server: Server,
  yoga: YogaServerInstance<Record<string, never>, Context>,
  options: WebSocketOptions,
): GraphQLWebSocket {
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const disposable = useServer<Record<string, unknown> | undefined>(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
      onSubscribe: async (ctx, _id, payload) => {
        const request = requestShim(ctx.extra.request, ctx.connectionParams);
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          request,
          params: payload,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
        } as never);
        let document: ReturnType<typeof parse>;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as never];
        }
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
      },
    },
    wss,
    options.keepAlive ?? 12_000,
  );

  return {
    close: async () => {
      for (const client of wss.clients) client.close(1001, 'server stopping');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * The HTTP request yoga's context factory reads: the upgrade request's headers, with the token from the
 * connection parameters (browsers cannot set headers on a WebSocket).
 */
function requestShim(req: IncomingMessage, connectionParams: Record<string, unknown> | undefined) {
  const fromParams = connectionParams?.authorization ?? connectionParams?.Authorization;
  const token = connectionParams?.token;
  const authorization =
    typeof fromParams === 'string'
      ? fromParams
      : typeof token === 'string'
        ? `Bearer ${token}`
        : req.headers.authorization;
  return {
    method: 'GET',
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
