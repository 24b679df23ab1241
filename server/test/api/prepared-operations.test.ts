import { afterEach, describe, expect, it, vi } from 'vitest';
import { reportInput } from '../../../testing/fixtures.js';
import { PreparedOperations } from '../../src/graphql/prepared-operations.js';
import { graphql, rawRequest } from '../helpers.js';
import { server } from './setup.js';

// The prepared report mutation (server/src/graphql/prepared-operations.ts) answers what the general path
// answers. Each request is sent twice: as a document the server prepares once it has served it, and as
// the same operation with a directive that changes nothing, which is never prepared, so that the
// general path answers it. A spy on `run` tells which path served each request. The general path answers
// the first request of a document (for each kind of caller) with graphql-js, and the ones after it, which
// come from its document cache, with graphql-jit, whose errors are located by path only: the prepared
// operation answers as the latter, so each test warms both documents up first.

const PREPARED = `mutation ReportMetrics($input: ReportMetricsInput!) {
  reportMetrics(input: $input) { clientId windowStart windowEnd points }
}`;
const GENERAL = `mutation ReportMetrics($input: ReportMetricsInput!) {
  reportMetrics(input: $input) { clientId windowStart windowEnd points @include(if: true) }
}`;

const run = vi.spyOn(PreparedOperations.prototype, 'run');
afterEach(() => run.mockClear());

/** Whether the last request was served by a prepared operation. */
const servedPrepared = () => run.mock.results.at(-1)?.value !== undefined;

async function both(url: string, input: Record<string, unknown>, headers: Record<string, string> = {}) {
  const send = async (query: string) => {
    const res = await rawRequest(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables: { input } }),
    });
    return { status: res.status, type: res.headers['content-type'], body: res.text };
  };
  const prepared = await send(PREPARED);
  const wasPrepared = servedPrepared();
  const general = await send(GENERAL);
  expect(servedPrepared()).toBe(false);
  return { prepared, general, wasPrepared };
}

/** Sends both documents once, as `headers` (a successful report, or the same refusal from both paths). */
async function warm(url: string, headers: Record<string, string> = {}) {
  for (const query of [PREPARED, GENERAL]) await graphql(url, query, { input: window(0) }, headers);
}

const window = (n: number, overrides: Record<string, unknown> = {}) =>
  reportInput({
    windowStart: new Date(Date.UTC(2026, 0, 1, 0, 0, n * 10)).toISOString(),
    windowEnd: new Date(Date.UTC(2026, 0, 1, 0, 0, n * 10 + 10)).toISOString(),
    ...overrides,
  });

