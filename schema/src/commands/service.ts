import { Repeater } from '@graphql-yoga/subscription';
import { requireClient, requireScope } from '../auth.js';
import type { Context } from '../context.js';
import { AppError, badInput } from '../errors.js';
import { checkString } from '../limits.js';
import type { AgentCommand, AgentCommandOutcome, AgentCommandStatus, AgentCommandType } from './types.js';

const SECOND = 1_000;
const HOUR = 3_600_000;

/**
 * The interval each command type accepts, ms, inclusive. Whether the sampling interval fits the report
 * interval (sampling ≤ report) is the agent's business: it knows both and answers FAILED if not.
 */
export const intervalRanges: Record<AgentCommandType, { min: number; max: number }> = {
  SET_SAMPLING_INTERVAL: { min: 50, max: HOUR },
  SET_REPORT_INTERVAL: { min: SECOND, max: HOUR },
};

/** How long a command waits for its acknowledgement unless `ttlSeconds` says otherwise. */
export const defaultTtlSeconds = 3_600;
/** The longest `ttlSeconds` accepted: a week. */
export const maxTtlSeconds = 604_800;
/** `Query.agentCommands`: default and largest `limit`. */
export const defaultListLimit = 100;
export const maxListLimit = 1_000;

export interface CommandInput {
  type: AgentCommandType;
  intervalMs: number;
  ttlSeconds?: number | null;
}

/**
 * Queues a command for one client (scope `admin`) and publishes it to the client's `agentCommands`
 * subscribers once it is committed. `prefix` is the path of the command's fields in the operation
 * (`command.` for `sendAgentCommand`, empty for `setSamplingInterval`).
 */
export async function sendAgentCommand(
  ctx: Context,
  clientId: string,
  input: CommandInput,
  prefix = 'command.',
): Promise<AgentCommand> {
  requireScope(ctx, 'admin');
  checkClientId(ctx, clientId);
  const range = intervalRanges[input.type];
  if (
    !Number.isSafeInteger(input.intervalMs) ||
    input.intervalMs < range.min ||
    input.intervalMs > range.max
  ) {
    throw badInput(
      `${prefix}intervalMs`,
      `${input.intervalMs} is outside ${range.min}..${range.max} ms (${describeRange(range)}) for ${input.type}`,
    );
  }
  const ttlSeconds = input.ttlSeconds ?? defaultTtlSeconds;
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxTtlSeconds) {
    throw badInput(`${prefix}ttlSeconds`, `${ttlSeconds} is outside 1..${maxTtlSeconds} (1 s to 7 days)`);
  }
  const now = ctx.clock.now();
  const command = await ctx.commands.enqueue({
    clientId,
    type: input.type,
    intervalMs: input.intervalMs,
    createdAt: now,
    expiresAt: now + ttlSeconds * SECOND,
  });
  ctx.live.pubsub.publish('agentCommands', clientId, command);
  return command;
}

/**
 * The agent's answer to a command (scope `ingest`). A token bound to clients may answer only its clients'
 * commands: the command is looked up first, and one of another client is left as it was.
 */
export async function acknowledgeAgentCommand(
  ctx: Context,
  id: string,
  status: AgentCommandOutcome,
  message: string | null | undefined,
): Promise<AgentCommand> {
  requireScope(ctx, 'ingest');
  checkString(id, 'id', ctx.limits.maxStringLength, true);
  if (message != null && message.length > ctx.limits.maxStringLength) {
    throw badInput(
      'message',
      `is ${message.length} characters long, more than the ${ctx.limits.maxStringLength} allowed`,
    );
  }
  const now = ctx.clock.now();
  const known = await ctx.commands.get(id, now);
  if (!known) throw notFound(id);
  requireClient(ctx, known.clientId, 'id');
  const answer = await ctx.commands.acknowledge(id, status, message ?? null, now);
  switch (answer.result) {
    case 'acknowledged':
      return answer.command;
    case 'not-found':
      // Pruned since it was looked up.
      throw notFound(id);
    case 'final': {
      const { command } = answer;
      if (command.status === 'EXPIRED') {
        throw new AppError(
          'COMMAND_EXPIRED',
          `id: command ${id} expired at ${new Date(command.expiresAt).toISOString()} before it was acknowledged; it stays EXPIRED`,
          { field: 'id' },
        );
      }
      throw new AppError(
        'COMMAND_ALREADY_ACKNOWLEDGED',
        `id: command ${id} was already acknowledged as ${command.status} at ${new Date(command.updatedAt).toISOString()}`,
        { field: 'id' },
      );
    }
  }
}

