import type { ClientStatusEvent } from '@metrics-collector/schema/live/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { fails, ok, rawRequest, startTestServer, type TestServer } from '../helpers.js';
import { collect, statusEvents, waitFor, wsClient } from '../ws-helpers.js';

const SECRETS = {
  rack: 'rack12-secret-0123456789',
  rackReader: 'rack12-reader-secret-0123456789',
  root: 'admin-secret-0123456789',
};
const API_TOKENS = [
  `rack12:ingest:${SECRETS.rack} clients=rack12-*|02:fc:*`,
  `rack12-reader:ingest+read:${SECRETS.rackReader} clients=rack12-*`,
  `root:admin:${SECRETS.root}`,
].join(',');
const bearer = (who: keyof typeof SECRETS) => ({ authorization: `Bearer ${SECRETS[who]}` });

const COMMAND_FIELDS = 'id clientId status';
const SET_SAMPLING = `mutation ($clientId: ID!) {
  setSamplingInterval(clientId: $clientId, intervalMs: 500) { ${COMMAND_FIELDS} }
}`;
const ACK = `mutation ($id: ID!) { acknowledgeAgentCommand(id: $id, status: APPLIED) { ${COMMAND_FIELDS} } }`;
const LIST = `query ($clientId: ID!) { agentCommands(clientId: $clientId) { ${COMMAND_FIELDS} } }`;
const STREAM = `subscription ($clientId: ID!) { agentCommands(clientId: $clientId) { ${COMMAND_FIELDS} } }`;
const EVERYTHING = { from: '2018-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };

type Command = { id: string; clientId: string; status: string };

describe('ingest tokens bound to client ids', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { API_TOKENS } });
  });
  afterAll(() => srv?.stop());

  /** Every registered client id, as the admin reads them. */
  const clientIds = async () =>
    ((await ok(srv.url, '{ clients { id } }', {}, bearer('root'))) as { id: string }[]).map((c) => c.id);
  /** Every client with a CPU window stored, over all the test's time, as the admin reads them. */
  const clientsWithData = async () =>
    (
      (await ok(
        srv.url,
        'query ($from: DateTime, $to: DateTime) { fleetSummary(metric: CPU_UTILIZATION, from: $from, to: $to, aggregate: COUNT) { clientId } }',
        EVERYTHING,
        bearer('root'),
      )) as { clientId: string }[]
    ).map((c) => c.clientId);
  const commandsOf = async (clientId: string) =>
    ((await ok(srv.url, LIST, { clientId }, bearer('root'))) as Command[]).map((c) => [c.id, c.status]);

  it('reports for matching ids and is refused for others, over GraphQL and REST, storing nothing of those', async () => {
    const mac = '02:fc:7a:11:00:01';
    expect(
      await ok(srv.url, REPORT_MUTATION, { input: reportInput({ clientId: 'rack12-a' }) }, bearer('rack')),
    ).toMatchObject({ clientId: 'rack12-a', points: 11 });
    const rest = await rawRequest(`${srv.url}/api/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer('rack') },
      body: JSON.stringify({ ...originalReport, user_id: mac }),
    });
    expect(rest.status, rest.text).toBe(200);

    const refused = await fails(
      srv.url,
      REPORT_MUTATION,
      { input: reportInput({ clientId: 'rack13-a' }) },
      bearer('rack'),
    );
    expect(refused).toEqual({
      status: 403,
      code: 'FORBIDDEN',
      field: 'input.clientId',
      message: `input.clientId: token 'rack12' may not act for client "rack13-a"; it is bound to rack12-*|02:fc:*`,
    });
    const refusedRest = await rawRequest(`${srv.url}/api/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer('rack') },
      body: JSON.stringify({ ...originalReport, user_id: '02:fd:7a:11:00:01' }),
    });
    expect(refusedRest.status, refusedRest.text).toBe(403);
    expect(refusedRest.json).toEqual({
      errors: [
        `user_id: token 'rack12' may not act for client "02:fd:7a:11:00:01"; it is bound to rack12-*|02:fc:*`,
      ],
      code: 'FORBIDDEN',
    });

    expect(await clientIds()).toEqual([mac, 'rack12-a']);
    expect(await clientsWithData()).toEqual([mac, 'rack12-a']);
    // The admin token is not bound: the same reports are accepted from it.
    await ok(srv.url, REPORT_MUTATION, { input: reportInput({ clientId: 'rack13-a' }) }, bearer('root'));
    expect(await clientsWithData()).toEqual([mac, 'rack12-a', 'rack13-a']);
  });

  it('reads any client with a bound token that has scope read', async () => {
    await ok(srv.url, REPORT_MUTATION, { input: reportInput({ clientId: 'other-read' }) }, bearer('root'));
    const sent: Command = await ok(srv.url, SET_SAMPLING, { clientId: 'other-read' }, bearer('root'));
    expect(
      await ok(
        srv.url,
        'query ($id: ID!) { client(id: $id) { id } }',
        { id: 'other-read' },
        bearer('rackReader'),
      ),
    ).toEqual({
      id: 'other-read',
    });
    expect(await ok(srv.url, LIST, { clientId: 'other-read' }, bearer('rackReader'))).toEqual([
      { id: sent.id, clientId: 'other-read', status: 'PENDING' },
    ]);
  });

  it("cannot take another client's commands, and that client does not become OFFLINE", async () => {
    const status = statusEvents(srv.app.live);
    const of = (clientId: string) =>
      status.events.filter((e: ClientStatusEvent) => e.clientId === clientId).map((e) => e.status);
    await ok(srv.url, REPORT_MUTATION, { input: reportInput({ clientId: 'other-s' }) }, bearer('root'));
    await waitFor(() => of('other-s').length > 0, 'other-s ONLINE', 10_000);
    const waiting: Command = await ok(srv.url, SET_SAMPLING, { clientId: 'other-s' }, bearer('root'));

    const agent = wsClient(srv.url, SECRETS.rack);
    const taken = collect<{ agentCommands: Command }>(agent, STREAM, { clientId: 'other-s' });
    await taken.until(1);
    expect(taken.events).toEqual([]);
    expect(taken.errors).toHaveLength(1);
    expect(taken.errors[0]).toMatchObject({
      message: `clientId: token 'rack12' may not act for client "other-s"; it is bound to rack12-*|02:fc:*`,
      extensions: { code: 'FORBIDDEN', field: 'clientId' },
    });
    // Had the stream opened, ending it would mark other-s OFFLINE.
    taken.close();

    // Its own stream works; ending it marks its own client OFFLINE. The socket handles messages in order,
    // so by the time that event comes, the refused stream's end has been handled long ago.
    const own = collect<{ agentCommands: Command }>(agent, STREAM, { clientId: 'rack12-s' });
    const mine: Command = await ok(srv.url, SET_SAMPLING, { clientId: 'rack12-s' }, bearer('root'));
    await own.until(1);
    expect(own.events[0]?.agentCommands).toEqual({ id: mine.id, clientId: 'rack12-s', status: 'DELIVERED' });
    own.close();
    await waitFor(() => of('rack12-s').includes('OFFLINE'), 'rack12-s OFFLINE', 10_000);
    await agent.dispose();

    expect(of('other-s')).toEqual(['ONLINE']);
    // Nor was its command taken.
    expect(await commandsOf('other-s')).toEqual([[waiting.id, 'PENDING']]);
    status.close();
  });

  it("cannot acknowledge another client's command, which stays as it was, but acknowledges its own", async () => {
    const pending: Command = await ok(srv.url, SET_SAMPLING, { clientId: 'other-p' }, bearer('root'));
    const delivered: Command = await ok(srv.url, SET_SAMPLING, { clientId: 'other-d' }, bearer('root'));
    const own: Command = await ok(srv.url, SET_SAMPLING, { clientId: 'rack12-c' }, bearer('root'));
    // The (unbound) admin takes other-d's command as an agent would: DELIVERED.
    const admin = wsClient(srv.url, SECRETS.root);
    const stream = collect<{ agentCommands: Command }>(admin, STREAM, { clientId: 'other-d' });
    await stream.until(1);
    stream.close();
    await admin.dispose();
    expect(await commandsOf('other-d')).toEqual([[delivered.id, 'DELIVERED']]);

    for (const [command, before] of [
      [pending, 'PENDING'],
      [delivered, 'DELIVERED'],
    ] as const) {
      expect(await fails(srv.url, ACK, { id: command.id }, bearer('rack'))).toEqual({
        status: 403,
        code: 'FORBIDDEN',
        field: 'id',
        message: `id: token 'rack12' may not act for client "${command.clientId}"; it is bound to rack12-*|02:fc:*`,
      });
      expect(await commandsOf(command.clientId)).toEqual([[command.id, before]]);
    }
    // An unknown id is still NOT_FOUND, whoever asks.
    expect(await fails(srv.url, ACK, { id: 'no-such-command' }, bearer('rack'))).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      field: 'id',
    });

    expect(await ok(srv.url, ACK, { id: own.id }, bearer('rack'))).toEqual({
      id: own.id,
      clientId: 'rack12-c',
      status: 'APPLIED',
    });
    expect(await commandsOf('rack12-c')).toEqual([[own.id, 'APPLIED']]);
    // The unbound admin may answer the others.
    await ok(srv.url, ACK, { id: delivered.id }, bearer('root'));
    expect(await commandsOf('other-d')).toEqual([[delivered.id, 'APPLIED']]);
  });
});
