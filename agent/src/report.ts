import type { WindowStats } from './aggregator.js';

type Stat = Pick<WindowStats, 'mean' | 'variance' | 'min' | 'max'>;

/** Who reports: the host's id and what the server shows about it. */
export interface Identity {
  clientId: string;
  hostname?: string;
  osType?: string;
  osVersion?: string;
}

/**
 * One closed window as `reportMetrics` input, as the spool keeps it (JSON: times are epoch ms, which the
 * API's `DateTime` accepts).
 */
export interface ReportWindow extends Identity {
  windowStart: number;
  windowEnd: number;
  observations: number;
  cpu?: { utilization: Stat; cores: Stat[] };
  memory?: {
    usedRatio?: Stat;
    usedBytes?: Stat;
    totalBytes?: number;
    swapUsedRatio?: Stat;
    swapUsedBytes?: Stat;
  };
  load?: { load1?: Stat; load5?: Stat; load15?: Stat };
  network?: { rxBytesPerSecond?: Stat; txBytesPerSecond?: Stat };
  disk?: { readBytesPerSecond?: Stat; writeBytesPerSecond?: Stat; filesystemUsedRatio?: Stat };
}

/**
 * A statistic to 9 significant digits, what both stores guarantee to keep (docs/storage.md): the
 * shortest JSON of 0.023996044405374433 is 20 characters, of 0.0239960444 12, and reports shrink by a
 * fifth. Rounding to a fixed number of significant digits never reverses an order, so min ≤ mean ≤ max
 * still holds.
 */
export const significant = (value: number): number => Number(value.toPrecision(9));

const stat = (s: WindowStats | undefined): Stat | undefined =>
  s && {
    mean: significant(s.mean),
    variance: significant(s.variance),
    min: significant(s.min),
    max: significant(s.max),
  };

/** Drops the keys whose value is undefined; `undefined` when none is left. */
function defined<T extends object>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return entries.length > 0 ? (Object.fromEntries(entries) as T) : undefined;
}

/**
 * Builds the report of a closed window. `observations` is the most samples any series got (a collector
 * that failed for some samples has fewer); `null` when nothing was sampled. Per-interface network series
 * stay on the host: the server stores host totals.
 */
export function toReport(
  identity: Identity,
  window: { start: number; end: number },
  closed: Map<string, WindowStats>,
): ReportWindow | null {
  if (closed.size === 0) return null;
  const report: ReportWindow = {
    ...identity,
    windowStart: window.start,
    windowEnd: window.end,
    observations: Math.max(...[...closed.values()].map((s) => s.count)),
  };
  const cpu = stat(closed.get('cpu'));
  if (cpu) {
    const cores: Stat[] = [];
    for (let n = 0; closed.has(`cpu.core.${n}`); n += 1)
      cores.push(stat(closed.get(`cpu.core.${n}`)) as Stat);
    report.cpu = { utilization: cpu, cores };
  }
  const memory = defined({
    usedBytes: stat(closed.get('memory.usedBytes')),
    usedRatio: stat(closed.get('memory.usedRatio')),
    totalBytes: closed.get('memory.totalBytes')?.max,
    swapUsedBytes: stat(closed.get('memory.swapUsedBytes')),
    swapUsedRatio: stat(closed.get('memory.swapUsedRatio')),
  });
  if (memory) report.memory = memory;
  const load = defined({
    load1: stat(closed.get('load.load1')),
    load5: stat(closed.get('load.load5')),
    load15: stat(closed.get('load.load15')),
  });
  if (load) report.load = load;
  const network = defined({
    rxBytesPerSecond: stat(closed.get('network.rx')),
    txBytesPerSecond: stat(closed.get('network.tx')),
  });
  if (network) report.network = network;
  const disk = defined({
    readBytesPerSecond: stat(closed.get('disk.read')),
    writeBytesPerSecond: stat(closed.get('disk.write')),
    filesystemUsedRatio: stat(closed.get('disk.fsUsedRatio')),
  });
  if (disk) report.disk = disk;
  return report;
}
