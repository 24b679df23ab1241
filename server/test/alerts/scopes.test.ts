import { describe, expect, it } from 'vitest';
import { graphql } from '../helpers.js';
import { bearer, scopeTokensEnv, serverForSuite, scopeTokens as tokens } from '../suite-server.js';
import { collect, wsClient } from '../ws-helpers.js';
import { ALERT_EVENTS, ALERTS, CREATE, cpuRule, createRule, DELETE, RULES, UPDATE } from './cases.js';

describe('alert scopes', () => {
  const srv = serverForSuite({ env: scopeTokensEnv });

  it('lets only admin change rules, read (and admin) read them; ingest reads nothing', async () => {
    const rule = await createRule(srv, cpuRule(), bearer(tokens.admin));
    for (const [query, variables] of [
      [CREATE, { input: cpuRule() }],
      [UPDATE, { id: rule.id, input: cpuRule() }],
      [DELETE, { id: rule.id }],
    ] as const) {
      const res = await graphql(srv.url, query, variables, bearer(tokens.reader));
      expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    for (const query of [RULES, ALERTS]) {
      const read = await graphql(srv.url, query, {}, bearer(tokens.reader));
      expect(read.body.errors).toBeUndefined();
      const ingest = await graphql(srv.url, query, {}, bearer(tokens.agent));
      expect(ingest.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const anonymous = await graphql(srv.url, query, {});
      expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    const client = wsClient(srv.url, tokens.agent);
    const sub = collect(client, ALERT_EVENTS);
    await sub.until(1);
    expect(sub.errors).toMatchObject([{ extensions: { code: 'FORBIDDEN' } }]);
    await client.dispose();
  });
});
