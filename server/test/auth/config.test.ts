import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { API_TOKENS, problems, SECRETS } from './cases.js';

describe('configuration of auth (loadConfig)', () => {
  it.each(['0.0.0.0', '::', '192.168.1.10', 'metrics.example.com'])(
    'refuses HOST=%s without tokens, naming HOST',
    (host) => {
      expect(problems({ HOST: host })).toEqual([
        `HOST: ${host} is not a loopback address and no API token is configured; set API_TOKENS, or AUTH=off to serve without auth`,
      ]);
    },
  );

  it.each(['127.0.0.1', '127.0.0.53', 'localhost', '::1'])(
    'accepts loopback HOST=%s without tokens, auth off',
    (host) => {
      const config = loadConfig({ HOST: host });
      expect(config).toMatchObject({ host, authEnabled: false, tokens: [] });
    },
  );

  it('accepts a public HOST with AUTH=off, auth off', () => {
    expect(loadConfig({ HOST: '0.0.0.0', AUTH: 'off' })).toMatchObject({
      host: '0.0.0.0',
      authEnabled: false,
      tokens: [],
    });
  });

  it('accepts a public HOST with tokens, keeping only hashes of the secrets', () => {
    const config = loadConfig({ HOST: '0.0.0.0', API_TOKENS });
    expect(config.authEnabled).toBe(true);
    expect(config.tokens.map((t) => [t.name, [...t.scopes]])).toEqual([
      ['agent', ['ingest']],
      ['viewer', ['read']],
      ['root', ['admin']],
    ]);
    const dump = inspect(config, { depth: 10, showHidden: true });
    for (const secret of Object.values(SECRETS)) expect(dump).not.toContain(secret);
    for (const token of config.tokens) expect(token.secretHash).toHaveLength(32);
  });

  it('reads tokens from API_TOKENS_FILE, with comments and one entry per line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-auth-'));
    try {
      const file = join(dir, 'tokens');
      writeFileSync(
        file,
        `# agents\nagent:ingest:${SECRETS.agent}\n\nviewer:read+ingest:${SECRETS.viewer} # both\n`,
      );
      const config = loadConfig({ HOST: '0.0.0.0', API_TOKENS_FILE: file });
      expect(config.tokens.map((t) => [t.name, [...t.scopes]])).toEqual([
        ['agent', ['ingest']],
        ['viewer', ['read', 'ingest']],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses AUTH=on without tokens', () => {
    expect(problems({ AUTH: 'on' })).toEqual([
      'AUTH: is "on" but no token is configured in API_TOKENS or API_TOKENS_FILE',
    ]);
  });

  it.each([
    [
      'an unknown scope',
      'bad:write:secret-0123456789abcdef',
      /^API_TOKENS: entry 1 \(bad\) has unknown scope "write"/,
    ],
    [
      'an empty scope',
      'bad:read+:secret-0123456789abcdef',
      /^API_TOKENS: entry 1 \(bad\) has unknown scope ""/,
    ],
    [
      'a short secret',
      'short:read:tooshort',
      /^API_TOKENS: entry 1 \(short\) has a secret shorter than 16 characters/,
    ],
    [
      'a secret with a space',
      'spaced:read:secret with spaces 0123',
      /^API_TOKENS: entry 1 \(spaced\) has whitespace in its secret/,
    ],
    [
      'a duplicate name',
      `a:read:${SECRETS.viewer},a:ingest:${SECRETS.agent}`,
      /^API_TOKENS: entry 2 \(a\) repeats the token name of API_TOKENS: entry 1 \(a\)/,
    ],
    [
      'a duplicate secret',
      `a:read:${SECRETS.viewer},b:admin:${SECRETS.viewer}`,
      /^API_TOKENS: entry 2 \(b\) repeats the secret of API_TOKENS: entry 1 \(a\)/,
    ],
    [
      'a missing secret',
      'lonely:read',
      /^API_TOKENS: entry 1 \(lonely\) is not of the form name:scope1\+scope2:secret/,
    ],
    ['a missing name', `:read:${SECRETS.viewer}`, /^API_TOKENS: entry 1 \(\?\) is not of the form/],
  ])('refuses %s, naming the entry', (_name, tokens, message) => {
    const found = problems({ API_TOKENS: tokens });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('refuses a token name used in both API_TOKENS and API_TOKENS_FILE, naming both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-auth-'));
    try {
      const file = join(dir, 'tokens');
      writeFileSync(file, `agent:ingest:${SECRETS.root}\n`);
      expect(problems({ API_TOKENS: `agent:ingest:${SECRETS.agent}`, API_TOKENS_FILE: file })).toEqual([
        `${file}: entry 1 (agent) repeats the token name of API_TOKENS: entry 1 (agent)`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an API_TOKENS_FILE that cannot be read, naming it', () => {
    const found = problems({ API_TOKENS_FILE: '/nonexistent/tokens' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^API_TOKENS_FILE: cannot read \/nonexistent\/tokens/);
  });

  it('reports several problems at once: every bad entry and every bad variable', () => {
    const found = problems({
      PORT: 'eighty',
      HOST: '0.0.0.0',
      API_TOKENS: [
        `a:write:${SECRETS.agent}`,
        'b:read:short',
        `c:read:${SECRETS.viewer}`,
        `c:ingest:${SECRETS.root}`,
      ].join(','),
    });
    expect(found).toHaveLength(4);
    expect(found[0]).toMatch(/^PORT: /);
    expect(found.slice(1)).toEqual([
      expect.stringMatching(/^API_TOKENS: entry 1 \(a\) has unknown scope "write"/),
      expect.stringMatching(/^API_TOKENS: entry 2 \(b\) has a secret shorter/),
      expect.stringMatching(/^API_TOKENS: entry 4 \(c\) repeats the token name/),
    ]);
    // The configured-but-malformed tokens are the problem, not a missing token: no HOST complaint.
    expect(found.some((p) => p.startsWith('HOST'))).toBe(false);
    // One entry with several faults names them all.
    expect(problems({ API_TOKENS: 'x:write+root:short' })).toEqual([
      'API_TOKENS: entry 1 (x) has unknown scope "write", "root"; scopes are ingest, read, admin; has a secret shorter than 16 characters',
    ]);
  });

  it('lists every problem on its own line in the error message', () => {
    try {
      loadConfig({ HOST: '0.0.0.0', API_TOKENS: 'a:read:short-1,b:nope:short-2' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe(
        [
          'Invalid configuration:',
          '  - API_TOKENS: entry 1 (a) has a secret shorter than 16 characters',
          '  - API_TOKENS: entry 2 (b) has unknown scope "nope"; scopes are ingest, read, admin; has a secret shorter than 16 characters',
        ].join('\n'),
      );
    }
  });
});
