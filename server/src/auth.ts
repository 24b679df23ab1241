import { createHash, timingSafeEqual } from 'node:crypto';
import { type Principal, type Scope, scopes } from '@metrics-collector/schema/auth';
import { AppError } from '@metrics-collector/schema/errors';

/** A configured API token. Only a hash of the secret is kept. */
export interface ApiToken {
  name: string;
  scopes: ReadonlySet<Scope>;
  secretHash: Buffer;
  /** The `clients=` patterns the token is bound to, or `null` when it may act for every client. */
  clients: readonly string[] | null;
}

const MIN_SECRET_LENGTH = 16;
/** The longest `clients=` pattern: as long as the longest client id. */
const MAX_PATTERN_LENGTH = 256;
const ENTRY_FORM = 'name:scope1+scope2:secret [clients=pattern1|pattern2]';

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
 *
 * An entry may end with whitespace and `clients=pattern1|pattern2`: the token then acts only for the
 * client ids one of the patterns matches (`*` matches any run of characters, everything else itself).
 * The binding follows the secret, not a colon, because client ids are often MAC addresses.
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
      // Options start at the first whitespace followed by a `key=` word; a secret has no whitespace.
      const optionsAt = entry.search(/\s+[^\s=]*=/);
      const credential = optionsAt === -1 ? entry : entry.slice(0, optionsAt);
      const [name, scopeList, ...rest] = credential.split(':');
      const secret = rest.join(':');
      const where = `${source}: entry ${index + 1} (${name || '?'})`;
      if (!name || !scopeList || !secret) {
        problems.push(`${where} is not of the form ${ENTRY_FORM}`);
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
      let clients: string[] | null = null;
      if (/\s/.test(secret)) {
        entryProblems.push('has whitespace in its secret, which a bearer token cannot carry');
      } else if (optionsAt !== -1) {
        const options = parseOptions(entry.slice(optionsAt).trim().split(/\s+/));
        clients = options.clients;
        entryProblems.push(...options.problems);
      }
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
      tokens.push({ name, scopes: new Set(granted as Scope[]), secretHash: hash, clients });
    }
  }
  return { tokens, problems };
}

/**
 * Reads the words after an entry's secret; `clients=` is the only option. An unknown word is not quoted in
 * the problem: it may be part of a secret mistakenly written with whitespace.
 */
function parseOptions(words: readonly string[]): { clients: string[] | null; problems: string[] } {
  const problems = new Set<string>();
  let clients: string[] | null = null;
  for (const word of words) {
    if (!word.startsWith('clients=')) {
      problems.add('has an unknown option after its secret; the only option is clients=');
    } else if (clients) {
      problems.add('has more than one clients= option; list every pattern in one, separated by |');
    } else {
      clients = word.slice('clients='.length).split('|');
      if (clients.some((pattern) => pattern === '')) problems.add('has an empty client pattern');
      if (clients.some((pattern) => pattern.length > MAX_PATTERN_LENGTH)) {
        problems.add(`has a client pattern longer than ${MAX_PATTERN_LENGTH} characters`);
      }
    }
  }
  return { clients, problems: [...problems] };
}

/** `checkTokens` for one source; throws an error listing every problem, one per line. */
export function parseTokens(text: string, source: string): ApiToken[] {
  const { tokens, problems } = checkTokens([{ source, text }]);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return tokens;
}

const everyScope: Principal = { name: null, scopes: new Set(scopes), clients: null, clientPatterns: null };
/** A caller without a token while auth is on: no scope, bound to no client. */
export const anonymous: Principal = { name: null, scopes: new Set(), clients: null, clientPatterns: null };

/**
 * Returns who sent `authorization`: with auth off, an anonymous caller holding every scope; with auth
 * on, the token's principal (bound to the token's `clients=` patterns, if any), or an anonymous caller
 * without scopes when no header came. A header that is not a known bearer token throws
 * `UNAUTHENTICATED`. Secrets are compared in constant time.
 */
export function createAuthenticator(tokens: readonly ApiToken[], enabled: boolean) {
  const principals = tokens.map((token): [ApiToken, Principal] => [
    token,
    {
      name: token.name,
      scopes: token.scopes,
      clients: token.clients && clientMatcher(token.clients),
      clientPatterns: token.clients,
    },
  ]);
  return function authenticate(authorization: string | undefined): Principal {
    if (!enabled) return everyScope;
    if (authorization === undefined || authorization === '') return anonymous;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) {
      const presented = sha256(match[1]);
      let found: Principal | undefined;
      for (const [token, principal] of principals) {
        if (timingSafeEqual(presented, token.secretHash)) found = principal;
      }
      if (found) return found;
    }
    throw new AppError('UNAUTHENTICATED', 'The Authorization header does not carry a valid bearer token.');
  };
}

/** Whether a client id matches one of `patterns` as a whole. */
function clientMatcher(patterns: readonly string[]): (clientId: string) => boolean {
  return (clientId) => patterns.some((pattern) => globMatches(pattern, clientId));
}

/**
 * `*` matches any run of characters (possibly none), every other character itself. Backtracks only to
 * the last `*`, so a match takes at most pattern × text steps, whatever the id a caller sends.
 */
function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.length && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (star !== -1) {
      // Let the last `*` take one more character and retry what follows it.
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
