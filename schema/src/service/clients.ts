import { requireScope } from '../auth.js';
import type { ClientRecord, Context } from '../context.js';

export async function listClients(ctx: Context): Promise<ClientRecord[]> {
  requireScope(ctx, 'read');
  return ctx.state.listClients();
}

export async function getClient(ctx: Context, id: string): Promise<ClientRecord | null> {
  requireScope(ctx, 'read');
  return ctx.state.getClient(id);
}
