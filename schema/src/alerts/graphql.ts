import { builder } from '../builder.js';
import { MetricEnum } from '../metrics/graphql.js';
import {
  alertRuleStates,
  createAlertRule,
  defaultHistoryLimit,
  deleteAlertRule,
  getAlertRule,
  listAlertRules,
  listAlerts,
  maxForSeconds,
  maxHistoryLimit,
  maxNameLength,
  subscribeAlertEvents,
  updateAlertRule,
} from './service.js';
import {
  type AlertEvent,
  type AlertRule,
  type AlertStatus,
  alertComparators,
  alertRuleKinds,
  alertSeverities,
  alertStates,
} from './types.js';

const AlertRuleKindEnum = builder.enumType('AlertRuleKind', {
  description:
    'THRESHOLD: compares a metric with a threshold on every report. NO_DATA: fires when a client sends no report for `forSeconds`.',
  values: alertRuleKinds,
});

const AlertComparatorEnum = builder.enumType('AlertComparator', {
  description: 'ABOVE breaches when the value is greater than the threshold, BELOW when it is smaller.',
  values: alertComparators,
});

const AlertSeverityEnum = builder.enumType('AlertSeverity', { values: alertSeverities });

const AlertStateEnum = builder.enumType('AlertState', {
  description:
    'OK → PENDING (breaching, waiting `forSeconds` of report time) → FIRING → RESOLVED (then as OK). PENDING goes back to OK when the breach ends first. NO_DATA rules go straight to FIRING.',
  values: alertStates,
});

const AlertStatusRef = builder.objectRef<AlertStatus>('AlertStatus').implement({
  description: 'The current state of a rule for one client.',
  fields: (t) => ({
    clientId: t.exposeID('clientId'),
    state: t.field({ type: AlertStateEnum, resolve: (s) => s.state }),
    since: t.field({
      type: 'DateTime',
      description: 'When it entered this state (for PENDING: when the breach started).',
      resolve: (s) => new Date(s.since),
    }),
    value: t.exposeFloat('value', { nullable: true, description: 'The value at that transition.' }),
  }),
});

const AlertRuleRef = builder.objectRef<AlertRule>('AlertRule').implement({
  description: 'A rule evaluated per client on every report (THRESHOLD) or on a timer (NO_DATA).',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    kind: t.field({ type: AlertRuleKindEnum, resolve: (r) => r.kind }),
    metric: t.field({ type: MetricEnum, nullable: true, resolve: (r) => r.metric }),
    comparator: t.field({ type: AlertComparatorEnum, nullable: true, resolve: (r) => r.comparator }),
    threshold: t.exposeFloat('threshold', { nullable: true }),
    recoveryThreshold: t.exposeFloat('recoveryThreshold', { nullable: true }),
    forSeconds: t.exposeInt('forSeconds'),
    clientId: t.exposeID('clientId', { nullable: true, description: 'Null: every client.' }),
    severity: t.field({ type: AlertSeverityEnum, resolve: (r) => r.severity }),
    webhookUrl: t.exposeString('webhookUrl', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (r) => new Date(r.createdAt) }),
    updatedAt: t.field({ type: 'DateTime', resolve: (r) => new Date(r.updatedAt) }),
    states: t.field({
      type: [AlertStatusRef],
      description: 'The current state per client evaluated so far, by client id.',
      resolve: (r, _a, ctx) => alertRuleStates(ctx, r.id),
    }),
  }),
});

const AlertEventRef = builder.objectRef<AlertEvent>('AlertEvent').implement({
  description: 'One transition of a rule for one client.',
  fields: (t) => ({
    id: t.exposeID('id'),
    ruleId: t.exposeID('ruleId'),
    ruleName: t.exposeString('ruleName', { description: 'The rule name at the time of the transition.' }),
    kind: t.field({ type: AlertRuleKindEnum, resolve: (e) => e.kind }),
    severity: t.field({ type: AlertSeverityEnum, resolve: (e) => e.severity }),
    metric: t.field({ type: MetricEnum, nullable: true, resolve: (e) => e.metric }),
    threshold: t.exposeFloat('threshold', { nullable: true }),
    clientId: t.exposeID('clientId'),
    state: t.field({ type: AlertStateEnum, resolve: (e) => e.state }),
    previous: t.field({ type: AlertStateEnum, resolve: (e) => e.previous }),
    value: t.exposeFloat('value', {
      nullable: true,
      description:
        "The report's value that caused it (window mean; CPU_CORE_UTILIZATION: the busiest core's). Null for NO_DATA.",
    }),
    at: t.field({
      type: 'DateTime',
      description: "Report time (the window's end) for THRESHOLD, the server's clock for NO_DATA.",
      resolve: (e) => new Date(e.at),
    }),
    message: t.exposeString('message'),
  }),
});

