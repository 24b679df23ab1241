import type { Collector } from './index.js';

export interface CpuSource {
  /** systeminformation's `currentLoad()`: percentages since its previous call. */
  currentLoad(): Promise<{ currentLoad: number; cpus: { load: number }[] }>;
}

export const ratio = (percent: number) => Math.min(1, Math.max(0, percent / 100));

/** CPU utilisation over all cores (`cpu`) and per core (`cpu.core.<n>`), 0..1. */
export function cpuCollector(source: CpuSource): Collector {
  return {
    name: 'cpu',
    collect: async () => {
      const load = await source.currentLoad();
      const values: Record<string, number> = { cpu: ratio(load.currentLoad) };
      load.cpus.forEach((core, n) => {
        values[`cpu.core.${n}`] = ratio(core.load);
      });
      return values;
    },
  };
}
