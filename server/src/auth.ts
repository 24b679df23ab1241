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

/** Where token entries come from: `API_TOKENS`, or the path of `API_TOKENS_FILE`. */
export interface TokenSource {
  source: string;
  text: string;
}

/**
 * Parses `name:scope1+scope2:secret` entries, separated by commas or new lines (`#` starts a comment),
 * from every source. Returns the valid tokens and one problem per bad entry, each naming its source and
 * entry, so that a start reports every problem at once. A name or a secret used twice, in one source
 * or across sources, is a problem: a secret must identify one token.
 */
export function checkTokens(sources: readonly TokenSource[]): { tokens: ApiToken[]; problems: string[] } {
  const tokens: ApiToken[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const seenSecrets = new Map<string, string>();
  for (const { source, text } of sources) {
    const entries = text
      .split(/[,\n]/)
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter(Boolean);
    for (const [index, entry] of entries.entries()) {
      const [name, scopeList, ...rest] = entry.split(':');
      const secret = rest.join(':');
      const where = `${source}: entry ${index + 1} (${name || '?'})`;
      if (!name || !scopeList || !secret) {
        problems.push(`${where} is not of the form name:scope1+scope2:secret`);
        continue;
      }
      const granted = scopeList.split('+');
      const unknown = granted.filter((s) => !(scopes as readonly string[]).includes(s));
      const entryProblems: string[] = [];
      if (unknown.length > 0) {
        entryProblems.push(
          `has unknown scope ${unknown.map((u) => JSON.stringify(u)).join(', ')}; scopes are ${scopes.join(', ')}`,
        );
      }
      if (secret.length < MIN_SECRET_LENGTH) {
        entryProblems.push(`has a secret shorter than ${MIN_SECRET_LENGTH} characters`);
      }
      if (/\s/.test(secret))
        entryProblems.push('has whitespace in its secret, which a bearer token cannot carry');
      const namedBefore = seen.get(name);
      if (namedBefore) entryProblems.push(`repeats the token name of ${namedBefore}`);
      const hash = sha256(secret);
      const secretBefore = seenSecrets.get(hash.toString('hex'));
      if (secretBefore) entryProblems.push(`repeats the secret of ${secretBefore}`);
      seen.set(name, namedBefore ?? where);
      seenSecrets.set(hash.toString('hex'), secretBefore ?? where);
      if (entryProblems.length > 0) {
        problems.push(`${where} ${entryProblems.join('; ')}`);
        continue;
      }
      tokens.push({ name, scopes: new Set(granted as Scope[]), secretHash: hash });
    }
  }
  return { tokens, problems };
}

/** `checkTokens` for one source; throws an error listing every problem, one per line. */
export function parseTokens(text: string, source: string): ApiToken[] {
  const { tokens, problems } = checkTokens([{ source, text }]);
  if (problems.length > 0) throw new Error(problems.join('\n'));
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
