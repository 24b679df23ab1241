import type { ClientStatusEvent } from '@metrics-collector/schema/live/types';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { ServerLive } from '../src/live/index.js';

/** A graphql-ws client over `ws` to the test server, with an optional token. */
export function wsClient(url: string, token?: string) {
  return createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : undefined,
    retryAttempts: 0,
    lazy: true,
  });
}

/** Subscribes and collects every event until `close()`. */
export function collect<T = any>(
  client: ReturnType<typeof wsClient>,
  query: string,
  variables?: Record<string, unknown>,
) {
  const events: T[] = [];
  const errors: unknown[] = [];
  let resolveNext: (() => void) | undefined;
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        if (value.errors) errors.push(...value.errors);
        else events.push(value.data as T);
        resolveNext?.();
      },
      error: (error) => {
        // An `error` message carries a list of GraphQL errors; a closed socket, its close event.
        errors.push(...(Array.isArray(error) ? error : [error]));
        resolveNext?.();
      },
      complete: () => resolveNext?.(),
    },
  );
  return {
    events,
    errors,
    /** Resolves once `count` events (or an error) arrived. */
    until: async (count: number) => {
      while (events.length < count && errors.length === 0) {
        await new Promise<void>((resolve) => {
          resolveNext = resolve;
        });
      }
    },
    close: dispose,
  };
}

/** Every `clientStatusChanged` event a server's pubsub carries from now on, straight from the pubsub. */
export function statusEvents(live: ServerLive) {
  const events: ClientStatusEvent[] = [];
  const iterator = live.pubsub.subscribe('clientStatusChanged')[Symbol.asyncIterator]();
  void (async () => {
    for (;;) {
      const { done, value } = await iterator.next();
      if (done) return;
      events.push(value);
    }
  })();
  return { events, close: () => iterator.return?.() };
}

/** Polls `check` every 10 ms until it holds; fails after `timeout` ms naming `what`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeout = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
