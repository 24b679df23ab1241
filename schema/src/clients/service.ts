import { requireScope } from '../auth.js';
import type { Context } from '../context.js';
import { AppError, badInput } from '../errors.js';
import { checkString } from '../limits.js';
import type { ClientRecord } from './types.js';

/** `Query.clients`: default and largest `first`. */
export const defaultClientPage = 100;
export const maxClientPage = 1_000;

/** One page of the registry, ordered by id: at most `first` clients after the id `after`. */
export async function listClients(
  ctx: Context,
  args: { first?: number | null; after?: string | null } = {},
): Promise<ClientRecord[]> {
  requireScope(ctx, 'read');
  const first = args.first ?? defaultClientPage;
  if (!Number.isSafeInteger(first) || first < 1 || first > maxClientPage) {
    throw badInput('first', `${first} is outside 1..${maxClientPage}`);
  }
  const after = args.after ?? null;
  if (after !== null && after.length > ctx.limits.maxStringLength) {
    throw badInput(
      'after',
      `is ${after.length} characters long, more than the ${ctx.limits.maxStringLength} allowed`,
    );
  }
  return ctx.state.listClients({ first, after });
}

export async function getClient(ctx: Context, id: string): Promise<ClientRecord | null> {
  requireScope(ctx, 'read');
  return ctx.state.getClient(id);
}

/**
 * `Mutation.forgetClient`: removes the client from the registry. Its stored windows stay until retention
 * deletes them (history and fleet queries still count them); its current alert states go, as does its
 * place in NO_DATA rules and client status; its commands not yet acknowledged expire. A later report
 * registers it again, as new. Needs scope `admin`.
 */
export async function forgetClient(ctx: Context, clientId: string): Promise<ClientRecord> {
  requireScope(ctx, 'admin');
  checkString(clientId, 'clientId', ctx.limits.maxStringLength, true);
  const client = await ctx.state.forgetClient(clientId);
  if (!client) {
    throw new AppError('NOT_FOUND', `clientId: no client ${JSON.stringify(clientId)}`, { field: 'clientId' });
  }
  const now = ctx.clock.now();
  await ctx.alerts.forgetClient(clientId);
  await ctx.commands.forgetClient(clientId, now);
  ctx.live.pubsub.publish('clientForgotten', { clientId, at: now });
  return client;
}
