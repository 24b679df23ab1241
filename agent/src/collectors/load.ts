import type { Collector } from './collector.js';

export interface LoadSource {
  loadavg(): number[];
}

/** Load averages over 1, 5 and 15 minutes. */
export function loadCollector(source: LoadSource): Collector {
  return {
    name: 'load',
    collect: async () => {
      const [load1 = 0, load5 = 0, load15 = 0] = source.loadavg();
      return { 'load.load1': load1, 'load.load5': load5, 'load.load15': load15 };
    },
  };
}
