import { backoffDelay, sleep } from '@metrics-collector/common/backoff';
import type { GraphQLFormattedError } from 'graphql';
import {
  createClient as createWsClient,
  type ClientOptions as GraphQLWsOptions,
  type Client as WsClient,
} from 'graphql-ws/client';
import { SdkError, type SdkErrorRequest } from './errors.js';
import { graphqlError, webSocketError } from './failures.js';

/** Reconnection and connection options of the WebSocket (graphql-ws), for subscriptions and `transport: 'ws'`. */
export type WebSocketOptions = Pick<
  GraphQLWsOptions,
  'retryAttempts' | 'shouldRetry' | 'retryWait' | 'lazy' | 'lazyCloseTimeout' | 'keepAlive' | 'on'
>;

/**
 * The client's one WebSocket (graphql-ws), connected on first use: the token in the connection
 * parameters, reconnection with backoff from 1 s to 30 s unless `ws` says otherwise.
 */
export function openWebSocket(options: {
  url: string;
  webSocketImpl: unknown;
  connectionParams: Record<string, string> | undefined;
  ws: WebSocketOptions | undefined;
  /** Aborted by the client's `close()`: it ends a wait between connection attempts at once. */
  closing: AbortSignal;
}): WsClient {
  let operationId = 0;
  const retryWait =
    options.ws?.retryWait ??
    ((retries: number) => sleep(backoffDelay(retries + 1, { minMs: 1_000, maxMs: 30_000 }), options.closing));
  return createWsClient({
    url: options.url,
    webSocketImpl: options.webSocketImpl,
    connectionParams: options.connectionParams,
    lazy: true,
    // Short ids instead of graphql-ws's UUIDs: every message carries one (three per request), and a
    // UUID's 36 random characters are most of what is left of a small message after compression.
    generateID: () => {
      operationId += 1;
      return String(operationId);
    },
    retryAttempts: 10,
    // graphql-ws retries close events only; a refused connection (a server restarting, a replica gone)
    // is an error event, and would end every subscription at once. The codes graphql-ws holds fatal
    // are thrown before it asks; 4403 (the token is not valid) will not change on retry either.
    shouldRetry: (problem) => (problem as { code?: unknown } | null)?.code !== 4403,
    ...options.ws,
    // graphql-ws's dispose() awaits the connection attempt in progress, and so the wait before it.
    retryWait: (retries) => untilAborted(retryWait(retries), options.closing),
  });
}

/** Closes `client`'s socket, if open. */
export async function closeWebSocket(client: WsClient | undefined): Promise<void> {
  try {
    await client?.dispose();
  } catch {
    // dispose() awaits the connection attempt in progress, and rejects when it fails: nothing is open.
  }
}

/**
 * `wait`, or less: it resolves when `signal` aborts. The listener goes with the wait: a client that
 * reconnects for days waits thousands of times on the same signal.
 */
function untilAborted(wait: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const aborted = () => resolve();
    signal.addEventListener('abort', aborted, { once: true });
    wait.then(resolve, reject).finally(() => signal.removeEventListener('abort', aborted));
  });
}

/**
 * One query or mutation over the shared WebSocket. It fails (a retryable `network` error) when the socket
 * closes or cannot connect while it is pending, and is not sent again by graphql-ws when the socket comes
 * back: whether to send a mutation again is the caller's (`retry`, `idempotent`), as over HTTP.
 */
export function requestOverWebSocket<TResult>(
  client: WsClient,
  sent: SdkErrorRequest,
  signal: AbortSignal,
): Promise<TResult> {
  return new Promise((resolve, reject) => {
    let result: { data?: unknown; errors?: readonly GraphQLFormattedError[] } | undefined;
    const settle = () => {
      signal.removeEventListener('abort', onAbort);
      stopWatching();
    };
    const onAbort = () => {
      settle();
      dispose();
      reject(new SdkError({ kind: 'network', message: 'The request was aborted.', request: sent }));
    };
    const onLost = (problem: unknown) => {
      settle();
      dispose();
      reject(webSocketError(problem, sent));
    };
    const watching = [
      // 1000 is graphql-ws closing an idle socket (lazy): no operation was on it, and one sent meanwhile
      // goes out on the next socket.
      client.on('closed', (event) => {
        if ((event as { code?: unknown } | null)?.code !== 1000) onLost(event);
      }),
      client.on('error', onLost),
    ];
    const stopWatching = () => {
      for (const unwatch of watching) unwatch();
    };
    const dispose = client.subscribe<TResult>(
      { query: sent.query, variables: sent.variables, operationName: sent.operationName },
      {
        next: (value) => {
          result = value;
        },
        error: (error) => {
          settle();
          reject(webSocketError(error, sent));
        },
        complete: () => {
          settle();
          if (result?.errors?.length) reject(graphqlError(result.errors, sent, { data: result.data }));
          else if (result?.data != null) resolve(result.data as TResult);
          else
            reject(new SdkError({ kind: 'network', message: 'The server sent no result.', request: sent }));
        },
      },
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A subscription over the shared WebSocket, yielding each result's `data`. A result with errors (or
 * without data) ends it with an `SdkError`; `return()` unsubscribes.
 */
export function subscription<TResult>(
  client: WsClient,
  sent: SdkErrorRequest,
): AsyncIterableIterator<TResult> {
  const inner = client.iterate<TResult>({
    query: sent.query,
    variables: sent.variables,
    operationName: sent.operationName,
  });
  const iterator: AsyncIterableIterator<TResult> = {
    async next() {
      let step: IteratorResult<{ data?: TResult | null; errors?: readonly GraphQLFormattedError[] }>;
      try {
        step = await inner.next();
      } catch (error) {
        throw webSocketError(error, sent);
      }
      if (step.done) return { done: true, value: undefined };
      if (step.value.errors?.length || step.value.data == null) {
        await inner.return?.();
        throw graphqlError(step.value.errors ?? [], sent, { data: step.value.data });
      }
      return { done: false, value: step.value.data };
    },
    async return() {
      await inner.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** The events of `results`, each reduced to its `field` (a subscription field's value). */
export function fieldOf<TResult, K extends keyof TResult>(
  results: AsyncIterableIterator<TResult>,
  field: K,
): AsyncIterableIterator<TResult[K]> {
  const iterator: AsyncIterableIterator<TResult[K]> = {
    async next() {
      const step = await results.next();
      return step.done ? step : { done: false, value: step.value[field] };
    },
    async return() {
      await results.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
