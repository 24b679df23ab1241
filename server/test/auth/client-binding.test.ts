import { describe, expect, it } from 'vitest';
import { checkTokens, createAuthenticator } from '../../src/auth.js';
import { problems, SECRETS } from './cases.js';

describe('tokens bound to client ids (clients=)', () => {
  const RACK = 'rack12-secret-0123456789';
  const tokensOf = (text: string) => checkTokens([{ source: 'API_TOKENS', text }]);

  it('reads the patterns after the secret; an entry without them is unbound', () => {
    const { tokens, problems } = tokensOf(
      `rack12:ingest:${RACK} clients=rack12-*|02:fc:*\nagent:ingest:${SECRETS.agent}\n` +
        `tabs:ingest+read:${SECRETS.viewer}\tclients=a # comment\n`,
    );
    expect(problems).toEqual([]);
    expect(tokens.map((t) => [t.name, [...t.scopes], t.clients])).toEqual([
      ['rack12', ['ingest'], ['rack12-*', '02:fc:*']],
      ['agent', ['ingest'], null],
      ['tabs', ['ingest', 'read'], ['a']],
    ]);
    // The secret ends at the whitespace: the pattern is not part of it.
    const authenticate = createAuthenticator(tokens, true);
    expect(authenticate(`Bearer ${RACK}`)).toMatchObject({
      name: 'rack12',
      clientPatterns: ['rack12-*', '02:fc:*'],
    });
  });

  it('matches whole ids, * as any run of characters (none too), everything else literally', () => {
    const { tokens } = tokensOf(`rack12:ingest:${RACK} clients=rack12-*|02:fc:*|a.b?[c]|*-x-*`);
    const matches = createAuthenticator(tokens, true)(`Bearer ${RACK}`).clients as (id: string) => boolean;
    const allowed = ['rack12-a', 'rack12-', '02:fc:7a:11:00:01', 'a.b?[c]', '-x-', 'p-x-q-x-r'];
    const refused = ['rack13-a', 'xrack12-a', 'RACK12-a', '02:fc', '02:FC:7a', 'aab?[c]', 'a.b?c', 'p-x', ''];
    expect(allowed.filter(matches)).toEqual(allowed);
    expect(refused.filter(matches)).toEqual([]);
    // No backtracking blow-up: a long id against a pattern of many stars answers at once.
    const { tokens: stars } = tokensOf(`s:ingest:${RACK} clients=${'*a'.repeat(100)}b`);
    const many = createAuthenticator(stars, true)(`Bearer ${RACK}`).clients as (id: string) => boolean;
    expect(many('a'.repeat(256))).toBe(false);
    expect(many(`${'a'.repeat(99)}b`)).toBe(false);
    expect(many(`${'a'.repeat(255)}b`)).toBe(true);
  });

  it('leaves anonymous callers, auth-off callers and unbound tokens unbound', () => {
    const { tokens } = tokensOf(`agent:ingest:${SECRETS.agent}`);
    const on = createAuthenticator(tokens, true);
    expect(on(undefined)).toMatchObject({ clients: null, clientPatterns: null });
    expect(on(`Bearer ${SECRETS.agent}`)).toMatchObject({ clients: null, clientPatterns: null });
    expect(createAuthenticator(tokens, false)(undefined)).toMatchObject({
      clients: null,
      clientPatterns: null,
    });
  });

  it.each([
    ['an empty binding', `rack12:ingest:${RACK} clients=`, 'has an empty client pattern'],
    ['an empty pattern between two', `rack12:ingest:${RACK} clients=a||b`, 'has an empty client pattern'],
    ['a trailing |', `rack12:ingest:${RACK} clients=a|`, 'has an empty client pattern'],
    [
      'an unknown option',
      `rack12:ingest:${RACK} client=rack12-*`,
      'has an unknown option after its secret; the only option is clients=',
    ],
    [
      'a word after the binding',
      `rack12:ingest:${RACK} clients=a extra`,
      'has an unknown option after its secret; the only option is clients=',
    ],
    [
      'two bindings',
      `rack12:ingest:${RACK} clients=a clients=b`,
      'has more than one clients= option; list every pattern in one, separated by |',
    ],
    [
      'a pattern longer than 256 characters',
      `rack12:ingest:${RACK} clients=a|${'x'.repeat(257)}`,
      'has a client pattern longer than 256 characters',
    ],
  ])('refuses %s, naming the entry', (_name, entry, problem) => {
    expect(problems({ API_TOKENS: entry })).toEqual([`API_TOKENS: entry 1 (rack12) ${problem}`]);
  });

  it('accepts a pattern of 256 characters', () => {
    const { tokens, problems: found } = tokensOf(`rack12:ingest:${RACK} clients=${'x'.repeat(256)}`);
    expect(found).toEqual([]);
    expect(tokens[0]?.clients).toEqual(['x'.repeat(256)]);
  });

  it('names every problem of one entry', () => {
    expect(problems({ API_TOKENS: `rack12:ingest:short clients=|a mode=x clients=b` })).toEqual([
      'API_TOKENS: entry 1 (rack12) has a secret shorter than 16 characters; has an empty client pattern; has an unknown option after its secret; the only option is clients=; has more than one clients= option; list every pattern in one, separated by |',
    ]);
  });

  it('does not quote the words after a secret, which may be part of a secret written with spaces', () => {
    const found = problems({ API_TOKENS: 'spaced:read:my-long-secret-0123 with=spaces 0123 clients=a' });
    expect(found).toEqual([
      'API_TOKENS: entry 1 (spaced) has an unknown option after its secret; the only option is clients=',
    ]);
  });
});
