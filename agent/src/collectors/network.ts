import { readFile } from 'node:fs/promises';
import { si } from '../systeminformation.js';
import type { Collector } from './collector.js';

/** Byte counters of one interface since boot. */
export interface InterfaceCounters {
  name: string;
  rxBytes: number;
  txBytes: number;
}

export interface NetworkSource {
  counters(): Promise<InterfaceCounters[]>;
}

/**
 * Interfaces that carry no traffic of their own or count it twice: loopback, container and VM bridges
 * and veth pairs, tunnels of overlay networks. Matched by name, as sysfs marks a container's own `eth0` (a
 * veth end) virtual too.
 */
export const VIRTUAL_INTERFACE =
  /^(lo|docker\d*|veth|br-|virbr|vnet|cni|flannel|cali|weave|kube-|tunl|vxlan|genev|dummy|ifb|lxc|lxd|podman)/;

/**
 * Receive and send rates in bytes/s summed over the physical interfaces (`network.rxBytesPerSecond`,
 * `network.txBytesPerSecond`) and per interface (`network.<name>.rx`, `.tx`: they stay on the host), from
 * the counters' growth since the previous sample. The first sample gives no rates; an interface whose counters went back (a reset or a new interface with the name) is
 * skipped for one sample.
 */
export function networkCollector(source: NetworkSource, now: () => number = Date.now): Collector {
  let previous: { at: number; counters: Map<string, InterfaceCounters> } | null = null;
  return {
    name: 'network',
    collect: async () => {
      const counters = (await source.counters()).filter((c) => !VIRTUAL_INTERFACE.test(c.name));
      const at = now();
      const values: Record<string, number> = {};
      const before = previous;
      previous = { at, counters: new Map(counters.map((c) => [c.name, c])) };
      if (!before || at <= before.at) return values;
      const seconds = (at - before.at) / 1000;
      let rx = 0;
      let tx = 0;
      let rated = 0;
      for (const c of counters) {
        const last = before.counters.get(c.name);
        if (!last || c.rxBytes < last.rxBytes || c.txBytes < last.txBytes) continue;
        const rxRate = (c.rxBytes - last.rxBytes) / seconds;
        const txRate = (c.txBytes - last.txBytes) / seconds;
        values[`network.${c.name}.rx`] = rxRate;
        values[`network.${c.name}.tx`] = txRate;
        rx += rxRate;
        tx += txRate;
        rated += 1;
      }
      if (rated > 0) {
        values['network.rxBytesPerSecond'] = rx;
        values['network.txBytesPerSecond'] = tx;
      }
      return values;
    },
  };
}

/** Linux: `/proc/net/dev`, one read, no process spawned. */
export function procNetDev(path = '/proc/net/dev'): NetworkSource {
  return { counters: async () => parseProcNetDev(await readFile(path, 'utf8')) };
}

/** `/proc/net/dev`: two header lines, then `name: rx_bytes rx_packets ... (8 rx fields) tx_bytes ...`. */
export function parseProcNetDev(text: string): InterfaceCounters[] {
  const result: InterfaceCounters[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    const [rxBytes, txBytes] = [fields[0], fields[8]];
    if (rxBytes === undefined || txBytes === undefined || !Number.isFinite(rxBytes + txBytes)) continue;
    result.push({ name: line.slice(0, colon).trim(), rxBytes, txBytes });
  }
  return result;
}

/** Other systems: systeminformation's `networkStats('*')`. */
export function siNetwork(): NetworkSource {
  return {
    counters: async () =>
      (await si.networkStats('*')).map((s) => ({ name: s.iface, rxBytes: s.rx_bytes, txBytes: s.tx_bytes })),
  };
}
