import { describe, expect, it } from 'vitest';
import { fails, ok } from '../helpers.js';
import { bearer, scopeTokensEnv, scopeTokens as secrets, serverForSuite } from '../suite-server.js';
import { collect, wsClient } from '../ws-helpers.js';
import { ACK, type Command, LIST, SEND, SET_SAMPLING, STREAM, statuses } from './cases.js';

describe('agent commands: scopes', () => {
  const srv = serverForSuite({ env: scopeTokensEnv });

  it('admin sends; ingest subscribes and acknowledges but cannot send; read queries but cannot send; anonymous gets nothing', async () => {
    const vars = { clientId: 'cmd-s', intervalMs: 500 };
    expect(await fails(srv.url, SET_SAMPLING, vars, bearer(secrets.agent))).toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
    });
    expect(await fails(srv.url, SET_SAMPLING, vars, bearer(secrets.reader))).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await fails(srv.url, SET_SAMPLING, vars)).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    const send = { clientId: 'cmd-s', command: { type: 'SET_REPORT_INTERVAL', intervalMs: 5_000 } };
    expect(await fails(srv.url, SEND, send, bearer(secrets.agent))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await statuses(srv.url, 'cmd-s', bearer(secrets.reader))).toEqual([]);

    const sent: Command = await ok(srv.url, SET_SAMPLING, vars, bearer(secrets.admin));

    // Neither read nor anonymous may take an agent's commands (that would mark them DELIVERED).
    const anonymous = wsClient(srv.url);
    const denied = collect(anonymous, STREAM, { clientId: 'cmd-s' });
    const reader = wsClient(srv.url, secrets.reader);
    const forbidden = collect(reader, STREAM, { clientId: 'cmd-s' });
    await denied.until(1);
    await forbidden.until(1);
    expect((denied.errors[0] as any).extensions.code).toBe('UNAUTHENTICATED');
    expect((forbidden.errors[0] as any).extensions.code).toBe('FORBIDDEN');
    await Promise.all([anonymous.dispose(), reader.dispose()]);

    const agent = wsClient(srv.url, secrets.agent);
    const stream = collect<{ agentCommands: Command }>(agent, STREAM, { clientId: 'cmd-s' });
    await stream.until(1);
    expect(stream.events[0]?.agentCommands).toMatchObject({ id: sent.id, status: 'DELIVERED' });
    expect(
      await fails(srv.url, ACK, { id: sent.id, status: 'APPLIED' }, bearer(secrets.reader)),
    ).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await fails(srv.url, ACK, { id: sent.id, status: 'APPLIED' })).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await ok(srv.url, ACK, { id: sent.id, status: 'APPLIED' }, bearer(secrets.agent));
    expect(await statuses(srv.url, 'cmd-s', bearer(secrets.reader))).toEqual([[500, 'APPLIED']]);
    expect(await fails(srv.url, LIST, { clientId: 'cmd-s' })).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await fails(srv.url, LIST, { clientId: 'cmd-s' }, bearer(secrets.agent))).toMatchObject({
      code: 'FORBIDDEN',
    });
    stream.close();
    await agent.dispose();
  });
});
