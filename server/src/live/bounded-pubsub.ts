import { setMaxListeners } from 'node:events';
import type { PubSub } from '@graphql-yoga/subscription';
import { Repeater } from '@repeaterjs/repeater';

/**
 * Thrown into a subscription whose consumer fell more than `maxPending` events behind: the graphql-ws
 * adapter closes its socket with 4008 (docs/live.md).
 */
export class SlowConsumerError extends Error {
  constructor(readonly pending: number) {
    super(`Slow consumer: ${pending} events waiting to be sent`);
    this.name = 'SlowConsumerError';
  }
}

type Topics = { [key: string]: [] | [unknown] | [number | string, unknown] };

/**
 * yoga's `createPubSub`, with a bound per subscription. yoga's queues every event a subscriber has not
 * taken yet (up to 1,024, then throws from the publisher's side); under load that backlog was where a
 * fan-out server's memory went (docs/benchmarks.md). Here a subscription more than `maxPending` events
 * behind is ended with `SlowConsumerError`, and the event target may have any number of listeners.
 */
export type BoundedPubSub<T extends Topics> = PubSub<T> & {
  /**
   * Calls `handler` synchronously for every event of `topic` (no queue, no bound): for the server's own
   * followers (client status, alerting), which must not be ended as slow consumers. Returns the
   * unsubscribe function.
   */
  listen<K extends Extract<keyof T, string>>(topic: K, handler: (payload: T[K][0]) => void): () => void;
  /**
   * Subscriptions (from `subscribe`) listening on `topic` in this process, `topic:id` for a keyed one:
   * a subscription listens from its first `next()` until it is returned or ended.
   */
  listening(topic: string): number;
};

export function createBoundedPubSub<T extends Topics>(options: {
  eventTarget?: EventTarget;
  maxPending: number;
  onSlowConsumer?: (topic: string, pending: number) => void;
}): BoundedPubSub<T> {
  const target = options.eventTarget ?? new EventTarget();
  // Every subscription is a listener; Node warns past 10 on one event.
  if (target instanceof EventTarget) setMaxListeners(0, target);
  const listening = new Map<string, number>();
  const count = (topic: string, by: number) => {
    const n = (listening.get(topic) ?? 0) + by;
    if (n === 0) listening.delete(topic);
    else listening.set(topic, n);
  };
  return {
    publish(routingKey: string, ...args: unknown[]) {
      const payload = args[1] ?? args[0] ?? null;
      const topic = args[1] === undefined ? routingKey : `${routingKey}:${String(args[0])}`;
      target.dispatchEvent(new CustomEvent(topic, { detail: payload }));
    },
    subscribe(routingKey: string, id?: number | string) {
      const topic = id === undefined ? routingKey : `${routingKey}:${id}`;
      return new Repeater<unknown>((push, stop) => {
        let pending = 0;
        let attached = true;
        const detach = () => {
          if (!attached) return;
          attached = false;
          target.removeEventListener(topic, listener);
          count(topic, -1);
        };
        const listener = (event: Event) => {
          if (pending >= options.maxPending) {
            detach();
            options.onSlowConsumer?.(topic, pending);
            stop(new SlowConsumerError(pending));
            return;
          }
          pending += 1;
          // Resolves once the consumer took the value.
          push((event as CustomEvent).detail).then(
            () => {
              pending -= 1;
            },
            () => {},
          );
        };
        target.addEventListener(topic, listener);
        count(topic, 1);
        stop.then(detach);
      });
    },
    listen(topic: string, handler: (payload: unknown) => void) {
      const listener = (event: Event) => handler((event as CustomEvent).detail);
      target.addEventListener(topic, listener);
      return () => target.removeEventListener(topic, listener);
    },
    listening: (topic: string) => listening.get(topic) ?? 0,
  } as unknown as BoundedPubSub<T>;
}
