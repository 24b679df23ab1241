import type { ServerMetrics } from './server-metrics.js';

/**
 * `iterator` as graphql-ws iterates it, with `subscriptions{field}` up while it runs: down once when it
 * ends, throws or is `return()`ed (a client's `complete`, a closed socket). One wrapper per subscriber,
 * nothing per event beyond a forwarded `next()`.
 */
export function countedWhileRunning<T>(
  iterator: AsyncIterableIterator<T>,
  field: string,
  metrics: ServerMetrics,
): AsyncIterableIterator<T> {
  const running = metrics.subscriptions.labels(field);
  running.inc();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    running.dec();
  };
  const counted: AsyncIterableIterator<T> = {
    next: async (...args) => {
      try {
        const step = await iterator.next(...args);
        if (step.done) end();
        return step;
      } catch (error) {
        end();
        throw error;
      }
    },
    return: async (value) => {
      end();
      return iterator.return ? iterator.return(value) : { done: true, value };
    },
    [Symbol.asyncIterator]: () => counted,
  };
  if (iterator.throw) {
    const thrower = iterator.throw.bind(iterator);
    counted.throw = async (error) => {
      end();
      return thrower(error);
    };
  }
  return counted;
}
