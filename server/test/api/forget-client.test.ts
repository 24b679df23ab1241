import { describe, expect, it } from 'vitest';
import { ALERTS, cpuRule, createRule, iso, RULES, report } from '../alerts/cases.js';
import { type Command, LIST, SET_SAMPLING } from '../commands/cases.js';
import { fails, graphql, ok } from '../helpers.js';
import { bearer, scopeTokensEnv, scopeTokens as secrets, serverForSuite } from '../suite-server.js';

const FORGET =
  'mutation ($clientId: ID!) { forgetClient(clientId: $clientId) { id hostname firstSeen lastSeen } }';
const CLIENTS = '{ clients { id } }';
const CLIENT = 'query ($id: ID!) { client(id: $id) { id firstSeen } }';
const HISTORY = `query ($clientId: ID, $from: DateTime, $to: DateTime) {
  metricHistory(clientId: $clientId, metric: CPU_UTILIZATION, from: $from, to: $to, resample: "1m") { points { value } }
}`;

describe('forgetClient', () => {
  const srv = serverForSuite({ env: scopeTokensEnv });
  const admin = bearer(secrets.admin);

  it('removes the client from the registry; its windows and alert history stay, its states go, its open commands expire', async () => {
    const rule = await createRule(srv, cpuRule({ forSeconds: 0 }), admin);
    await report(srv, 'forget-me', 10, 0.9, bearer(secrets.agent));
    await report(srv, 'keep-me', 10, 0.9, bearer(secrets.agent));
    const command: Command = await ok(
      srv.url,
      SET_SAMPLING,
      { clientId: 'forget-me', intervalMs: 500 },
      admin,
    );
    expect(command.status).toBe('PENDING');
    const statesOf = async () =>
      (await ok(srv.url, RULES, {}, admin))
        .find((r: { id: string }) => r.id === rule.id)
        .states.map((s: { clientId: string; state: string }) => [s.clientId, s.state]);
    expect(await statesOf()).toEqual([
      ['forget-me', 'FIRING'],
      ['keep-me', 'FIRING'],
    ]);

    const forgotten = await ok(srv.url, FORGET, { clientId: 'forget-me' }, admin);
    expect(forgotten).toMatchObject({ id: 'forget-me', firstSeen: iso(10), lastSeen: iso(10) });

    expect(await ok(srv.url, CLIENTS, {}, admin)).toEqual([{ id: 'keep-me' }]);
    expect(await ok(srv.url, CLIENT, { id: 'forget-me' }, admin)).toBeNull();
    expect(await statesOf()).toEqual([['keep-me', 'FIRING']]);
    // The history of its alerts stays, as after deleteAlertRule.
    const alerts = await ok(srv.url, ALERTS, { clientId: 'forget-me' }, admin);
    expect(alerts.map((a: { state: string }) => a.state)).toEqual(['FIRING', 'PENDING']);
    // Its windows stay until retention.
    const range = { clientId: 'forget-me', from: iso(0), to: iso(60) };
    expect((await ok(srv.url, HISTORY, range, admin)).points).toEqual([{ value: 0.9 }]);
    const [expired]: Command[] = await ok(srv.url, LIST, { clientId: 'forget-me' }, admin);
    expect(expired).toMatchObject({ id: command.id, status: 'EXPIRED' });
    expect(expired?.message).toMatch(/forgotten/);

    // Unknown now: NOT_FOUND naming the argument.
    expect(await fails(srv.url, FORGET, { clientId: 'forget-me' }, admin)).toMatchObject({
      code: 'NOT_FOUND',
      field: 'clientId',
    });
    // A new report registers it again, as new.
    await report(srv, 'forget-me', 30, 0.1, bearer(secrets.agent));
    expect(await ok(srv.url, CLIENT, { id: 'forget-me' }, admin)).toEqual({
      id: 'forget-me',
      firstSeen: iso(30),
    });
  });

  it('needs scope admin', async () => {
    await report(srv, 'guarded', 10, 0.2, bearer(secrets.agent));
    for (const token of [secrets.reader, secrets.agent]) {
      expect(await fails(srv.url, FORGET, { clientId: 'guarded' }, bearer(token))).toMatchObject({
        code: 'FORBIDDEN',
      });
    }
    expect(await fails(srv.url, FORGET, { clientId: 'guarded' })).toMatchObject({ code: 'UNAUTHENTICATED' });
    const empty = await graphql(srv.url, FORGET, { clientId: '' }, admin);
    expect(empty.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'clientId' });
    expect(await ok(srv.url, CLIENT, { id: 'guarded' }, admin)).toMatchObject({ id: 'guarded' });
  });
});
