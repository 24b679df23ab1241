import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { graphql, startTestServer, type TestServer } from '../helpers.js';

const CLIENT = 'query ($id: ID!) { client(id: $id) { hostname osVersion firstSeen lastSeen } }';

/** Reports one 10 s window of `host-order` ending at `windowEnd`; fails unless it is stored. */
async function report(url: string, windowEnd: string, details: Record<string, string>) {
  const windowStart = new Date(Date.parse(windowEnd) - 10_000).toISOString();
  const res = await graphql(url, REPORT_MUTATION, {
    input: reportInput({ clientId: 'host-order', windowStart, windowEnd, ...details }),
  });
  expect(res.body.errors).toBeUndefined();
}

describe('client registry: the newest window keeps its host details', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv?.stop());

  it('keeps the newer hostname when an older backlog window arrives after it', async () => {
    await report(srv.url, '2026-01-01T12:00:00.000Z', { hostname: 'new', osVersion: '6.8' });
    // The agent's backlog from before an outage, sent after the newer window.
    await report(srv.url, '2026-01-01T11:00:00.000Z', { hostname: 'old', osVersion: '6.1' });
    const client = async () => (await graphql(srv.url, CLIENT, { id: 'host-order' })).body.data.client;
    expect(await client()).toEqual({
      hostname: 'new',
      osVersion: '6.8',
      firstSeen: '2026-01-01T11:00:00.000Z',
      lastSeen: '2026-01-01T12:00:00.000Z',
    });
    await report(srv.url, '2026-01-01T12:01:00.000Z', { hostname: 'newer', osVersion: '6.9' });
    expect(await client()).toMatchObject({ hostname: 'newer', osVersion: '6.9' });
  });
});