/** One client's commands, newest first (scope `read`). */
export async function listAgentCommands(
  ctx: Context,
  args: { clientId: string; status?: AgentCommandStatus | null; limit?: number | null },
): Promise<AgentCommand[]> {
  requireScope(ctx, 'read');
  checkClientId(ctx, args.clientId);
  const limit = args.limit ?? defaultListLimit;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxListLimit) {
    throw badInput('limit', `${limit} is outside 1..${maxListLimit}`);
  }
  return ctx.commands.list(args.clientId, { status: args.status ?? null, limit, now: ctx.clock.now() });
}

/**
 * The command stream of one client (scope `ingest`, and a token bound to the client if bound at all):
 * first its commands not yet acknowledged and not expired, oldest first, then new ones as they are sent.
 * Each is marked DELIVERED as it is handed over. A refused stream is never opened, so it does not mark
 * the client OFFLINE either.
 *
 * The live subscription is registered before the unacknowledged ones are read, so that a command sent in
 * between is not lost; it then arrives both ways and is delivered once (by id). Closing the stream ends
 * the pubsub subscription at once (a Repeater, not an async generator, which would wait for the next
 * event before it noticed).
 */
export function streamAgentCommands(ctx: Context, clientId: string): AsyncIterable<AgentCommand> {
  requireScope(ctx, 'ingest');
  checkClientId(ctx, clientId);
  requireClient(ctx, clientId, 'clientId');
  return new Repeater<AgentCommand>(async (push, stop) => {
    const source = ctx.live.pubsub.subscribe('agentCommands', clientId)[Symbol.asyncIterator]();
    // The first `next()` registers the listener (the pubsub's iterator starts lazily).
    let next = source.next();
    const closeStream = ctx.live.openCommandStream(clientId);
    let stopped = false;
    void stop.then(() => {
      stopped = true;
      void source.return?.();
      closeStream();
    });
    const deliver = async (id: string) => {
      if (stopped) return;
      const command = await ctx.commands.deliver(id, ctx.clock.now());
      if (command && !stopped) await push(command);
    };
    try {
      const earlier = await ctx.commands.unacknowledged(clientId, ctx.clock.now());
      const seen = new Set(earlier.map((c) => c.id));
      for (const command of earlier) await deliver(command.id);
      for (;;) {
        const result = await next;
        if (result.done || stopped) break;
        next = source.next();
        if (seen.delete(result.value.id)) continue;
        await deliver(result.value.id);
      }
      stop();
    } catch (error) {
      stop(error);
    }
  });
}

function notFound(id: string): AppError {
  return new AppError('NOT_FOUND', `id: no agent command ${JSON.stringify(id)}`, { field: 'id' });
}

function checkClientId(ctx: Pick<Context, 'limits'>, clientId: string): void {
  checkString(clientId, 'clientId', ctx.limits.maxStringLength, true);
}

function describeRange(range: { min: number; max: number }): string {
  const show = (ms: number) =>
    ms >= HOUR ? `${ms / HOUR} h` : ms >= SECOND ? `${ms / SECOND} s` : `${ms} ms`;
  return `${show(range.min)} to ${show(range.max)}`;
}
