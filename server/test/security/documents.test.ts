import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { graphql, startTestApp, type TestApp } from '../helpers.js';
import { inParallel, postGraphQL, probeHealth, type ServerProcess, startServerProcess } from './harness.js';

/**
 * Documents made to cost the server memory or time, sent without a token: each is refused having cost
 * no more than reading it (`useQueryLimits`: tokens counted while parsing, the limit rules before
 * graphql-js's own, only validated documents cached).
 */
const MiB = 1_048_576;
const SPEC = { accept: 'application/graphql-response+json' };

/** About 1 MiB of GraphQL, different for every `i`, of one of several shapes. */
function hugeDocument(i: number): string {
  const size = MiB - 200;
  const fill = (unit: string) => unit.repeat(Math.floor(size / unit.length));
  /** Parts `part(k)` for k = 0, 1, ... joined by spaces until the document is about `size` long. */
  const many = (part: (k: number) => string) => {
    const parts: string[] = [];
    let length = 0;
    for (let k = 0; length < size - 64; k += 1) {
      const text = part(k);
      parts.push(text);
      length += text.length + 1;
    }
    return parts.join(' ');
  };
  switch (i % 5) {
    case 0: // one field repeated ~500,000 times
      return `{ x${i} ${fill('a ')}}`.slice(0, size);
    case 1: // fields with distinct names
      return `{ ${many((k) => `f${i}_${k}`)} }`;
    case 2: // aliases of a real field
      return `{ ${many((k) => `a${i}_${k}: __typename`)} }`;
    case 3: // one fragment spread over and over
      return `{ ...F${i} ${fill('...F ')} } fragment F on Query { __typename } fragment F${i} on Query { __typename }`;
    default: // nested lists, as deep as 1 MiB allows
      return `{ a(x: ${'['.repeat(size / 2 - 100)}${i}${']'.repeat(size / 2 - 100)}) }`;
  }
}

describe('1 MiB documents without a token (a separate server process)', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('refuses 50 distinct ones, keeps RSS under idle + 200 MB and answers /health throughout', async () => {
    // Warm: the paths every document takes are loaded, and a real report and query ran.
    for (let i = 0; i < 20; i += 1) {
      await postGraphQL(
        server.url,
        JSON.stringify({
          query: REPORT_MUTATION,
          variables: { input: reportInput({ clientId: `warm-${i}` }) },
        }),
      );
      await postGraphQL(server.url, JSON.stringify({ query: `{ x${i}: __typename }` }));
    }
    const idle = server.rss();
    const probe = probeHealth(server.url);
    let peak = idle;
    const answers = await inParallel(
      4,
      Array.from({ length: 50 }, (_, i) => async () => {
        const body = JSON.stringify({ query: hugeDocument(i) });
        expect(body.length).toBeGreaterThan(0.9 * MiB);
        expect(body.length).toBeLessThanOrEqual(MiB);
        const answer = await postGraphQL(server.url, body, SPEC);
        peak = Math.max(peak, server.rss());
        return answer;
      }),
    );
    const statuses = await probe.stop();
    for (const [i, answer] of answers.entries()) {
      expect(answer.status, `document ${i}`).toBe(400);
      expect(['QUERY_TOO_COMPLEX', 'QUERY_TOO_DEEP'], `document ${i}`).toContain(
        answer.json?.errors?.[0]?.extensions?.code,
      );
    }
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(peak - idle, `idle ${idle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB`).toBeLessThan(200);
    expect(server.rss() - idle).toBeLessThan(200);
    // Still serving real work.
    const after = await postGraphQL(
      server.url,
      JSON.stringify({ query: REPORT_MUTATION, variables: { input: reportInput({ clientId: 'after' }) } }),
    );
    expect(after.json?.errors).toBeUndefined();
  }, 180_000);
});

