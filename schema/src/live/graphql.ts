import { builder } from '../builder.js';
import { MetricEnum } from '../metrics/graphql.js';
import type { SeriesPoint } from '../metrics/types.js';
import { subscribeClientStatusChanged, subscribeMetricReported } from './service.js';
import { type ClientStatusEvent, clientStatuses, type ReportedWindow } from './types.js';

const ReportedStat = builder.objectRef<SeriesPoint>('ReportedStat').implement({
  description: "One series' window as stored.",
  fields: (t) => ({
    metric: t.field({ type: MetricEnum, resolve: (p) => p.metric }),
    core: t.int({ nullable: true, description: 'For per-core series.', resolve: (p) => p.core }),
    count: t.float({ description: 'Observations in the window.', resolve: (p) => p.count }),
    mean: t.float({ resolve: (p) => p.mean }),
    variance: t.float({ resolve: (p) => p.variance }),
    min: t.float({ resolve: (p) => p.min }),
    max: t.float({ resolve: (p) => p.max }),
  }),
});

const MetricReport = builder.objectRef<ReportedWindow>('MetricReport').implement({
  description: 'One accepted report, as stored.',
  fields: (t) => ({
    clientId: t.id({ resolve: (r) => r.clientId }),
    windowStart: t.field({ type: 'DateTime', resolve: (r) => new Date(r.windowStart) }),
    windowEnd: t.field({ type: 'DateTime', resolve: (r) => new Date(r.windowEnd) }),
    observations: t.int({ resolve: (r) => r.observations }),
    stats: t.field({
      type: [ReportedStat],
      description: 'Every series window the report stored, derived ones included.',
      resolve: (r) => r.points,
    }),
  }),
});

builder.subscriptionField('metricReported', (t) =>
  t.field({
    type: MetricReport,
    description: 'Every report as it is stored; only those of `clientId` when given. Needs scope `read`.',
    args: { clientId: t.arg.id({ required: false }) },
    subscribe: (_root, args, ctx) =>
      subscribeMetricReported(ctx, args.clientId == null ? null : String(args.clientId)),
    resolve: (report) => report,
  }),
);

export const ClientStatusEnum = builder.enumType('ClientStatus', {
  description:
    "A client's liveness: ONLINE when a report is stored, STALE after 3 report intervals without one, OFFLINE after 10 or when its command stream closes.",
  values: clientStatuses,
});

const ClientStatusChange = builder.objectRef<ClientStatusEvent>('ClientStatusEvent').implement({
  description: "A change of one client's status.",
  fields: (t) => ({
    clientId: t.id({ resolve: (e) => e.clientId }),
    status: t.field({ type: ClientStatusEnum, resolve: (e) => e.status }),
    previous: t.field({
      type: ClientStatusEnum,
      nullable: true,
      description: 'Null for a client not seen since the server started.',
      resolve: (e) => e.previous,
    }),
    at: t.field({ type: 'DateTime', resolve: (e) => new Date(e.at) }),
  }),
});

builder.subscriptionField('clientStatusChanged', (t) =>
  t.field({
    type: ClientStatusChange,
    description:
      'Every change of a client status; only those of `clientId` when given. Needs scope `read`. See docs/live.md for the rules.',
    args: { clientId: t.arg.id({ required: false }) },
    subscribe: (_root, args, ctx) =>
      subscribeClientStatusChanged(ctx, args.clientId == null ? null : String(args.clientId)),
    resolve: (event) => event,
  }),
);
