import { createHash, timingSafeEqual } from 'node:crypto';
import { type Principal, type Scope, scopes } from '@metrics-collector/schema/context';
import { AppError } from '@metrics-collector/schema/errors';

/** A configured API token. Only a hash of the secret is kept. */
export interface ApiToken {
  name: string;
  scopes: ReadonlySet<Scope>;
  secretHash: Buffer;
}

const MIN_SECRET_LENGTH = 16;

/**
 * Parses `name:scope1+scope2:secret` entries, separated by commas or new lines (`#` starts a comment).
 * Throws an error naming `source` and the entry at fault.
 */
export function parseTokens(text: string, source: string): ApiToken[] {
  const tokens: ApiToken[] = [];
  const entries = text
    .split(/[,\n]/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
  for (const [index, entry] of entries.entries()) {
    const [name, scopeList, ...rest] = entry.split(':');
    const secret = rest.join(':');
    const where = `${source}: entry ${index + 1} (${name || '?'})`;
    if (!name || !scopeList || !secret)
      throw new Error(`${where} is not of the form name:scope1+scope2:secret`);
    const granted = scopeList.split('+');
    const unknown = granted.filter((s) => !(scopes as readonly string[]).includes(s));
    if (unknown.length > 0) {
      throw new Error(`${where} has unknown scope ${unknown.join(', ')}; scopes are ${scopes.join(', ')}`);
    }
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`${where} has a secret shorter than ${MIN_SECRET_LENGTH} characters`);
    }
    if (tokens.some((t) => t.name === name)) throw new Error(`${where} repeats the token name ${name}`);
    tokens.push({ name, scopes: new Set(granted as Scope[]), secretHash: sha256(secret) });
  }
  return tokens;
}

const everyScope: Principal = { name: null, scopes: new Set(scopes) };
const anonymous: Principal = { name: null, scopes: new Set() };

/**
 * Returns who sent `authorization`: with auth off, an anonymous caller holding every scope; with auth
 * on, the token's principal, or an anonymous caller without scopes when no header came. A header that
 * is not a known bearer token throws `UNAUTHENTICATED`. Secrets are compared in constant time.
 */
export function createAuthenticator(tokens: readonly ApiToken[], enabled: boolean) {
  return function authenticate(authorization: string | undefined): Principal {
    if (!enabled) return everyScope;
    if (authorization === undefined || authorization === '') return anonymous;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) {
      const presented = sha256(match[1]);
      let found: ApiToken | undefined;
      for (const token of tokens) {
        if (timingSafeEqual(presented, token.secretHash)) found = token;
      }
      if (found) return { name: found.name, scopes: found.scopes };
    }
    throw new AppError('UNAUTHENTICATED', 'The Authorization header does not carry a valid bearer token.');
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