// In-process: the budget is the GraphQL layer's, whatever the transport.
describe('the query budget', () => {
  let open: TestApp;
  let authed: TestApp;
  const reader = 'reader-secret-0123456789';
  beforeAll(async () => {
    open = await startTestApp();
    authed = await startTestApp({ env: { API_TOKENS: `reader:read:${reader}` } });
  });
  afterAll(async () => {
    await open.stop();
    await authed.stop();
  });

  const code = (answer: { body: { errors?: any[] } }) => answer.body.errors?.[0]?.extensions?.code;
  const message = (answer: { body: { errors?: any[] } }) => answer.body.errors?.[0]?.message as string;
  /** `n` fields in 3n + 2 tokens (aliases of `__typename`, which the alias limit does not count). */
  const fields = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;
  /** `n` fragments spread once each: 9n + 2 tokens, n fields, no alias. */
  const spreads = (n: number) =>
    `{ ${Array.from({ length: n }, (_, i) => `...F${i}`).join(' ')} } ${Array.from(
      { length: n },
      (_, i) => `fragment F${i} on Query { __typename }`,
    ).join(' ')}`;

  it('stops parsing at 5,000 tokens and says so', async () => {
    // 5,000 tokens parse (and are refused for their 1,666 fields); 5,003 do not.
    expect(message(await graphql(open.url, fields(1_666), undefined, SPEC))).toMatch(
      /more than the 1000 fields/,
    );
    const over = await graphql(open.url, fields(1_667), undefined, SPEC);
    expect(over.status).toBe(400);
    expect(over.body.errors?.[0]).toMatchObject({
      message: 'query: has more than the 5000 tokens allowed in one document',
      extensions: { code: 'QUERY_TOO_COMPLEX', field: 'query' },
    });
  });

  it('gives a caller without a valid token 1,000 tokens and 10 aliases while auth is on', async () => {
    const bearer = { ...SPEC, authorization: `Bearer ${reader}` };
    const tokens = spreads(120); // 1,082 tokens
    expect((await graphql(authed.url, tokens, undefined, bearer)).body.errors).toBeUndefined();
    const anonymous = await graphql(authed.url, tokens, undefined, SPEC);
    expect(anonymous.body.errors?.[0]?.message).toMatch(/more than the 1000 tokens/);
    expect((await graphql(authed.url, spreads(110), undefined, SPEC)).body.errors).toBeUndefined();
    const aliases = `{ ${Array.from({ length: 11 }, (_, i) => `m${i}: metrics { unit }`).join(' ')} }`;
    expect((await graphql(authed.url, aliases, undefined, bearer)).body.errors).toBeUndefined();
    expect((await graphql(authed.url, aliases, undefined, SPEC)).body.errors?.[0]?.message).toMatch(
      /more than the 10 aliases/,
    );
    // With auth off every caller has the full budget.
    expect((await graphql(open.url, tokens, undefined, SPEC)).body.errors).toBeUndefined();
  });

  it('allows 50 aliases and 50 directives, refuses 51 of either', async () => {
    const aliased = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `m${i}: metrics { unit }`).join(' ')} }`;
    const directed = (n: number) => `{ ${'metrics @include(if: true) { unit } '.repeat(n)}}`;
    expect((await graphql(open.url, aliased(50), undefined, SPEC)).body.errors).toBeUndefined();
    expect((await graphql(open.url, directed(50), undefined, SPEC)).body.errors).toBeUndefined();
    const aliases = await graphql(open.url, aliased(51), undefined, SPEC);
    expect(aliases.status).toBe(400);
    expect(aliases.body.errors?.[0]).toMatchObject({
      message: 'query: has more than the 50 aliases allowed',
      extensions: { code: 'QUERY_TOO_COMPLEX', field: 'query' },
    });
    const directives = await graphql(open.url, directed(51), undefined, SPEC);
    expect(directives.body.errors?.[0]).toMatchObject({
      message: 'query: has more than the 50 directives allowed',
      extensions: { code: 'QUERY_TOO_COMPLEX' },
    });
  });

  it('answers a document too deep for the parser with QUERY_TOO_DEEP, and keeps serving', async () => {
    for (const query of [
      `{ a(x: ${'['.repeat(4_900)}1${']'.repeat(4_900)}) }`,
      `{${'a{'.repeat(2_490)}b${'}'.repeat(2_491)}`,
    ]) {
      const answer = await graphql(open.url, query, undefined, SPEC);
      expect(answer.status).toBe(400);
      expect(code(answer)).toBe('QUERY_TOO_DEEP');
    }
    expect((await graphql(open.url, '{ __typename }')).body.data).toEqual({ __typename: 'Query' });
  });

  it('refuses a document over a limit every time it is sent: a refusal is not cached as a pass', async () => {
    const query = fields(1_001);
    for (let i = 0; i < 3; i += 1) {
      const answer = await graphql(open.url, query, undefined, SPEC);
      expect(answer.body.errors?.[0]?.message).toMatch(/more than the 1000 fields/);
    }
    // And a document that passed once is served again (from the cache) with the same answer.
    for (let i = 0; i < 3; i += 1) {
      expect((await graphql(open.url, fields(1_000))).body.errors).toBeUndefined();
    }
  });

  it('checks the budget of the caller, not of the document: a token holder and an anonymous caller sending the same document', async () => {
    const bearer = { ...SPEC, authorization: `Bearer ${reader}` };
    // Cached for the token holder, it is still refused to the anonymous caller, and the other way round.
    const mid = fields(310); // 932 tokens, 310 fields: within 1,000 tokens, over 300 fields
    expect((await graphql(authed.url, mid, undefined, bearer)).body.errors).toBeUndefined();
    expect(message(await graphql(authed.url, mid, undefined, SPEC))).toMatch(/more than the 300 fields/);
    expect((await graphql(authed.url, mid, undefined, bearer)).body.errors).toBeUndefined();
    const other = fields(305);
    expect(code(await graphql(authed.url, other, undefined, SPEC))).toBe('QUERY_TOO_COMPLEX');
    expect((await graphql(authed.url, other, undefined, bearer)).body.errors).toBeUndefined();
  });
});
