import {
  catalogue,
  type Metric,
  type MetricSpec,
  metricNames,
  type ReportGroup,
  reportGroups,
  type SeriesInput,
} from '@metrics-collector/common/catalogue';
import { builder } from '../builder.js';
import { reportMetrics } from './service.js';
import type { ReportAck, ReportGroupInput, ReportInput, Stat } from './types.js';

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

const specs: Readonly<Record<Metric, MetricSpec>> = catalogue;

/**
 * The input type of one report group (`MemoryStatsInput` for `memory`): one field per catalogue series in
 * the group, a `StatInput`, a list of them for a per-core series, or a `Float` for a single value.
 */
function groupInput<G extends ReportGroup>(group: G) {
  const series = metricNames.flatMap((metric) => {
    const { input, perCore } = specs[metric];
    return input?.path.startsWith(`${group}.`) ? [{ input, perCore }] : [];
  });
  const info: { description?: string } = reportGroups[group];
  return builder
    .inputRef<ReportGroupInput<G>>(`${group.charAt(0).toUpperCase()}${group.slice(1)}StatsInput`)
    .implement({
      ...(info.description ? { description: info.description } : {}),
      // The fields follow the catalogue, which the type `ReportGroupInput` is derived from as well.
      fields: (t) =>
        Object.fromEntries(
          series.map(({ input, perCore }) => {
            const options = { required: input.required ?? false, description: input.description };
            const field = input.value
              ? t.float(options)
              : t.field({ type: perCore ? [StatInput] : StatInput, ...options });
            return [fieldName(input), field];
          }),
        ) as never,
    });
}

function fieldName(input: SeriesInput): string {
  return input.path.slice(input.path.indexOf('.') + 1);
}

const groupInputs = (Object.keys(reportGroups) as ReportGroup[]).map(
  (group) => [group, groupInput(group)] as const,
);

/** The report as GraphQL hands it over: an `ID` may arrive as a number. */
type ReportMetricsArgs = Omit<ReportInput, 'clientId'> & { clientId: string | number };

const ReportMetricsInput = builder.inputRef<ReportMetricsArgs>('ReportMetricsInput').implement({
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
    ...Object.fromEntries(groupInputs.map(([group, type]) => [group, t.field({ type, required: false })])),
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