describe('the prepared report mutation', () => {
  it('is prepared only once the general path served the document', async () => {
    const { url } = await server();
    const first = await both(url, window(0));
    expect(first.wasPrepared).toBe(false);
    expect(first.prepared).toEqual(first.general);
    const second = await both(url, window(1));
    expect(second.wasPrepared).toBe(true);
    expect(second.prepared).toEqual(second.general);
    expect(JSON.parse(second.prepared.body).data.reportMetrics.points).toBe(11);
  });

  it('is prepared however many other documents came before it, and whatever else is sent after it', async () => {
    const { url } = await server();
    // Queries, and report mutations that do not qualify (a directive), each served once.
    for (let i = 0; i < 40; i += 1) {
      expect((await graphql(url, `{ m${i}: metrics { unit } }`)).body.errors).toBeUndefined();
      const unprepared = GENERAL.replace('ReportMetrics(', `ReportMetrics${i}(`);
      expect((await graphql(url, unprepared, { input: window(i) })).body.errors).toBeUndefined();
    }
    await both(url, window(100));
    expect((await both(url, window(101))).wasPrepared).toBe(true);
  });

  it('answers what the general path answers, errors included, and counts the operations alike', async () => {
    const { url } = await server();
    await warm(url);
    const cases: [string, Record<string, unknown>, boolean][] = [
      ['a report', window(1), true],
      ['an ID sent as a number', window(2, { clientId: 42 }), true],
      ['optional fields sent as null', window(3, { hostname: null, memory: null }), true],
      ['a window that ends before it starts', window(4, { windowEnd: '2025-01-01T00:00:00Z' }), true],
      [
        'a negative variance',
        window(5, { load: { load1: { mean: 1, variance: -1, min: 1, max: 1 } } }),
        true,
      ],
      ['an unknown input field', window(6, { gpu: 1 }), false],
      ['a fractional Int', window(7, { observations: 1.5 }), false],
      ['an Int out of range', window(8, { observations: 2 ** 31 }), false],
      ['a missing required field', { ...window(9), windowStart: undefined }, false],
      ['a null required field', window(10, { observations: null }), false],
      ['a date the scalar refuses', window(11, { windowStart: 'yesterday' }), false],
      [
        'one stat where a list goes',
        window(12, { cpu: { cores: { mean: 1, variance: 0, min: 1, max: 1 } } }),
        false,
      ],
      [
        'a string where a number goes',
        window(13, { load: { load1: { mean: '1', variance: 0, min: 1, max: 1 } } }),
        false,
      ],
    ];
    for (const [name, input, prepared] of cases) {
      const answers = await both(url, input);
      expect({ name, prepared: answers.wasPrepared }).toEqual({ name, prepared });
      expect({ name, ...answers.prepared }).toEqual({ name, ...answers.general });
    }
    const metrics = (await rawRequest(`${url}/metrics`)).text;
    const counted = (code: string) =>
      Number(
        new RegExp(
          `graphql_operations_total\\{operation="ReportMetrics",type="mutation",code="${code}"\\} (\\d+)`,
        ).exec(metrics)?.[1],
      );
    // Both documents once, then each case twice: 3 successes and the rest refused with these codes.
    expect(counted('none')).toBe(2 + 2 * 3);
    expect(counted('INVALID_TIME_RANGE') + counted('BAD_USER_INPUT')).toBe(2 * (cases.length - 3));
  });

  it('stores what it acknowledges', async () => {
    const { url } = await server();
    await graphql(url, PREPARED, { input: window(0) });
    await both(
      url,
      window(1, { clientId: 'host-b', cpu: { utilization: { mean: 0.9, variance: 0, min: 0.9, max: 0.9 } } }),
    );
    const history = await graphql(
      url,
      `{ metricHistory(metric: CPU_UTILIZATION, clientId: "host-b", from: "2026-01-01T00:00:00Z",
          to: "2026-01-01T00:01:00Z", resample: "1m") { points { count mean } } }`,
    );
    // Both paths wrote the same window (the second overwrote the first).
    expect(history.body.data.metricHistory.points).toEqual([{ count: 10, mean: 0.9 }]);
  });

  it('applies scopes and client bindings as the general path does, and leaves callers without a token to it', async () => {
    const agent = 'agent-secret-0123456789';
    const reader = 'reader-secret-0123456789';
    const { url } = await server({
      env: { API_TOKENS: `agent:ingest:${agent} clients=host-a,reader:read:${reader}` },
    });
    const as = (secret: string) => ({ authorization: `Bearer ${secret}` });
    for (const secret of [agent, reader]) await warm(url, as(secret));
    await warm(url);
    const cases: [string, Record<string, unknown>, Record<string, string>, boolean][] = [
      ['its own client', window(1), as(agent), true],
      ['a client it is not bound to', window(2, { clientId: 'host-b' }), as(agent), true],
      ['a token without the ingest scope', window(3), as(reader), true],
      ['no token', window(4), {}, false],
    ];
    for (const [name, input, headers, prepared] of cases) {
      const answers = await both(url, input, headers);
      expect({ name, prepared: answers.wasPrepared }).toEqual({ name, prepared });
      expect({ name, ...answers.prepared }).toEqual({ name, ...answers.general });
    }
  });
});
