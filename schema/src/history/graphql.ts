import { builder } from '../builder.js';
import { ClientRef } from '../clients/graphql.js';
import { MetricEnum } from '../metrics/graphql.js';
import { aggregates } from '../metrics/types.js';
import { fleetSummary, metricHistory } from './service.js';
import { type FleetSummaryRow, fills, type History, type HistoryPoint } from './types.js';

const AggregateEnum = builder.enumType('Aggregate', {
  description:
    'How the windows in a bucket combine. MEAN is observation-weighted; MIN and MAX use the window extremes; MEDIAN and the percentiles (nearest rank, as InfluxQL) and LAST use the window means; COUNT sums observations.',
  values: aggregates,
});

const FillEnum = builder.enumType('Fill', {
  description:
    'What empty buckets become: NONE omits them, NULL gives null, ZERO gives 0, PREVIOUS repeats the last value, LINEAR interpolates between neighbours.',
  values: fills,
});

const MetricPointRef = builder.objectRef<HistoryPoint>('MetricPoint').implement({
  description: 'One bucket. Statistics are null, and count 0, in a bucket that fill made up.',
  fields: (t) => ({
    time: t.expose('time', { type: 'DateTime', description: 'Bucket start.' }),
    value: t.exposeFloat('value', { nullable: true, description: 'The requested aggregate.' }),
    count: t.exposeFloat('count', {
      description: 'Observations pooled into the bucket (a Float: fleet-wide sums can pass 2^31).',
    }),
    mean: t.exposeFloat('mean', { nullable: true }),
    variance: t.exposeFloat('variance', {
      nullable: true,
      description: 'Pooled population variance of all observations in the bucket.',
    }),
    min: t.exposeFloat('min', { nullable: true }),
    max: t.exposeFloat('max', { nullable: true }),
  }),
});

const MetricHistoryRef = builder.objectRef<History>('MetricHistory').implement({
  fields: (t) => ({
    metric: t.expose('metric', { type: MetricEnum }),
    clientId: t.exposeID('clientId', { nullable: true, description: 'Null when all clients are pooled.' }),
    core: t.exposeInt('core', { nullable: true }),
    from: t.expose('from', { type: 'DateTime' }),
    to: t.expose('to', { type: 'DateTime' }),
    resample: t.expose('resample', { type: 'Duration' }),
    aggregate: t.expose('aggregate', { type: AggregateEnum }),
    fill: t.expose('fill', { type: FillEnum }),
    points: t.expose('points', { type: [MetricPointRef] }),
  }),
});

builder.queryField('metricHistory', (t) =>
  t.field({
    type: MetricHistoryRef,
    description:
      'A series resampled into epoch-aligned buckets over [from, to), each labelled by its start. At most 10,000 buckets. Needs scope `read`.',
    args: {
      metric: t.arg({ type: MetricEnum, required: true }),
      clientId: t.arg.id({ required: false, description: 'Omit (or null) to pool all clients.' }),
      core: t.arg.int({ required: false, description: 'For CPU_CORE_UTILIZATION: one core; omit for all.' }),
      from: t.arg({ type: 'DateTime', required: false, description: 'Default: one hour before `to`.' }),
      to: t.arg({ type: 'DateTime', required: false, description: 'Default: now.' }),
      resample: t.arg({
        type: 'Duration',
        required: false,
        description:
          'Bucket width. Default: the smallest of 1s, 5s, 10s, ... 1d, 7d giving at most 1,000 buckets.',
      }),
      aggregate: t.arg({ type: AggregateEnum, required: false, defaultValue: 'MEAN' }),
      fill: t.arg({ type: FillEnum, required: false, defaultValue: 'NONE' }),
    },
    resolve: (_r, args, ctx) =>
      metricHistory(ctx, { ...args, clientId: args.clientId == null ? null : String(args.clientId) }),
  }),
);

const FleetSummaryRowRef = builder.objectRef<FleetSummaryRow>('FleetSummaryRow').implement({
  description: 'One client over the whole range.',
  fields: (t) => ({
    clientId: t.exposeID('clientId'),
    client: t.expose('client', { type: ClientRef, nullable: true }),
    value: t.exposeFloat('value', { description: 'The requested aggregate.' }),
    count: t.exposeFloat('count'),
    mean: t.exposeFloat('mean'),
    variance: t.exposeFloat('variance'),
    min: t.exposeFloat('min'),
    max: t.exposeFloat('max'),
  }),
});

builder.queryField('fleetSummary', (t) =>
  t.field({
    type: [FleetSummaryRowRef],
    description:
      'One row per client that reported `metric` in [from, to): the original dashboard\'s "95th percentile load per user" table. Needs scope `read`.',
    args: {
      metric: t.arg({ type: MetricEnum, required: true }),
      core: t.arg.int({ required: false }),
      from: t.arg({ type: 'DateTime', required: false, description: 'Default: one hour before `to`.' }),
      to: t.arg({ type: 'DateTime', required: false, description: 'Default: now.' }),
      aggregate: t.arg({ type: AggregateEnum, required: false, defaultValue: 'P95' }),
    },
    resolve: (_r, args, ctx) => fleetSummary(ctx, args),
  }),
);
