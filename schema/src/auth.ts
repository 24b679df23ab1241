import type { Context, Scope } from './context.js';
import { AppError } from './errors.js';

/**
 * Throws unless the caller holds `scope` (`admin` holds every scope): `UNAUTHENTICATED` for an anonymous
 * caller, `FORBIDDEN` for a token without it.
 */
export function requireScope(ctx: Pick<Context, 'principal'>, scope: Scope): void {
  const { name, scopes } = ctx.principal;
  if (scopes.has(scope) || scopes.has('admin')) return;
  if (name === null) {
    throw new AppError('UNAUTHENTICATED', `This operation needs a bearer token with scope '${scope}'.`);
  }
  throw new AppError('FORBIDDEN', `Token '${name}' lacks scope '${scope}'.`);
}

/**
 * Throws `FORBIDDEN` about `field` unless the caller may act for `clientId`: a token bound to clients
 * (`clients=` in its entry) only for the ids its patterns match, any other caller for every client.
 */
export function requireClient(ctx: Pick<Context, 'principal'>, clientId: string, field: string): void {
  const { name, clients, clientPatterns } = ctx.principal;
  if (!clients || clients(clientId)) return;
  throw new AppError(
    'FORBIDDEN',
    `${field}: token '${name}' may not act for client ${JSON.stringify(clientId)}; it is bound to ${clientPatterns?.join('|')}`,
    { field },
  );
}
