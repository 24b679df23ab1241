/**
 * The metric catalogue: every series the API can store and query. The keys are the values of the GraphQL
 * `enum Metric`; `kind` and `field` say where a store keeps the series (one measurement per kind, as
 * DESIGN.md's storage schema has it); `perCore` series carry a `core` number.
 */
export const catalogue = {
  CPU_UTILIZATION: {
    kind: 'cpu',
    field: 'utilization',
    unit: 'ratio',
    perCore: false,
    range: [0, 1],
    description: 'Mean CPU utilisation over all cores, 0..1.',
  },
  CPU_CORE_UTILIZATION: {
    kind: 'cpu',
    field: 'utilization',
    unit: 'ratio',
    perCore: true,
    range: [0, 1],
    description: 'CPU utilisation of one core, 0..1 (argument `core`; all cores pooled when it is omitted).',
  },
  CPU_CORE_UTILIZATION_MAX: {
    kind: 'cpu',
    field: 'core_utilization_max',
    unit: 'ratio',
    perCore: false,
    range: [0, 1],
    description: "Per window, the busiest core's mean utilisation (the original `cpuCoreLoadAvgMax`).",
  },
  CPU_CORE_UTILIZATION_MIN: {
    kind: 'cpu',
    field: 'core_utilization_min',
    unit: 'ratio',
    perCore: false,
    range: [0, 1],
    description: "Per window, the idlest core's mean utilisation (the original `cpuCoreLoadAvgMin`).",
  },
  CPU_CORE_VARIANCE_MAX: {
    kind: 'cpu',
    field: 'core_variance_max',
    unit: 'ratio²',
    perCore: false,
    range: [0, 1],
    description: 'Per window, the largest per-core utilisation variance (the original `cpuCoreLoadVarMax`).',
  },
  CPU_CORE_VARIANCE_MIN: {
    kind: 'cpu',
    field: 'core_variance_min',
    unit: 'ratio²',
    perCore: false,
    range: [0, 1],
    description: 'Per window, the smallest per-core utilisation variance (the original `cpuCoreLoadMinMin`).',
  },
  MEMORY_USED_RATIO: {
    kind: 'memory',
    field: 'used_ratio',
    unit: 'ratio',
    perCore: false,
    range: [0, 1],
    description: 'Used memory as a share of total memory, 0..1.',
  },
  MEMORY_USED_BYTES: {
    kind: 'memory',
    field: 'used',
    unit: 'bytes',
    perCore: false,
    range: [0, Number.MAX_SAFE_INTEGER],
    description: 'Used memory in bytes (excluding buffers and cache).',
  },
  MEMORY_TOTAL_BYTES: {
    kind: 'memory',
    field: 'total',
    unit: 'bytes',
    perCore: false,
    range: [0, Number.MAX_SAFE_INTEGER],
    description: 'Total memory in bytes.',
  },
  SWAP_USED_RATIO: {
    kind: 'memory',
    field: 'swap_used_ratio',
    unit: 'ratio',
    perCore: false,
    range: [0, 1],
    description: 'Used swap as a share of total swap, 0..1.',
  },
  SWAP_USED_BYTES: {
    kind: 'memory',
    field: 'swap_used',
    unit: 'bytes',
    perCore: false,
    range: [0, Number.MAX_SAFE_INTEGER],
    description: 'Used swap in bytes.',
  },
  LOAD_1: {
    kind: 'load',
    field: 'load1',
    unit: 'processes',
    perCore: false,
    range: [0, 1e6],
    description: 'One-minute load average.',
  },
  LOAD_5: {
    kind: 'load',
    field: 'load5',
    unit: 'processes',
    perCore: false,
    range: [0, 1e6],
    description: 'Five-minute load average.',
  },
  LOAD_15: {
    kind: 'load',
    field: 'load15',
    unit: 'processes',
    perCore: false,
    range: [0, 1e6],
    description: 'Fifteen-minute load average.',
  },
  NETWORK_RX_BYTES_PER_SECOND: {
    kind: 'network',
    field: 'rx',
    unit: 'bytes/s',
    perCore: false,
    range: [0, Number.MAX_SAFE_INTEGER],
    description:
      "Bytes received per second, summed over the host's physical interfaces (virtual ones such as lo, docker*, veth*, br-* excluded by the agent).",
  },
  NETWORK_TX_BYTES_PER_SECOND: {
    kind: 'network',
    field: 'tx',
    unit: 'bytes/s',
    perCore: false,
    range: [0, Number.MAX_SAFE_INTEGER],
    description:
      "Bytes sent per second, summed over the host's physical interfaces (virtual ones such as lo, docker*, veth*, br-* excluded by the agent).",
  },
  DISK_READ_BYTES_PER_SECOND: {
    kind: 'disk',
    field: 'read',
    unit: 'bytes/s',
    perCore: false,
    range: [0, Number.MAX_SAFE_INTEGER],
    description: "Bytes read per second from the host's block devices.",
  },
  DISK_WRITE_BYTES_PER_SECOND: {
    kind: 'disk',
    field: 'write',
    unit: 'bytes/s',
    perCore: false,
    range: [0, Number.MAX_SAFE_INTEGER],
    description: "Bytes written per second to the host's block devices.",
  },
  FILESYSTEM_USED_RATIO: {
    kind: 'disk',
    field: 'fs_used_ratio',
    unit: 'ratio',
    perCore: false,
    range: [0, 1],
    description: 'Used share of the fullest local filesystem, 0..1.',
  },
} as const satisfies Record<string, MetricSpec>;

export interface MetricSpec {
  /** Measurement (InfluxDB) or series family (SQLite): `cpu`, `memory`, `load`, `network`, `disk`. */
  readonly kind: string;
  /** Name of the quantity inside its kind; per-core and overall CPU share `utilization`. */
  readonly field: string;
  readonly unit: string;
  readonly perCore: boolean;
  /** Inclusive bounds every reported statistic must lie in. */
  readonly range: readonly [number, number];
  readonly description: string;
}

export type Metric = keyof typeof catalogue;
export const metricNames = Object.keys(catalogue) as Metric[];

/** How the original 2018 service named its queryable series, and what each one is here. */
export const originalMetricNames = {
  cpuLoadAvg: { metric: 'CPU_UTILIZATION', statistic: 'mean' },
  cpuLoadVar: { metric: 'CPU_UTILIZATION', statistic: 'variance' },
  cpuCoreLoadAvgMax: { metric: 'CPU_CORE_UTILIZATION_MAX', statistic: 'mean' },
  cpuCoreLoadAvgMin: { metric: 'CPU_CORE_UTILIZATION_MIN', statistic: 'mean' },
  cpuCoreLoadVarMax: { metric: 'CPU_CORE_VARIANCE_MAX', statistic: 'mean' },
  cpuCoreLoadMinMin: { metric: 'CPU_CORE_VARIANCE_MIN', statistic: 'mean' },
} as const satisfies Record<string, { metric: Metric; statistic: 'mean' | 'variance' }>;

export type OriginalMetricName = keyof typeof originalMetricNames;

export function isMetric(name: string): name is Metric {
  return Object.hasOwn(catalogue, name);
}