const AlertRuleInput = builder.inputType('AlertRuleInput', {
  description:
    'An alert rule. THRESHOLD rules need `metric`, `comparator` and `threshold`; NO_DATA rules have none.',
  fields: (t) => ({
    name: t.string({ description: `1..${maxNameLength} characters.` }),
    kind: t.field({ type: AlertRuleKindEnum, required: false, description: 'Default THRESHOLD.' }),
    metric: t.field({ type: MetricEnum, required: false }),
    comparator: t.field({ type: AlertComparatorEnum, required: false }),
    threshold: t.float({ required: false }),
    recoveryThreshold: t.float({
      required: false,
      description:
        'Hysteresis: a FIRING alert resolves only once the value no longer breaches this (at or below the threshold for ABOVE, at or above for BELOW). Default: the threshold.',
    }),
    forSeconds: t.int({
      description: `THRESHOLD: seconds of report time the breach must last before FIRING (0..${maxForSeconds}). NO_DATA: seconds of silence (1..${maxForSeconds}).`,
    }),
    clientId: t.id({ required: false, description: 'Only this client; null for every client.' }),
    severity: t.field({ type: AlertSeverityEnum, required: false, description: 'Default WARNING.' }),
    webhookUrl: t.string({
      required: false,
      description:
        'An http(s) URL each transition is POSTed to as JSON (retried with backoff, redirects not followed). Loopback, private and link-local addresses are refused unless the server has WEBHOOK_ALLOW_PRIVATE=true.',
    }),
  }),
});

const toInput = (input: typeof AlertRuleInput.$inferInput) => ({
  ...input,
  clientId: input.clientId == null ? null : String(input.clientId),
});

builder.mutationField('createAlertRule', (t) =>
  t.field({
    type: AlertRuleRef,
    description: 'Adds a rule. Needs scope `admin`.',
    args: { input: t.arg({ type: AlertRuleInput }) },
    resolve: (_r, args, ctx) => createAlertRule(ctx, toInput(args.input)),
  }),
);

builder.mutationField('updateAlertRule', (t) =>
  t.field({
    type: AlertRuleRef,
    description:
      'Replaces a rule. Changing its kind, metric, comparator or client starts its states over; otherwise they carry on with the new values. Errors: NOT_FOUND. Needs scope `admin`.',
    args: { id: t.arg.id(), input: t.arg({ type: AlertRuleInput }) },
    resolve: (_r, args, ctx) => updateAlertRule(ctx, String(args.id), toInput(args.input)),
  }),
);

builder.mutationField('deleteAlertRule', (t) =>
  t.field({
    type: AlertRuleRef,
    description:
      'Deletes a rule and its current states (its history stays) and returns it. Errors: NOT_FOUND. Needs scope `admin`.',
    args: { id: t.arg.id() },
    resolve: (_r, args, ctx) => deleteAlertRule(ctx, String(args.id)),
  }),
);

builder.queryField('alertRules', (t) =>
  t.field({
    type: [AlertRuleRef],
    description: 'Every alert rule, oldest first. Needs scope `read`.',
    resolve: (_r, _a, ctx) => listAlertRules(ctx),
  }),
);

builder.queryField('alertRule', (t) =>
  t.field({
    type: AlertRuleRef,
    nullable: true,
    description: 'One alert rule, or null. Needs scope `read`.',
    args: { id: t.arg.id() },
    resolve: (_r, args, ctx) => getAlertRule(ctx, String(args.id)),
  }),
);

builder.queryField('alerts', (t) =>
  t.field({
    type: [AlertEventRef],
    description: `The alert history (every transition), newest first, \`at\` in \`[from, to)\`; only those matching \`state\`, \`clientId\` and \`ruleId\` when given. Needs scope \`read\`.`,
    args: {
      state: t.arg({ type: AlertStateEnum, required: false }),
      clientId: t.arg.id({ required: false }),
      ruleId: t.arg.id({ required: false }),
      from: t.arg({ type: 'DateTime', required: false }),
      to: t.arg({ type: 'DateTime', required: false }),
      limit: t.arg.int({
        required: false,
        description: `At most this many (1..${maxHistoryLimit}). Default ${defaultHistoryLimit}.`,
      }),
    },
    resolve: (_r, args, ctx) =>
      listAlerts(ctx, {
        ...args,
        clientId: args.clientId == null ? null : String(args.clientId),
        ruleId: args.ruleId == null ? null : String(args.ruleId),
      }),
  }),
);

builder.subscriptionField('alertEvents', (t) =>
  t.field({
    type: AlertEventRef,
    description:
      'Every alert transition as it happens; only those of `clientId` when given. Needs scope `read`.',
    args: { clientId: t.arg.id({ required: false }) },
    subscribe: (_root, args, ctx) =>
      subscribeAlertEvents(ctx, args.clientId == null ? null : String(args.clientId)),
    resolve: (event) => event,
  }),
);
