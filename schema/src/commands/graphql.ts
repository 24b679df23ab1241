import { builder } from '../builder.js';
import {
  acknowledgeAgentCommand,
  defaultListLimit,
  defaultTtlSeconds,
  listAgentCommands,
  maxListLimit,
  maxTtlSeconds,
  sendAgentCommand,
  streamAgentCommands,
} from './service.js';
import { type AgentCommand, agentCommandOutcomes, agentCommandStatuses, agentCommandTypes } from './types.js';

const AgentCommandTypeEnum = builder.enumType('AgentCommandType', {
  description:
    'What a command asks of an agent. SET_SAMPLING_INTERVAL: sample every `intervalMs` (50 ms to 1 h). SET_REPORT_INTERVAL: report a window every `intervalMs` (1 s to 1 h). That sampling must not be slower than reporting is checked by the agent, which answers FAILED.',
  values: agentCommandTypes,
});

const AgentCommandStatusEnum = builder.enumType('AgentCommandStatus', {
  description:
    'PENDING (queued) → DELIVERED (handed to an `agentCommands` subscriber) → APPLIED or FAILED (the agent acknowledged), or EXPIRED (not acknowledged before `expiresAt`).',
  values: agentCommandStatuses,
});

const AgentCommandOutcomeEnum = builder.enumType('AgentCommandOutcome', {
  description: "An agent's answer to a command.",
  values: agentCommandOutcomes,
});

const AgentCommandRef = builder.objectRef<AgentCommand>('AgentCommand').implement({
  description: 'A command to one agent, queued and persisted until it is acknowledged or expires.',
  fields: (t) => ({
    id: t.exposeID('id'),
    clientId: t.exposeID('clientId'),
    type: t.field({ type: AgentCommandTypeEnum, resolve: (c) => c.type }),
    intervalMs: t.exposeInt('intervalMs', { description: 'The new interval, ms.' }),
    status: t.field({ type: AgentCommandStatusEnum, resolve: (c) => c.status }),
    message: t.exposeString('message', {
      nullable: true,
      description:
        "The agent's message with its acknowledgement (why it FAILED), or why the command EXPIRED.",
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => new Date(c.createdAt) }),
    updatedAt: t.field({
      type: 'DateTime',
      description: 'When the status last changed.',
      resolve: (c) => new Date(c.updatedAt),
    }),
    expiresAt: t.field({
      type: 'DateTime',
      description: 'Not acknowledged by then, the command is EXPIRED; an agent must not apply it after this.',
      resolve: (c) => new Date(c.expiresAt),
    }),
  }),
});

const AgentCommandInput = builder.inputType('AgentCommandInput', {
  description: 'A command to send to an agent.',
  fields: (t) => ({
    type: t.field({ type: AgentCommandTypeEnum }),
    intervalMs: t.int({
      description:
        'The new interval, ms: 50..3600000 for SET_SAMPLING_INTERVAL, 1000..3600000 for SET_REPORT_INTERVAL.',
    }),
    ttlSeconds: t.int({
      required: false,
      description: `Seconds the command waits for its acknowledgement before it expires (1..${maxTtlSeconds}). Default ${defaultTtlSeconds}.`,
    }),
  }),
});

builder.mutationField('sendAgentCommand', (t) =>
  t.field({
    type: AgentCommandRef,
    description:
      "Queues a command for one client (PENDING) and delivers it to the client's `agentCommands` subscribers. Needs scope `admin`.",
    args: { clientId: t.arg.id(), command: t.arg({ type: AgentCommandInput }) },
    resolve: (_r, args, ctx) => sendAgentCommand(ctx, String(args.clientId), args.command),
  }),
);

builder.mutationField('setSamplingInterval', (t) =>
  t.field({
    type: AgentCommandRef,
    description: 'Shortcut for `sendAgentCommand` with SET_SAMPLING_INTERVAL. Needs scope `admin`.',
    args: {
      clientId: t.arg.id(),
      intervalMs: t.arg.int({ description: 'The new sampling interval, ms (50..3600000).' }),
      ttlSeconds: t.arg.int({
        required: false,
        description: `Seconds the command waits for its acknowledgement before it expires (1..${maxTtlSeconds}). Default ${defaultTtlSeconds}.`,
      }),
    },
    resolve: (_r, args, ctx) =>
      sendAgentCommand(
        ctx,
        String(args.clientId),
        { type: 'SET_SAMPLING_INTERVAL', intervalMs: args.intervalMs, ttlSeconds: args.ttlSeconds },
        '',
      ),
  }),
);

builder.mutationField('acknowledgeAgentCommand', (t) =>
  t.field({
    type: AgentCommandRef,
    description:
      'The agent answers a PENDING or DELIVERED command: APPLIED, or FAILED with a reason. Errors: NOT_FOUND, COMMAND_ALREADY_ACKNOWLEDGED, COMMAND_EXPIRED. Needs scope `ingest`; a token bound to client ids acknowledges only their commands.',
    args: {
      id: t.arg.id(),
      status: t.arg({ type: AgentCommandOutcomeEnum }),
      message: t.arg.string({ required: false }),
    },
    resolve: (_r, args, ctx) => acknowledgeAgentCommand(ctx, String(args.id), args.status, args.message),
  }),
);

builder.queryField('agentCommands', (t) =>
  t.field({
    type: [AgentCommandRef],
    description: `One client's commands, newest first; only those in \`status\` when given. Needs scope \`read\`.`,
    args: {
      clientId: t.arg.id(),
      status: t.arg({ type: AgentCommandStatusEnum, required: false }),
      limit: t.arg.int({
        required: false,
        description: `At most this many (1..${maxListLimit}). Default ${defaultListLimit}.`,
      }),
    },
    resolve: (_r, args, ctx) =>
      listAgentCommands(ctx, { clientId: String(args.clientId), status: args.status, limit: args.limit }),
  }),
);

builder.subscriptionField('agentCommands', (t) =>
  t.field({
    type: AgentCommandRef,
    description:
      "The command stream of one agent: first the client's commands not yet acknowledged and not expired (oldest first), then new ones as they are sent. Each is DELIVERED once handed over; the agent answers with `acknowledgeAgentCommand`. Needs scope `ingest`; a token bound to client ids takes only their commands.",
    args: { clientId: t.arg.id() },
    subscribe: (_r, args, ctx) => streamAgentCommands(ctx, String(args.clientId)),
    resolve: (command) => command,
  }),
);
