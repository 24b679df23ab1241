import { builder } from './builder.js';
import { catalogue, type Metric, metricNames } from './catalogue.js';
import type { Stat } from './context.js';
import { type ReportAck, reportMetrics } from './service/ingest.js';

export const MetricEnum = builder.enumType('Metric', {
  description: 'A series in the catalogue; `Query.metrics` describes each.',
  values: Object.fromEntries(
    metricNames.map((name) => [name, { description: catalogue[name].description }]),
  ) as {
    [K in Metric]: { description: string };
  },
});

const MetricInfo = builder.objectRef<Metric>('MetricInfo').implement({
  description: 'One entry of the metric catalogue.',
  fields: (t) => ({
    metric: t.field({ type: MetricEnum, resolve: (metric) => metric }),
    kind: t.string({
      description: 'The family it belongs to: cpu, memory, load, network, disk.',
      resolve: (m) => catalogue[m].kind,
    }),
    unit: t.string({ resolve: (m) => catalogue[m].unit }),
    description: t.string({ resolve: (m) => catalogue[m].description }),
    perCore: t.boolean({
      description: 'Whether the series exists once per CPU core (argument `core`).',
      resolve: (m) => catalogue[m].perCore,
    }),
  }),
});

builder.queryField('metrics', (t) =>
  t.field({
    type: [MetricInfo],
    description: 'The metric catalogue.',
    resolve: () => metricNames,
  }),
);

const StatInput = builder.inputRef<Stat>('StatInput').implement({
  description: "One series' statistics over a window; variance is the population variance of the samples.",
  fields: (t) => ({
    mean: t.float(),
    variance: t.float(),
    min: t.float(),
    max: t.float(),
  }),
});

const CpuStatsInput = builder.inputType('CpuStatsInput', {
  fields: (t) => ({
    utilization: t.field({ type: StatInput, description: 'Utilisation over all cores, 0..1.' }),
    cores: t.field({
      type: [StatInput],
      required: false,
      description: 'Utilisation per core, 0..1, in core order (at most 1,024).',
    }),
  }),
});

const MemoryStatsInput = builder.inputType('MemoryStatsInput', {
  fields: (t) => ({
    usedRatio: t.field({ type: StatInput, required: false, description: 'Used share of memory, 0..1.' }),
    usedBytes: t.field({ type: StatInput, required: false }),
    totalBytes: t.float({ required: false }),
    swapUsedRatio: t.field({ type: StatInput, required: false, description: 'Used share of swap, 0..1.' }),
    swapUsedBytes: t.field({ type: StatInput, required: false }),
  }),
});

const LoadStatsInput = builder.inputType('LoadStatsInput', {
  fields: (t) => ({
    load1: t.field({ type: StatInput, required: false }),
    load5: t.field({ type: StatInput, required: false }),
    load15: t.field({ type: StatInput, required: false }),
  }),
});

const NetworkStatsInput = builder.inputType('NetworkStatsInput', {
  description:
    "Network throughput over the window, summed over the host's physical interfaces (the agent leaves out virtual ones such as lo, docker*, veth*, br-*).",
  fields: (t) => ({
    rxBytesPerSecond: t.field({
      type: StatInput,
      required: false,
      description: 'Bytes received per second.',
    }),
    txBytesPerSecond: t.field({ type: StatInput, required: false, description: 'Bytes sent per second.' }),
  }),
});

const DiskStatsInput = builder.inputType('DiskStatsInput', {
  description: "Disk throughput over the window, over the host's block devices, and filesystem usage.",
  fields: (t) => ({
    readBytesPerSecond: t.field({ type: StatInput, required: false, description: 'Bytes read per second.' }),
    writeBytesPerSecond: t.field({
      type: StatInput,
      required: false,
      description: 'Bytes written per second.',
    }),
    filesystemUsedRatio: t.field({
      type: StatInput,
      required: false,
      description: 'Used share of the fullest local filesystem, 0..1.',
    }),
  }),
});

const ReportMetricsInput = builder.inputType('ReportMetricsInput', {
  description:
    'One pre-aggregated window of one client. Every metric group is optional, so new groups can join without breaking senders.',
  fields: (t) => ({
    clientId: t.id({ description: 'Stable id of the host, such as the MAC address of its first interface.' }),
    windowStart: t.field({ type: 'DateTime' }),
    windowEnd: t.field({ type: 'DateTime' }),
    observations: t.int({ description: 'Samples per series in the window.' }),
    hostname: t.string({ required: false }),
    osType: t.string({ required: false }),
    osVersion: t.string({ required: false }),
    cpu: t.field({ type: CpuStatsInput, required: false }),
    memory: t.field({ type: MemoryStatsInput, required: false }),
    load: t.field({ type: LoadStatsInput, required: false }),
    network: t.field({ type: NetworkStatsInput, required: false }),
    disk: t.field({ type: DiskStatsInput, required: false }),
  }),
});

const ReportAckRef = builder.objectRef<ReportAck>('ReportAck').implement({
  description: 'The report is committed to the store.',
  fields: (t) => ({
    clientId: t.exposeID('clientId'),
    windowStart: t.expose('windowStart', { type: 'DateTime' }),
    windowEnd: t.expose('windowEnd', { type: 'DateTime' }),
    points: t.exposeInt('points', { description: 'Series windows stored.' }),
  }),
});

builder.mutationField('reportMetrics', (t) =>
  t.field({
    type: ReportAckRef,
    description:
      'Stores one window of one client. Answers only after the store committed it; sending the same client and window again overwrites it. Needs scope `ingest`; a token bound to client ids reports only for those.',
    args: { input: t.arg({ type: ReportMetricsInput }) },
    resolve: (_root, { input }, ctx) => reportMetrics(ctx, { ...input, clientId: String(input.clientId) }),
  }),
);
