import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricStore } from '@metrics-collector/schema/metrics/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { listRows } from '../../src/graphql/query-cost.js';
import { createSqliteMetricStore } from '../../src/metrics/sqlite/store.js';
import { graphql, startTestServer, type TestServer } from '../helpers.js';
import { collect, wsClient } from '../ws-helpers.js';
import { probeHealth } from './harness.js';

/**
 * What an operation may make the server return is priced before anything runs: a history by its
 * buckets, a list by its rows; over `MAX_QUERY_COST` the store is never asked.
 */
const SPEC = { accept: 'application/graphql-response+json' };

/** The embedded store, counting the reads it was asked for. */
function countingStore(dataDir: string) {
  const store = createSqliteMetricStore({ dataDir, retention: null });
  const calls = { history: 0, summarize: 0 };
  const counted: MetricStore = {
    ...store,
    write: (points) => store.write(points),
    history: (...args) => {
      calls.history += 1;
      return store.history(...args);
    },
    summarize: (...args) => {
      calls.summarize += 1;
      return store.summarize(...args);
    },
    ping: () => store.ping(),
    close: () => store.close(),
  };
  return { store: counted, calls };
}

/** `n` aliases of a 10 s history at 1 ms: 10,000 buckets each, filled with zeros. */
const histories = (n: number, selection = 'points { time value }') =>
  `{ ${Array.from(
    { length: n },
    (_, i) =>
      `h${i}: metricHistory(metric: CPU_UTILIZATION, from: "2026-01-01T00:00:00Z", to: "2026-01-01T00:00:10Z", resample: "1ms", fill: ZERO) { ${selection} }`,
  ).join(' ')} }`;

