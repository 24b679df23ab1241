/** What the benches read of a process from /proc (Linux): its CPU time and its memory. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clockTicks: number | undefined;
/** `getconf CLK_TCK`: the unit of the times in `/proc/<pid>/stat`. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const answer = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim());
    clockTicks = Number.isSafeInteger(answer) && answer > 0 ? answer : 100;
  }
  return clockTicks;
}

/**
 * CPU seconds a process has used so far: `own` is utime + stime, `children` cutime + cstime (the children
 * it waited for). NaN for both when there is no such process.
 */
export function cpuTimes(pid: number | undefined): { own: number; children: number } {
  if (pid === undefined) return { own: Number.NaN, children: Number.NaN };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14 … cstime 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const tick = ticksPerSecond();
    return {
      own: (Number(fields[11]) + Number(fields[12])) / tick,
      children: (Number(fields[13]) + Number(fields[14])) / tick,
    };
  } catch {
    return { own: Number.NaN, children: Number.NaN };
  }
}

/** User + system CPU seconds of a process so far (its own, not its children's). */
export const cpuSeconds = (pid: number | undefined): number => cpuTimes(pid).own;

/** A field of `/proc/<pid>/status` in MB (`VmRSS`, `VmHWM`); NaN when there is no such process. */
export function procMemory(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  if (pid === undefined) return Number.NaN;
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU and memory of one process over the measured seconds. */
export interface ProcessCost {
  pid: number;
  /** % of one core: the process itself, the children it waited for (spawned commands), and both. */
  cpu: { own: number; children: number; total: number };
  /** VmRSS sampled every second, MB. */
  rss: { mean: number; peak: number; min: number; first: number; last: number; samples: number };
  /** VmHWM at the end of the period (the peak since the process started, start-up included), MB. */
  hwm: number;
}

/** Measures one process from now on: `end()` gives its CPU and RSS over the time in between. */
export function watch(pid: number): { sample(): void; end(seconds: number): ProcessCost } {
  const start = cpuTimes(pid);
  const rss: number[] = [];
  return {
    sample: () => {
      const value = procMemory(pid, 'VmRSS');
      if (Number.isFinite(value)) rss.push(value);
    },
    end: (seconds) => {
      const end = cpuTimes(pid);
      const own = ((end.own - start.own) / seconds) * 100;
      const children = ((end.children - start.children) / seconds) * 100;
      return {
        pid,
        cpu: { own, children, total: own + children },
        rss: {
          mean: rss.reduce((a, b) => a + b, 0) / rss.length,
          peak: Math.max(...rss),
          min: Math.min(...rss),
          first: rss[0] ?? Number.NaN,
          last: rss.at(-1) ?? Number.NaN,
          samples: rss.length,
        },
        hwm: procMemory(pid, 'VmHWM'),
      };
    },
  };
}

/** The whole machine's CPU time so far, from the first line of `/proc/stat`, in ticks. */
export interface MachineTimes {
  total: number;
  idle: number;
  steal: number;
}

/** Zeroes where there is no `/proc/stat` (not Linux). */
export function machineTimes(): MachineTimes {
  try {
    const [, ...fields] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user).
    const t = fields.slice(0, 8).map(Number);
    return {
      total: t.reduce((a, b) => a + b, 0),
      idle: (t[3] ?? 0) + (t[4] ?? 0),
      steal: t[7] ?? 0,
    };
  } catch {
    return { total: 0, idle: 0, steal: 0 };
  }
}

/**
 * Between two readings: the share of the machine's CPU time that was busy (ours or another's) and the
 * share the hypervisor gave to other guests (steal), in %. A steal of more than a few % means the cores
 * were shared with something outside the machine, and every figure measured then is lower than on an
 * idle host.
 */
export function machineShare(from: MachineTimes, to: MachineTimes): { busy: number; steal: number } {
  const total = to.total - from.total;
  if (total <= 0) return { busy: Number.NaN, steal: Number.NaN };
  return {
    busy: (100 * (total - (to.idle - from.idle))) / total,
    steal: (100 * (to.steal - from.steal)) / total,
  };
}
