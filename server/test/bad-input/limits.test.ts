import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { graphql, rawRequest, startTestServer, type TestServer } from '../helpers.js';
import { stringify } from '../raw-json.js';
import {
  aliases,
  DAY,
  doubling,
  fragmentChain,
  GQL_HEADERS,
  HISTORY,
  HISTORY_ARGS,
  JSON_TYPE,
  MiB,
  now,
  spreadMany,
  thousandCores,
  typeChain,
} from './cases.js';

describe('limits are where they are said to be (the largest valid input passes)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv?.stop());

  it('accepts depth 15 and 1,000 fields, directly and through fragments', async () => {
    for (const query of [
      typeChain(15),
      fragmentChain(15),
      `{ ${aliases(1000)} }`,
      spreadMany(99),
      doubling(9),
    ]) {
      const answer = await graphql(srv.url, query, undefined, GQL_HEADERS);
      expect(answer.body.errors, query.slice(0, 80)).toBeUndefined();
      expect(answer.status).toBe(200);
    }
  });

  it('accepts 1,024 cores, 256-character strings and a window ending a day ahead, on both APIs', async () => {
    const cores = Array(1024).fill(0.5);
    const rest = await rawRequest(`${srv.url}/api/v1/metrics`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: JSON.stringify({
        ...originalReport,
        user_id: 'r'.repeat(256),
        os_type: 'o'.repeat(256),
        os_version: 'v'.repeat(256),
        hostname: 'h'.repeat(256),
        end_timestamp: now + DAY - 60_000,
        metrics: [
          {
            ...originalReport.metrics[0],
            var_utilization: 0.25,
            avg_utilization_by_core: cores,
            var_utilization_by_core: Array(1024).fill(0),
          },
        ],
      }),
    });
    expect(rest.status, rest.text).toBe(200);
    const gql = await graphql(srv.url, REPORT_MUTATION, {
      input: reportInput({
        clientId: 'g'.repeat(256),
        hostname: 'h'.repeat(256),
        windowEnd: new Date(now + DAY - 60_000).toISOString(),
        cpu: { utilization: { mean: 0.5, variance: 0.25, min: 0, max: 1 }, cores: thousandCores(1024) },
      }),
    });
    expect(gql.body.errors).toBeUndefined();
    // utilisation, 1,024 cores, 4 extremes over cores, 3 memory series, load1
    expect(gql.body.data.reportMetrics.points).toBe(1 + 1024 + 4 + 3 + 1);
    const clients = await graphql(srv.url, '{ clients { id coreCount } }');
    expect(clients.body.data.clients).toEqual([
      { id: 'g'.repeat(256), coreCount: 1024 },
      { id: 'r'.repeat(256), coreCount: 1024 },
    ]);
  });

  it('accepts exactly 10,000 buckets and a body of exactly 1 MiB', async () => {
    const answer = await graphql(
      srv.url,
      HISTORY,
      {
        ...HISTORY_ARGS,
        from: '2026-01-01T00:00:00.000Z',
        to: '2026-01-01T00:00:10.000Z',
        resample: '1ms',
        fill: 'NULL',
      },
      GQL_HEADERS,
    );
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data.metricHistory.points).toHaveLength(10_000);
    const body = stringify({ ...originalReport, user_id: 'just-under', padding: '' });
    const padded = body.replace('"padding":""', `"padding":"${'x'.repeat(MiB - body.length)}"`);
    expect(Buffer.byteLength(padded)).toBe(MiB);
    const rest = await rawRequest(`${srv.url}/api/v1/metrics`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: padded,
    });
    expect(rest.status, rest.text).toBe(200);
  });
});
