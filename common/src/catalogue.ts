/**
 * The metric catalogue: every series the API can store and query. It is pure data (no imports), so that
 * this leaf package carries it to the agent too. Per series (the key is its value of the GraphQL `enum Metric`):
 *
 * - storage: `kind` is the measurement (InfluxDB) or series family (SQLite) and `field` the quantity inside
 *   it, so `MEMORY_USED_BYTES` is stored as `memory` / `used`; `perCore` series carry a `core` number.
 * - input: where a report (`ReportMetricsInput`) carries it, as `group.field` (`memory.usedBytes`: the field
 *   `usedBytes` of the optional group `memory`). From this the schema builds the report's input types, the
 *   ingest service turns a report into points, both in catalogue order, and the agent builds its report
 *   from the collector samples named by the same path.
 * - derived: a series no report carries, computed from another one of the same report.
 */
export const catalogue = {
  CPU_UTILIZATION: {
    kind: 'cpu',
    field: 'utilization',
    unit: 'ratio',
    perCore: false,
    range: [0, 1],
    description: 'Mean CPU utilisation over all cores, 0..1.',
    input: { path: 'cpu.utilization', required: true, description: 'Utilisation over all cores, 0..1.' },
  },
  CPU_CORE_UTILIZATION: {
    kind: 'cpu',
    field: 'utilization',
    unit: 'ratio',
    perCore: true,
    range: [0, 1],
    description: 'CPU utilisation of one core, 0..1 (argument `core`; all cores pooled when it is omitted).',
    input: { path: 'cpu.cores', description: 'Utilisation per core, 0..1, in core order (at most 1,024).' },
  },
  CPU_CORE_UTILIZATION_MAX: {
    kind: 'cpu',
    field: 'core_utilization_max',
    unit: 'ratio',
    perCore: false,
    range: [0, 1],
    description: "Per window, the busiest core's mean utilisation (the original `cpuCoreLoadAvgMax`).",
    derived: { from: 'CPU_CORE_UTILIZATION', statistic: 'mean', pick: 'max' },
  },
  CPU_CORE_UTILIZATION_MIN: {
    kind: 'cpu',
    field: 'core_utilization_min',
    unit: 'ratio',
    perCore: false,
    range: [0, 1],
    description: "Per window, the idlest core's mean utilisation (the original `cpuCoreLoadAvgMin`).",
    derived: { from: 'CPU_CORE_UTILIZATION', statistic: 'mean', pick: 'min' },
  },
  CPU_CORE_VARIANCE_MAX: {
    kind: 'cpu',
    field: 'core_variance_max',
    unit: 'ratio²',
    perCore: false,
    range: [0, 1],
    description: 'Per window, the largest per-core utilisation variance (the original `cpuCoreLoadVarMax`).',
    derived: { from: 'CPU_CORE_UTILIZATION', statistic: 'variance', pick: 'max' },
  },
  CPU_CORE_VARIANCE_MIN: {
    kind: 'cpu',
    field: 'core_variance_min',
    unit: 'ratio²',
    perCore: false,
    range: [0, 1],
    description: 'Per window, the smallest per-core utilisation variance (the original `cpuCoreLoadMinMin`).',
    derived: { from: 'CPU_CORE_UTILIZATION', statistic: 'variance', pick: 'min' },
  },
  MEMORY_USED_RATIO: {
    kind: 'memory',
    field: 'used_ratio',
    unit: 'ratio',
    perCore: false,
    range: [0, 1],
    description: 'Used memory as a share of total memory, 0..1.',
    input: { path: 'memory.usedRatio', description: 'Used share of memory, 0..1.' },
  },
  MEMORY_USED_BYTES: {
    kind: 'memory',
    field: 'used',
    unit: 'bytes',
    perCore: false,
    range: [0, Number.MAX_SAFE_INTEGER],
    description: 'Used memory in bytes (excluding buffers and cache).',
    input: { path: 'memory.usedBytes' },
  },
  MEMORY_TOTAL_BYTES: {
    kind: 'memory',
    field: 'total',
    unit: 'bytes',
    perCore: false,
    range: [0, Number.MAX_SAFE_INTEGER],
    description: 'Total memory in bytes.',
    input: { path: 'memory.totalBytes', value: true },
  },
  SWAP_USED_RATIO: {
    kind: 'memory',
    field: 'swap_used_ratio',
    unit: 'ratio',
    perCore: false,
    range: [0, 1],
    description: 'Used swap as a share of total swap, 0..1.',
    input: { path: 'memory.swapUsedRatio', description: 'Used share of swap, 0..1.' },
  },
  SWAP_USED_BYTES: {
    kind: 'memory',
    field: 'swap_used',
    unit: 'bytes',
    perCore: false,
    range: [0, Number.MAX_SAFE_INTEGER],
    description: 'Used swap in bytes.',
    input: { path: 'memory.swapUsedBytes' },
  },
  LOAD_1: {
    kind: 'load',
    field: 'load1',
    unit: 'processes',
    perCore: false,
    range: [0, 1e6],
    description: 'One-minute load average.',
    input: { path: 'load.load1' },
  },
  LOAD_5: {
    kind: 'load',
    field: 'load5',
    unit: 'processes',
    perCore: false,
    range: [0, 1e6],
    description: 'Five-minute load average.',
    input: { path: 'load.load5' },
  },
  LOAD_15: {
    kind: 'load',
    field: 'load15',
    unit: 'processes',
    perCore: false,
    range: [0, 1e6],
    description: 'Fifteen-minute load average.',
    input: { path: 'load.load15' },
  },
  NETWORK_RX_BYTES_PER_SECOND: {
    kind: 'network',
    field: 'rx',
    unit: 'bytes/s',
    perCore: false,
    range: [0, Number.MAX_SAFE_INTEGER],
    description:
      "Bytes received per second, summed over the host's physical interfaces (virtual ones such as lo, docker*, veth*, br-* excluded by the agent).",
    input: { path: 'network.rxBytesPerSecond', description: 'Bytes received per second.' },
  },
  NETWORK_TX_BYTES_PER_SECOND: {
    kind: 'network',
    field: 'tx',
    unit: 'bytes/s',
    perCore: false,
    range: [0, Number.MAX_SAFE_INTEGER],
    description:
      "Bytes sent per second, summed over the host's physical interfaces (virtual ones such as lo, docker*, veth*, br-* excluded by the agent).",
    input: { path: 'network.txBytesPerSecond', description: 'Bytes sent per second.' },
  },
  DISK_READ_BYTES_PER_SECOND: {
    kind: 'disk',
    field: 'read',
    unit: 'bytes/s',
    perCore: false,
    range: [0, Number.MAX_SAFE_INTEGER],
    description: "Bytes read per second from the host's block devices.",
    input: { path: 'disk.readBytesPerSecond', description: 'Bytes read per second.' },
  },
  DISK_WRITE_BYTES_PER_SECOND: {
    kind: 'disk',
    field: 'write',
    unit: 'bytes/s',
    perCore: false,
    range: [0, Number.MAX_SAFE_INTEGER],
    description: "Bytes written per second to the host's block devices.",
    input: { path: 'disk.writeBytesPerSecond', description: 'Bytes written per second.' },
  },
  FILESYSTEM_USED_RATIO: {
    kind: 'disk',
    field: 'fs_used_ratio',
    unit: 'ratio',
    perCore: false,
    range: [0, 1],
    description: 'Used share of the fullest local filesystem, 0..1.',
    input: {
      path: 'disk.filesystemUsedRatio',
      description: 'Used share of the fullest local filesystem, 0..1.',
    },
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
  /** Where a report carries the series; absent for a derived series. */
  readonly input?: SeriesInput;
  /** How the series is computed from another one of the same report; absent for a reported series. */
  readonly derived?: DerivedSeries;
}

/**
 * A series' field in a report. It is a `StatInput` (the window's statistics), a list of them, one per core,
 * for a `perCore` series, or with `value` a single number (stored with variance 0).
 */
export interface SeriesInput {
  /** `group.field`: the group is a key of `reportGroups`, the field a name in that group's input type. */
  readonly path: `${ReportGroup}.${string}`;
  /** Whether a group that is sent must carry the field. */
  readonly required?: boolean;
  /** The field's description in the GraphQL input, when it has one. */
  readonly description?: string;
  readonly value?: boolean;
}

/** Per window, the largest or smallest `statistic` over the entries of the per-core series `from`. */
export interface DerivedSeries {
  /** A `perCore` series of the catalogue. */
  readonly from: string;
  readonly statistic: 'mean' | 'variance';
  readonly pick: 'max' | 'min';
}

/**
 * The metric groups of a report, in order, each an optional field of `ReportMetricsInput` whose input type
 * (`CpuStatsInput` for `cpu`) holds the group's series.
 */
export const reportGroups = {
  cpu: {},
  memory: {},
  load: {},
  network: {
    description:
      "Network throughput over the window, summed over the host's physical interfaces (the agent leaves out virtual ones such as lo, docker*, veth*, br-*).",
  },
  disk: {
    description: "Disk throughput over the window, over the host's block devices, and filesystem usage.",
  },
} as const satisfies Record<string, { description?: string }>;

export type ReportGroup = keyof typeof reportGroups;

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

// ---- the shape of a report, derived from the catalogue: the schema's input and the agent's report ----

type Catalogue = typeof catalogue;
/** The series a report carries (those with an `input` in the catalogue). */
export type ReportedMetric = {
  [M in Metric]: Catalogue[M] extends { input: SeriesInput } ? M : never;
}[Metric];
type InputOf<M extends ReportedMetric> = Catalogue[M] extends { input: infer I extends SeriesInput }
  ? I
  : never;
type GroupOf<M extends ReportedMetric> = InputOf<M>['path'] extends `${infer G}.${string}` ? G : never;
type FieldOf<M extends ReportedMetric> = InputOf<M>['path'] extends `${string}.${infer F}` ? F : never;
/** What the field holds: a number (`value`), one `S` per core (`perCore`) or one `S`. */
type ValueOf<M extends ReportedMetric, S> =
  InputOf<M> extends { value: true } ? number : Catalogue[M]['perCore'] extends true ? S[] : S;
type IsRequired<M extends ReportedMetric> = InputOf<M> extends { required: true } ? true : false;

/**
 * One group of a report: its series by field name, as the catalogue lists them. `S` is the type of one
 * window's statistics (`{ mean, variance, min, max }`).
 */
export type ReportGroupFields<G extends ReportGroup, S> = {
  [M in ReportedMetric as GroupOf<M> extends G
    ? IsRequired<M> extends true
      ? FieldOf<M>
      : never
    : never]: ValueOf<M, S>;
} & {
  [M in ReportedMetric as GroupOf<M> extends G
    ? IsRequired<M> extends true
      ? never
      : FieldOf<M>
    : never]?: ValueOf<M, S> | null;
};
