import { loadavg } from 'node:os';
import type { WindowAggregator } from '../aggregator.js';
import { si } from '../systeminformation.js';
import type { Collector } from './collector.js';
import { cpuCollector, osCpus, procStat } from './cpu.js';
import { diskCollector, procDisk, siDisk } from './disk.js';
import { loadCollector } from './load.js';
import { memoryCollector } from './memory.js';
import { networkCollector, procNetDev, siNetwork } from './network.js';

export type { Collector } from './collector.js';
export { type CpuSource, cpuCollector } from './cpu.js';
export { type DiskSource, diskCollector } from './disk.js';
export { type LoadSource, loadCollector } from './load.js';
export { type MemorySource, memoryCollector } from './memory.js';
export { type NetworkSource, networkCollector } from './network.js';

export const collectorNames = ['cpu', 'memory', 'load', 'network', 'disk'] as const;
export type CollectorName = (typeof collectorNames)[number];

/**
 * The real collectors, by name. Memory comes from systeminformation, load averages from node:os. On
 * Linux, CPU, network and disk read `/proc` and statfs(2) directly: systeminformation spawns a shell (and
 * `cat`, `grep`, `lsblk`, `df`) for them on every call, which at one sample a second cost more CPU than
 * all the rest of the agent (measured: 0.45 % of a core for `currentLoad()` alone). Elsewhere CPU comes
 * from `os.cpus()`, network and disk from systeminformation.
 */
export function systemCollectors(
  names: readonly CollectorName[] = collectorNames,
  platform: NodeJS.Platform = process.platform,
): Collector[] {
  const linux = platform === 'linux';
  const make: Record<CollectorName, () => Collector> = {
    cpu: () => cpuCollector(linux ? procStat() : osCpus()),
    memory: () => memoryCollector({ mem: () => si.mem() }),
    load: () => loadCollector({ loadavg }),
    network: () => networkCollector(linux ? procNetDev() : siNetwork()),
    disk: () => diskCollector(linux ? procDisk() : siDisk()),
  };
  return names.map((name) => make[name]());
}

/**
 * Takes one sample of every collector into the aggregator. A collector that fails is reported to
 * `onError` and skipped for this sample; the others go on.
 */
export async function sample(
  collectors: readonly Collector[],
  aggregator: WindowAggregator,
  onError: (collector: string, error: unknown) => void,
): Promise<void> {
  const results = await Promise.allSettled(collectors.map((c) => c.collect()));
  for (const [i, result] of results.entries()) {
    const name = (collectors[i] as Collector).name;
    if (result.status === 'rejected') {
      onError(name, result.reason);
      continue;
    }
    for (const [series, value] of Object.entries(result.value)) {
      if (Number.isFinite(value)) aggregator.add(series, value);
      else onError(name, new RangeError(`${series} is not a finite number: ${value}`));
    }
  }
}
