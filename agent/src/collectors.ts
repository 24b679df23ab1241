import { loadavg } from 'node:os';
import si from 'systeminformation';
import type { WindowAggregator, WindowStats } from './aggregator.js';

/**
 * A collector reads one part of the host once per sample and names its values by series: `cpu`,
 * `cpu.core.<n>`, `memory.usedBytes`, `load.load1`, ... Each reads an injected source, so that tests can
 * give it fixed numbers; `systemSources()` are the real ones (systeminformation, node:os).
 */
export interface Collector {
  name: string;
  collect(): Promise<Record<string, number>>;
}

export interface CpuSource {
  /** systeminformation's `currentLoad()`: percentages since its previous call. */
  currentLoad(): Promise<{ currentLoad: number; cpus: { load: number }[] }>;
}

export interface MemorySource {
  /** systeminformation's `mem()`, bytes; `active` is used memory without buffers and cache. */
  mem(): Promise<{ total: number; active: number; swaptotal: number; swapused: number }>;
}

export interface LoadSource {
  loadavg(): number[];
}

const ratio = (percent: number) => Math.min(1, Math.max(0, percent / 100));

/** CPU utilisation over all cores and per core, 0..1. */
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

/** The real sources: systeminformation for CPU and memory, node:os for load averages. */
export function systemSources(): { cpu: CpuSource; memory: MemorySource; load: LoadSource } {
  return { cpu: { currentLoad: () => si.currentLoad() }, memory: { mem: () => si.mem() }, load: { loadavg } };
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

type Stat = Pick<WindowStats, 'mean' | 'variance' | 'min' | 'max'>;

/** One closed window as `reportMetrics` input: the stats the server's catalogue knows. */
export interface ReportWindow {
  clientId: string;
  windowStart: Date;
  windowEnd: Date;
  observations: number;
  hostname?: string;
  osType?: string;
  osVersion?: string;
  cpu?: { utilization: Stat; cores: Stat[] };
  memory?: {
    usedRatio?: Stat;
    usedBytes?: Stat;
    totalBytes?: number;
    swapUsedRatio?: Stat;
    swapUsedBytes?: Stat;
  };
  load?: { load1?: Stat; load5?: Stat; load15?: Stat };
}

const stat = (s: WindowStats | undefined): Stat | undefined =>
  s && { mean: s.mean, variance: s.variance, min: s.min, max: s.max };

/**
 * Builds the report of a closed window. `observations` is the most samples any series got (a collector
 * that failed for some samples has fewer); `null` when nothing was sampled.
 */
export function toReport(
  identity: { clientId: string; hostname?: string; osType?: string; osVersion?: string },
  window: { start: number; end: number },
  closed: Map<string, WindowStats>,
): ReportWindow | null {
  if (closed.size === 0) return null;
  const report: ReportWindow = {
    ...identity,
    windowStart: new Date(window.start),
    windowEnd: new Date(window.end),
    observations: Math.max(...[...closed.values()].map((s) => s.count)),
  };
  const cpu = stat(closed.get('cpu'));
  if (cpu) {
    const cores: Stat[] = [];
    for (let n = 0; closed.has(`cpu.core.${n}`); n += 1)
      cores.push(stat(closed.get(`cpu.core.${n}`)) as Stat);
    report.cpu = { utilization: cpu, cores };
  }
  const usedBytes = stat(closed.get('memory.usedBytes'));
  if (usedBytes) {
    report.memory = {
      usedBytes,
      usedRatio: stat(closed.get('memory.usedRatio')),
      totalBytes: closed.get('memory.totalBytes')?.max,
      swapUsedBytes: stat(closed.get('memory.swapUsedBytes')),
      swapUsedRatio: stat(closed.get('memory.swapUsedRatio')),
    };
  }
  const load1 = stat(closed.get('load.load1'));
  if (load1) {
    report.load = { load1, load5: stat(closed.get('load.load5')), load15: stat(closed.get('load.load15')) };
  }
  return report;
}
