import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers.js';
import { fetchInProcess } from './in-process.js';

/**
 * The GraphQL-over-HTTP conformance audit of graphql-http, against the app's request handler (in-process,
 * through a Fetch-style adapter): every MUST holds, and every SHOULD (a SHOULD the server does not follow
 * would be listed here with the reason).
 */
describe('GraphQL over HTTP (graphql-http audit)', () => {
  let srv: TestApp;
  beforeAll(async () => {
    srv = await startTestApp();
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('passes every MUST and SHOULD of the audit', async () => {
    const results = await auditServer({ url: `${srv.url}/graphql`, fetchFn: fetchInProcess });
    const failed = results
      .filter((r) => r.status !== 'ok')
      .map((r) => `${r.status}: ${r.name}: ${'reason' in r ? r.reason : ''}`);
    expect(failed).toEqual([]);
    expect(results.length).toBeGreaterThan(40);
  });
});
