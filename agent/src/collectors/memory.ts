import type { Collector } from './collector.js';

export interface MemorySource {
  /** systeminformation's `mem()`, bytes; `active` is used memory without buffers and cache. */
  mem(): Promise<{ total: number; active: number; swaptotal: number; swapused: number }>;
}

/** Used memory (without buffers and cache) in bytes and as a share of the total; swap likewise. */
export function memoryCollector(source: MemorySource): Collector {
  return {
    name: 'memory',
    collect: async () => {
      const mem = await source.mem();
      const values: Record<string, number> = {
        'memory.usedBytes': mem.active,
        'memory.totalBytes': mem.total,
        'memory.usedRatio': mem.total > 0 ? mem.active / mem.total : 0,
      };
      if (mem.swaptotal > 0) {
        values['memory.swapUsedBytes'] = mem.swapused;
        values['memory.swapUsedRatio'] = mem.swapused / mem.swaptotal;
      }
      return values;
    },
  };
}
