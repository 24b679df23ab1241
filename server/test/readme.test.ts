import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { metricNames } from '@metrics-collector/common/catalogue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hasBinary, influxdBinary, type RealServer, startInfluxd } from '../../testing/real-servers.js';
import { graphql, startTestServer, type TestServer } from './helpers.js';
import { collect, wsClient } from './ws-helpers.js';

const run = promisify(execFile);
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** A markdown file's fenced code blocks, in order. */
function codeBlocks(markdown: string): { lang: string; code: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1] as string,
    code: m[2] as string,
  }));
}

/** The README's blocks; the GraphQL examples go on in docs/graphql.md, the token example is in docs/security.md. */
const blocks = codeBlocks(read('README.md'));
const graphqlDocBlocks = codeBlocks(read('docs/graphql.md'));
const securityBlocks = codeBlocks(read('docs/security.md'));

function shBlock(
  test: (code: string) => boolean,
  what: string,
  from: { name: string; blocks: { lang: string; code: string }[] } = { name: 'README.md', blocks },
): string {
  const found = from.blocks.filter((b) => b.lang === 'sh' && test(b.code));
  if (found.length !== 1)
    throw new Error(`expected one sh block in ${from.name} with ${what}, found ${found.length}`);
  return (found[0] as { code: string }).code;
}

const originalPost = shBlock((c) => c.includes('--request POST'), 'the original POST');
const originalGet = shBlock((c) => c.includes('--request GET'), 'the original GET');
const queryStringGet = shBlock((c) => c.includes('/byUser/') && c.includes('?start='), 'query parameters');
const graphqlCurl = shBlock((c) => c.includes('/graphql') && !c.includes('Authorization'), 'a GraphQL curl');
const security = { name: 'docs/security.md', blocks: securityBlocks };
const tokenStart = shBlock((c) => c.includes('API_TOKENS='), 'API_TOKENS', security);
const tokenCurl = shBlock((c) => c.includes('Authorization: Bearer'), 'a bearer token', security);

const ORIGINAL_ANSWER = '{"entries":[{"date":"2018-07-12T13:30:00.000Z","value":0.2148631642976225}]}';

describe('the commands the docs run', () => {
  it("runs every sh block of README.md (but the quick start's npm install and npm start)", () => {
    const ran = [originalPost, originalGet, queryStringGet, graphqlCurl];
    const others = blocks.filter((b) => b.lang === 'sh' && !ran.includes(b.code)).map((b) => b.code);
    expect(others).toEqual(['npm install\nnpm start\n']);
  });

  it('runs every sh block of docs/security.md', () => {
    const others = securityBlocks.filter((b) => b.lang === 'sh' && ![tokenStart, tokenCurl].includes(b.code));
    expect(others).toEqual([]);
  });

  it('runs every GraphQL example of docs/graphql.md (no other kind of command there)', () => {
    expect(
      graphqlDocBlocks.map((b) => b.lang).filter((lang) => !['graphql', 'json', 'ts'].includes(lang)),
    ).toEqual([]);
  });
});

/** Runs a README command with bash and the real curl, pointed at `url` instead of port 8888. */
async function sh(command: string, url: string, extra = ''): Promise<string> {
  const host = new URL(url).host;
  const script = `${command.trimEnd().replaceAll('localhost:8888', host).replaceAll('127.0.0.1:8888', host)} --silent --show-error ${extra}`;
  const { stdout } = await run('bash', ['-c', script], { timeout: 15_000 });
  return stdout;
}

const post = (command: string, url: string) => sh(command, url, "--write-out '%{http_code}'");

/** The README's commands and examples give the same answers on both stores. */
let influxd: RealServer | undefined;
let databases = 0;
const stores = [
  { store: 'the embedded store', available: true, env: (): Record<string, string> => ({}) },
  {
    store: 'InfluxDB (STORE=influxdb)',
    available: hasBinary(influxdBinary),
    env: (): Record<string, string> => ({
      STORE: 'influxdb',
      INFLUX_API: 'v1',
      INFLUX_URL: (influxd as RealServer).url,
      INFLUX_DATABASE: `readme${process.pid}_${++databases}`,
    }),
  },
];
beforeAll(async () => {
  if (stores[1]?.available) influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.stop();
});

describe.each(stores)(
  "README: the original service's commands, run with curl, on $store",
  ({ available, env }) => {
    let srv: TestServer;
    beforeAll(async () => {
      if (available) srv = await startTestServer({ env: env() });
    });
    beforeEach(({ skip }) => {
      if (!available) skip();
    });
    afterAll(() => srv?.stop());

    it('quotes the original commands and their answer', () => {
      expect(originalPost).toContain('http://localhost:8888/api/v1/metrics');
      expect(originalPost).toContain('--header "Content-Type: application/json"');
      expect(originalGet).toContain(
        'http://localhost:8888/api/v1/metrics/cpuLoadAvg/byUser/6a:d6:96:d3:45:35',
      );
      const answer = blocks[blocks.findIndex((b) => b.code === originalGet) + 1];
      expect(answer).toEqual({ lang: 'text', code: `${ORIGINAL_ANSWER}\n` });
    });

    it('POST answers 200 with an empty body', async () => {
      expect(await post(originalPost, srv.url)).toBe('200');
    });

    it('GET prints exactly the README answer', async () => {
      expect(await sh(originalGet, srv.url)).toBe(ORIGINAL_ANSWER);
    });

    it('GET with query parameters and epoch milliseconds prints the same', async () => {
      expect(await sh(queryStringGet, srv.url)).toBe(ORIGINAL_ANSWER);
    });

    it("a second user's report does not show up in the first user's GET", async () => {
      const second = originalPost
        .replace('"user_id": "6a:d6:96:d3:45:35"', '"user_id": "second-user"')
        .replace('"avg_utilization": 0.2148631642976225', '"avg_utilization": 0.9');
      expect(second).not.toBe(originalPost);
      expect(await post(second, srv.url)).toBe('200');
      expect(await sh(originalGet, srv.url)).toBe(ORIGINAL_ANSWER);
      const secondGet = originalGet.replace('/byUser/6a:d6:96:d3:45:35', '/byUser/second-user');
      expect(JSON.parse(await sh(secondGet, srv.url))).toEqual({
        entries: [{ date: '2018-07-12T13:30:00.000Z', value: 0.9 }],
      });
    });
  },
);

