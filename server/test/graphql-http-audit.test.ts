import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.js';

/**
 * The GraphQL-over-HTTP conformance audit of graphql-http, against a started server: every MUST holds,
 * and every SHOULD (a SHOULD the server does not follow would be listed here with the reason).
 */
describe('GraphQL over HTTP (graphql-http audit)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('passes every MUST and SHOULD of the audit', async () => {
    const results = await auditServer({ url: `${srv.url}/graphql` });
    const failed = results
      .filter((r) => r.status !== 'ok')
      .map((r) => `${r.status}: ${r.name}: ${'reason' in r ? r.reason : ''}`);
    expect(failed).toEqual([]);
    expect(results.length).toBeGreaterThan(40);
  });
});
