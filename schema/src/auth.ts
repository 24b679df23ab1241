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