/**
 * A ```graphql block is followed by ```json blocks: its variables first when the operation declares any,
 * then the expected answer, when shown.
 */
function graphqlExamples(from: { lang: string; code: string }[]) {
  const examples: { query: string; variables?: Record<string, unknown>; answer?: unknown }[] = [];
  from.forEach((block, index) => {
    if (block.lang !== 'graphql') return;
    const json: unknown[] = [];
    for (let next = from[index + 1]; next?.lang === 'json'; next = from[index + 1 + json.length]) {
      json.push(JSON.parse(next.code));
    }
    const variables = /^\s*(query|mutation)\s+\w*\s*\(\s*\$/.test(block.code)
      ? (json.shift() as Record<string, unknown>)
      : undefined;
    examples.push({ query: block.code, variables, answer: json[0] });
  });
  return examples;
}

/** Rounds every number to 12 significant digits, so answers compare without depending on the last bit. */
function rounded(value: unknown): unknown {
  if (typeof value === 'number') return Number(value.toPrecision(12));
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  }
  return value;
}

describe.each(stores)(
  'README and docs/graphql.md: the GraphQL examples, in order, after the original POST, on $store',
  ({ available, env }) => {
    let srv: TestServer;
    beforeAll(async () => {
      if (!available) return;
      srv = await startTestServer({ env: env() });
      expect(await post(originalPost, srv.url)).toBe('200');
    });
    beforeEach(({ skip }) => {
      if (!available) skip();
    });
    afterAll(() => srv?.stop());

    const inReadme = graphqlExamples(blocks);
    const all = [...inReadme, ...graphqlExamples(graphqlDocBlocks)];
    const subscriptions = all.filter((e) => /^\s*subscription\b/.test(e.query));
    const examples = all.filter((e) => !subscriptions.includes(e));

    it('has the examples the README and docs/graphql.md promise', () => {
      const readmeText = inReadme.map((e) => e.query).join('\n');
      expect(readmeText).toContain('reportMetrics');
      expect(readmeText).toContain('metricHistory');
      expect(inReadme[0]?.variables).toBeDefined();
      const text = examples.map((e) => e.query).join('\n');
      for (const field of ['resample', 'aggregate', 'fill', 'core', 'clients', 'fleetSummary']) {
        expect(text).toContain(field);
      }
      expect(text).toMatch(/\{\s*metrics\s*\{/);
      expect(text).toContain('setSamplingInterval');
      expect(text).toContain('createAlertRule');
      expect(subscriptions.map((e) => e.query).join('\n')).toContain('metricReported');
    });

    it('each subscription example, over graphql-ws, receives the next report', async () => {
      for (const example of subscriptions) {
        const client = wsClient(srv.url);
        const events = collect(client, example.query);
        // Re-send the original report (idempotent) until the subscription, once registered, sees it.
        while (events.events.length === 0 && events.errors.length === 0) {
          expect(await post(originalPost, srv.url)).toBe('200');
          await Promise.race([events.until(1), new Promise((resolve) => setTimeout(resolve, 50))]);
        }
        expect(events.errors).toEqual([]);
        expect(events.events[0]).toMatchObject({ metricReported: { clientId: '6a:d6:96:d3:45:35' } });
        events.close();
        await client.dispose();
      }
    });

    it('runs each example without errors, answering as shown', async () => {
      for (const example of examples) {
        const { status, body } = await graphql(srv.url, example.query, example.variables);
        expect({ query: example.query, errors: body.errors, status }).toEqual({
          query: example.query,
          errors: undefined,
          status: 200,
        });
        if (example.answer !== undefined) expect(rounded(body)).toEqual(rounded(example.answer));
      }
    });

    it('the GraphQL curl command lists the catalogue', async () => {
      const answer = JSON.parse(await sh(graphqlCurl, srv.url));
      expect(answer.errors).toBeUndefined();
      expect(answer.data.metrics.map((m: { metric: string }) => m.metric)).toEqual(metricNames);
    });
  },
);

describe('docs/security.md: the token example', () => {
  const tokens = /API_TOKENS='([^']+)'/.exec(tokenStart)?.[1];
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { API_TOKENS: tokens ?? '' } });
  });
  afterAll(() => srv?.stop());

  it('configures tokens, and the curl with the read token queries clients', async () => {
    expect(tokens).toBeDefined();
    expect(srv.app.server.listening).toBe(true);
    const answer = JSON.parse(await sh(tokenCurl, srv.url));
    expect(answer).toEqual({ data: { clients: [] } });
  });

  it('the same query without the token answers UNAUTHENTICATED', async () => {
    const withoutToken = tokenCurl.replace(/\s*--header "Authorization: Bearer [^"]*" \\\n/, '\n');
    expect(withoutToken).not.toContain('Authorization');
    const answer = JSON.parse(await sh(withoutToken, srv.url));
    expect(answer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