describe('the cost of an operation', () => {
  let srv: TestServer;
  let calls: { history: number; summarize: number };
  let storeDir: string;
  beforeAll(async () => {
    storeDir = mkdtempSync(join(tmpdir(), 'mc-cost-'));
    const counting = countingStore(storeDir);
    calls = counting.calls;
    srv = await startTestServer({ metrics: counting.store });
  });
  afterAll(async () => {
    await srv.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('refuses histories worth more than 32,000 values before asking the store, naming cost and budget', async () => {
    const before = calls.history;
    const answer = await graphql(srv.url, histories(2), undefined, SPEC);
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(
        /^query: costs 60000 values .*more than the 32000 allowed per operation/,
      ),
      extensions: { code: 'QUERY_TOO_COMPLEX', field: 'query' },
    });
    expect(answer.body.data ?? null).toBeNull();
    expect(calls.history).toBe(before);
  });

  it('prices arguments sent as variables the same way', async () => {
    const before = calls.history;
    const query = `query H($from: DateTime, $to: DateTime, $r: Duration) { ${Array.from(
      { length: 6 },
      (_, i) =>
        `h${i}: metricHistory(metric: LOAD_1, from: $from, to: $to, resample: $r) { points { value } }`,
    ).join(' ')} }`;
    const variables = { from: '2026-01-01T00:00:00Z', to: '2026-01-01T02:46:40Z', r: '1s' };
    const answer = await graphql(srv.url, query, variables, SPEC);
    expect(answer.body.errors?.[0]?.message).toMatch(/^query: costs 120000 values/);
    expect(calls.history).toBe(before);
    // A narrower range fits: 6 × 1,000 buckets, 12,000 values.
    const fits = await graphql(srv.url, query, { ...variables, to: '2026-01-01T00:16:40Z' }, SPEC);
    expect(fits.body.errors).toBeUndefined();
    expect(calls.history).toBe(before + 6);
  });

  it("refuses the issue's attack (333 aliased 10,000-bucket histories) at once, and /health answers during and after", async () => {
    const probe = probeHealth(srv.url);
    const attacks = await Promise.all(
      Array.from({ length: 4 }, () =>
        graphql(srv.url, histories(333, 'points { time value count mean }'), undefined, SPEC),
      ),
    );
    // Four histories at the largest size allowed run at once, too.
    const heavy = await Promise.all(Array.from({ length: 4 }, () => graphql(srv.url, histories(1))));
    const statuses = await probe.stop();
    for (const attack of attacks) expect(attack.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    for (const answer of heavy) {
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data.h0.points).toHaveLength(10_000);
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  it('prices every list field of the schema on purpose', async () => {
    const { schema } = await import('@metrics-collector/schema');
    const { getNamedType, getNullableType, isListType, isObjectType } = await import('graphql');
    const lists: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        if (isListType(getNullableType(field.type)) && isObjectType(getNamedType(field.type))) {
          lists.push(`${type.name}.${field.name}`);
        }
      }
    }
    expect(lists.sort()).toEqual(Object.keys(listRows).sort());
  });
});

describe('rows of lists and pages of clients', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { MAX_QUERY_COST: '150' } });
    for (let i = 0; i < 60; i += 1) {
      const id = `host-${String(i).padStart(2, '0')}`;
      const answer = await graphql(srv.url, REPORT_MUTATION, { input: reportInput({ clientId: id }) });
      expect(answer.body.errors).toBeUndefined();
    }
  });
  afterAll(async () => {
    await srv.stop();
  });

  const summary = (selection: string) =>
    `{ fleetSummary(metric: CPU_UTILIZATION, from: "2025-12-31T00:00:00Z", to: "2026-01-02T00:00:00Z") { ${selection} } }`;

  it('prices fleetSummary by the registered clients, nested fields included', async () => {
    const rows = await graphql(srv.url, summary('value'), undefined, SPEC); // 60 rows × (1 + 1)
    expect(rows.body.errors).toBeUndefined();
    expect(rows.body.data.fleetSummary).toHaveLength(60);
    const nested = await graphql(srv.url, summary('clientId value client { hostname }'), undefined, SPEC);
    expect(nested.body.errors?.[0]?.message).toMatch(/^query: costs 240 values .*more than the 150 allowed/);
  });

  it('pages clients: first (1..1000, default 100) and after, priced by first', async () => {
    const page = async (args: string) =>
      graphql(srv.url, `{ clients${args} { id } }`, undefined, SPEC).then((a) => a.body);
    expect((await page('(first: 3)')).data.clients.map((c: { id: string }) => c.id)).toEqual([
      'host-00',
      'host-01',
      'host-02',
    ]);
    expect(
      (await page('(first: 2, after: "host-57")')).data.clients.map((c: { id: string }) => c.id),
    ).toEqual(['host-58', 'host-59']);
    expect((await page('(first: 5, after: "host-59")')).data.clients).toEqual([]);
    expect((await page('(first: 70)')).data.clients).toHaveLength(60);
    for (const first of [0, 1_001, -1]) {
      const refused = await page(`(first: ${first})`);
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    }
    // The default page (100) of ids costs 200; the budget here is 150: 75 rows of one field.
    expect((await page('(first: 75)')).data.clients).toHaveLength(60);
    expect((await page('(first: 76)')).errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect((await page('')).errors?.[0]?.message).toMatch(/^query: costs 200 values/);
  });
});

describe('the size of an answer', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { MAX_RESPONSE_BYTES: '65536' } });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('replaces an answer over MAX_RESPONSE_BYTES with RESPONSE_TOO_LARGE, over HTTP and WebSocket', async () => {
    // The catalogue's descriptions 40 times over: about 150 kB, for a cost of about 5,000 values.
    const query = `{ ${Array.from({ length: 40 }, (_, i) => `m${i}: metrics { metric kind unit description }`).join(' ')} }`;
    const http = await graphql(srv.url, query, undefined, SPEC);
    expect(http.status).toBe(400);
    expect(http.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^query: the answer would be \d+ bytes, more than the 65536 allowed/),
      extensions: { code: 'RESPONSE_TOO_LARGE', field: 'query' },
    });
    expect(http.body.data).toBeUndefined();
    const client = wsClient(srv.url);
    const sub = collect(client, query);
    await sub.until(1);
    expect(sub.errors).toMatchObject([{ extensions: { code: 'RESPONSE_TOO_LARGE' } }]);
    await client.dispose();
    // A smaller answer passes, on both.
    const small = '{ metrics { metric kind unit description } }';
    expect((await graphql(srv.url, small)).body.errors).toBeUndefined();
    const again = wsClient(srv.url);
    const ok = collect(again, small);
    await ok.until(1);
    expect(ok.errors).toEqual([]);
    expect(ok.events[0].metrics.length).toBeGreaterThan(10);
    await again.dispose();
  });
});
