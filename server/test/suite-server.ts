/**
 * A test server for the enclosing `describe`: started before its tests, stopped after them. Tests use the
 * returned object as the server (`srv.url`, `srv.app`) once it runs.
 */
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, type TestAppOptions, type TestServer } from './helpers.js';
import { standIn } from './stand-in.js';

/** Starts a server (`startTestServer(options)`) in `beforeAll` and stops it in `afterAll`. */
export function serverForSuite(options?: TestAppOptions): TestServer {
  let running: TestServer | undefined;
  const srv = standIn(() => running, 'the suite server');
  beforeAll(async () => {
    running = await startTestServer(options);
  });
  afterAll(() => srv.stop());
  return srv;
}

/** One token per scope (admin, read, ingest), `API_TOKENS` granting them, and their Authorization header. */
export const scopeTokens = {
  admin: 'admin-secret-0123456789',
  reader: 'reader-secret-0123456789',
  agent: 'agent-secret-0123456789',
};
export const scopeTokensEnv = {
  API_TOKENS: `admin:admin:${scopeTokens.admin},reader:read:${scopeTokens.reader},agent:ingest:${scopeTokens.agent}`,
};
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
