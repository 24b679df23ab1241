import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import type { Collector } from './collector.js';

/** Time a CPU spent busy and idle since boot, in any unit (ticks, ms). */
export interface CpuTimes {
  busy: number;
  idle: number;
}

export interface CpuSource {
  /** Counters of all CPUs together and of each core. */
  times(): Promise<{ total: CpuTimes; cores: CpuTimes[] }>;
}

/** Busy share of the time between two readings, 0..1; `null` when no time passed or counters went back. */
function utilization(before: CpuTimes, after: CpuTimes): number | null {
  const busy = after.busy - before.busy;
  const all = busy + after.idle - before.idle;
  if (all <= 0 || busy < 0 || busy > all) return null;
  return busy / all;
}

/**
 * CPU utilisation over all cores (`cpu.utilization`) and per core (`cpu.cores.<n>`), 0..1, over the time
 * since the previous sample. The first sample gives none.
 */
export function cpuCollector(source: CpuSource): Collector {
  let previous: { total: CpuTimes; cores: CpuTimes[] } | null = null;
  return {
    name: 'cpu',
    collect: async () => {
      const now = await source.times();
      const before = previous;
      previous = now;
      const values: Record<string, number> = {};
      if (!before) return values;
      const total = utilization(before.total, now.total);
      if (total === null) return values;
      values['cpu.utilization'] = total;
      for (const [n, core] of now.cores.entries()) {
        const last = before.cores[n];
        const value = last && utilization(last, core);
        if (value === null || value === undefined) break;
        values[`cpu.cores.${n}`] = value;
      }
      return values;
    },
  };
}

/**
 * Linux: `/proc/stat`, one read, no process spawned. Busy is user, nice, system, irq, softirq and steal
 * (time the hypervisor took: the guest could not run); idle is idle and iowait (the CPU waited). Guest
 * time is part of user already.
 */
export function procStat(path = '/proc/stat'): CpuSource {
  return { times: async () => parseProcStat(await readFile(path, 'utf8')) };
}

export function parseProcStat(text: string): { total: CpuTimes; cores: CpuTimes[] } {
  let total: CpuTimes | null = null;
  const cores: CpuTimes[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const [name, ...fields] = line.trim().split(/\s+/);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
      fields.map(Number);
    const times = { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait };
    if (name === 'cpu') total = times;
    else cores[Number(name?.slice(3))] = times;
  }
  if (!total) throw new Error('/proc/stat has no cpu line');
  return { total, cores: [...cores].map((c) => c ?? { busy: 0, idle: 0 }) };
}

/** Other systems: `os.cpus()` (milliseconds per mode and core). */
export function osCpus(): CpuSource {
  return {
    times: async () => {
      const cores = cpus().map(({ times: t }) => ({ busy: t.user + t.nice + t.sys + t.irq, idle: t.idle }));
      const total = cores.reduce((sum, c) => ({ busy: sum.busy + c.busy, idle: sum.idle + c.idle }), {
        busy: 0,
        idle: 0,
      });
      return { total, cores };
    },
  };
}
