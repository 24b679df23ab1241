import { metricNames } from '@metrics-collector/common/catalogue';
import { errorRegistry } from '@metrics-collector/schema/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { graphql, rawRequest, startTestServer, type TestServer } from '../helpers.js';
import { DAY, JSON_TYPE, type Json, now, type Row } from './cases.js';

/** Everything stored, as the API shows it: every client and every metric over all time, all clients pooled. */
const SNAPSHOT = `{
  clients { id hostname osType osVersion coreCount firstSeen lastSeen }
  ${metricNames
    .map(
      (
        m,
      ) => `${m}: metricHistory(metric: ${m}, from: "2000-01-01T00:00:00Z", to: "${new Date(now + 60 * DAY).toISOString()}",
        resample: "3650d") { points { time count mean variance min max } }`,
    )
    .join('\n')}
}`;

/** The server a file's rows run against, for the tests a file adds beside them. */
export interface BadInputServer {
  readonly url: string;
  /** The snapshot taken after the two control reports, before any row. */
  readonly baseline: Json;
  /** Everything stored now (`SNAPSHOT`). */
  snapshot(): Promise<Json>;
}

/**
 * `describe('bad input, REST and GraphQL')` over `rows`, on a server of its own that holds a valid report
 * from each API. Each row must get its answer and leave nothing stored, no client registered. `more` adds
 * tests after the rows, on the same server.
 */
export function describeBadInput(rows: Row[], more: (server: BadInputServer) => void = () => {}): void {
  describe('bad input, REST and GraphQL', () => {
    let srv: TestServer;
    let baseline: Json;
    const snapshot = async () => {
      const answer = await graphql(srv.url, SNAPSHOT);
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      return answer.body.data as Json;
    };

    beforeAll(async () => {
      srv = await startTestServer();
      // A valid report on each API first: the checks below must see stored data when there is some.
      const rest = await rawRequest(`${srv.url}/api/v1/metrics`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ ...originalReport, user_id: 'control-rest' }),
      });
      expect(rest.status).toBe(200);
      const gql = await graphql(srv.url, REPORT_MUTATION, {
        input: reportInput({
          clientId: 'control-gql',
          network: {
            rxBytesPerSecond: { mean: 1.2e6, variance: 4e10, min: 8e5, max: 1.6e6 },
            txBytesPerSecond: { mean: 3.4e5, variance: 1e9, min: 3e5, max: 4e5 },
          },
          disk: {
            readBytesPerSecond: { mean: 0, variance: 0, min: 0, max: 0 },
            writeBytesPerSecond: { mean: 8e5, variance: 1e10, min: 6e5, max: 1e6 },
            filesystemUsedRatio: { mean: 0.42, variance: 0, min: 0.42, max: 0.42 },
          },
        }),
      });
      expect(gql.body.errors).toBeUndefined();
      baseline = await snapshot();
    });
    afterAll(() => srv?.stop());

    it.each(rows)('$transport: $input → $status $code', async (row) => {
      expect(errorRegistry[row.code].status, 'the registry gives the code this status').toBe(row.status);
      const before = await snapshot();
      const answer = await row.send(srv.url);
      expect(answer.status, answer.text.slice(0, 500)).toBe(row.status);
      const body = answer.json as Json;
      if (row.transport.startsWith('REST')) {
        // The original's shape: {"errors":["<field>: <problem>"]}, plus the registry code.
        expect(body).toEqual({ errors: [expect.any(String)], code: row.code });
        expect(body.errors[0].startsWith(`${row.field}: `), body.errors[0]).toBe(true);
        if (typeof row.message === 'string') expect(body.errors[0]).toBe(row.message);
        else if (row.message) expect(body.errors[0]).toMatch(row.message);
      } else {
        expect(body.data ?? null).toBeNull();
        const [error] = body.errors;
        expect(error.extensions.code, error.message).toBe(row.code);
        expect(Object.keys(errorRegistry)).toContain(error.extensions.code);
        const named =
          error.extensions.field === row.field ||
          error.message.includes(`"${row.field}"`) ||
          error.message.startsWith(`${row.field}: `);
        expect(named, `field ${row.field} in ${JSON.stringify(error)}`).toBe(true);
        if (row.message) expect(error.message).toMatch(row.message);
      }

      // Nothing was stored, no client was registered.
      expect(await snapshot(), 'nothing stored').toEqual(before);
      if (row.clientId && row.clientId.length > 0 && row.clientId.length <= 256) {
        const client = await graphql(srv.url, 'query ($id: ID!) { client(id: $id) { id } }', {
          id: row.clientId,
        });
        expect(client.body).toEqual({ data: { client: null } });
        const get = await rawRequest(
          `${srv.url}/api/v1/metrics/cpuLoadAvg/byUser/${encodeURIComponent(row.clientId)}`,
          {
            headers: JSON_TYPE,
            body: JSON.stringify({
              start: '2000-01-01T00:00:00Z',
              end: new Date(now + 60 * DAY).toISOString(),
              resample_rate: '3650d',
            }),
          },
        );
        expect(get.json).toEqual({ entries: [] });
      }
    });

    more({
      get url() {
        return srv.url;
      },
      get baseline() {
        return baseline;
      },
      snapshot,
    });
  });
}
