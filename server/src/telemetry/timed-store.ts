import type { MetricStore } from '@metrics-collector/schema/metrics/types';
import type { ServerMetrics } from './server-metrics.js';

/**
 * The metric store with its writes and queries timed (`store_write_seconds`, `history_query_seconds`): a
 * clock read before and one observe after each call, on children bound here.
 */
export function timedStore(store: MetricStore, name: string, metrics: ServerMetrics): MetricStore {
  const write = metrics.storeWrite.labels(name);
  const history = metrics.history.labels(name, 'history');
  const summary = metrics.history.labels(name, 'summary');
  const timed = async <T>(histogram: typeof write, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await run();
    } finally {
      histogram.observe((performance.now() - started) / 1000);
    }
  };
  return {
    write: (points) => timed(write, () => store.write(points)),
    history: (selector, resample, aggregate) =>
      timed(history, () => store.history(selector, resample, aggregate)),
    summarize: (selector, aggregate) => timed(summary, () => store.summarize(selector, aggregate)),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
