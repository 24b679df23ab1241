import { requireScope } from '../auth.js';
import type { Context } from '../context.js';
import { badInput } from '../errors.js';
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
