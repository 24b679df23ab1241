import { AppError } from './errors.js';

export const scopes = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof scopes)[number];

/** Who is calling. With auth off every scope is granted. */
export interface Principal {
  /** Token name, or `null` for an anonymous caller. */
  name: string | null;
  scopes: ReadonlySet<Scope>;
  /**
   * Whether the caller may act for a client: report as it, take and acknowledge its commands (reads are
   * not restricted). `null` for a caller not bound to clients, who may act for every client.
   */
  clients: ((clientId: string) => boolean) | null;
  /** The patterns `clients` matches (`rack12-*`), for messages; `null` when unbound. */
  clientPatterns: readonly string[] | null;
}

/**
 * Throws unless the caller holds `scope` (`admin` holds every scope): `UNAUTHENTICATED` for an anonymous
 * caller, `FORBIDDEN` for a token without it.
 */
export function requireScope(ctx: { principal: Principal }, scope: Scope): void {
  const { name, scopes: held } = ctx.principal;
  if (held.has(scope) || held.has('admin')) return;
  if (name === null) {
    throw new AppError('UNAUTHENTICATED', `This operation needs a bearer token with scope '${scope}'.`);
  }
  throw new AppError('FORBIDDEN', `Token '${name}' lacks scope '${scope}'.`);
}

/**
 * Throws `FORBIDDEN` about `field` unless the caller may act for `clientId`: a token bound to clients
 * (`clients=` in its entry) only for the ids its patterns match, any other caller for every client.
 */
export function requireClient(ctx: { principal: Principal }, clientId: string, field: string): void {
  const { name, clients, clientPatterns } = ctx.principal;
  if (!clients || clients(clientId)) return;
  throw new AppError(
    'FORBIDDEN',
    `${field}: token '${name}' may not act for client ${JSON.stringify(clientId)}; it is bound to ${clientPatterns?.join('|')}`,
    { field },
  );
}
