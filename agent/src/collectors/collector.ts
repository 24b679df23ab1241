/**
 * A collector reads one part of the host once per sample and names its values by series: the input path
 * of the series in the metric catalogue (`cpu.utilization`, `memory.usedBytes`, `load.load1`,
 * `disk.filesystemUsedRatio`, ...), `<path>.<n>` for core `n` of a per-core series (`cpu.cores.0`). The
 * report takes each series from the values so named (report.ts); other names stay on the host. Each
 * collector reads an injected source, so that tests can give it fixed numbers; `systemCollectors()` reads
 * the real host.
 */
export interface Collector {
  name: string;
  collect(): Promise<Record<string, number>>;
}
