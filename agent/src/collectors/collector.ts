/**
 * A collector reads one part of the host once per sample and names its values by series: `cpu`,
 * `cpu.core.<n>`, `memory.usedBytes`, `load.load1`, `network.rx`, `disk.fsUsedRatio`, ... Each reads an
 * injected source, so that tests can give it fixed numbers; `systemCollectors()` reads the real host.
 */
export interface Collector {
  name: string;
  collect(): Promise<Record<string, number>>;
}
