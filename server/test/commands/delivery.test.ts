import { describe, expect, it } from 'vitest';
import { fails, graphql, ok } from '../helpers.js';
import { serverForSuite } from '../suite-server.js';
import { collect, waitFor, wsClient } from '../ws-helpers.js';
import { ACK, type Command, LIST, SEND, SET_SAMPLING, STREAM, statuses } from './cases.js';

describe('agent commands', () => {
  const srv = serverForSuite();

  it('delivers a command sent before the agent subscribed and one sent after, once each; acknowledgements show in the query', async () => {
    const before: Command = await ok(srv.url, SET_SAMPLING, { clientId: 'cmd-a', intervalMs: 500 });
    expect(before).toMatchObject({
      clientId: 'cmd-a',
      type: 'SET_SAMPLING_INTERVAL',
      intervalMs: 500,
      status: 'PENDING',
      message: null,
    });
    expect(Date.parse(before.expiresAt) - Date.parse(before.createdAt)).toBe(3_600_000);
    expect(await statuses(srv.url, 'cmd-a')).toEqual([[500, 'PENDING']]);

    const client = wsClient(srv.url);
    const stream = collect<{ agentCommands: Command }>(client, STREAM, { clientId: 'cmd-a' });
    const other = collect<{ agentCommands: Command }>(client, STREAM, { clientId: 'cmd-other' });
    await stream.until(1);
    expect(stream.events[0]?.agentCommands).toMatchObject({ id: before.id, status: 'DELIVERED' });
    expect(await statuses(srv.url, 'cmd-a')).toEqual([[500, 'DELIVERED']]);

    // The first event came after the live subscription was registered (pending ones are read after it).
    const after: Command = await ok(srv.url, SEND, {
      clientId: 'cmd-a',
      command: { type: 'SET_REPORT_INTERVAL', intervalMs: 10_000, ttlSeconds: 30 },
    });
    expect(after).toMatchObject({ type: 'SET_REPORT_INTERVAL', status: 'PENDING' });
    expect(Date.parse(after.expiresAt) - Date.parse(after.createdAt)).toBe(30_000);
    await stream.until(2);
    expect(stream.events[1]?.agentCommands).toMatchObject({ id: after.id, status: 'DELIVERED' });
    expect(await statuses(srv.url, 'cmd-a')).toEqual([
      [10_000, 'DELIVERED'],
      [500, 'DELIVERED'],
    ]);

    const applied: Command = await ok(srv.url, ACK, { id: before.id, status: 'APPLIED' });
    expect(applied).toMatchObject({ id: before.id, status: 'APPLIED', message: null });
    const failed: Command = await ok(srv.url, ACK, {
      id: after.id,
      status: 'FAILED',
      message: 'report interval below the sampling interval',
    });
    expect(failed).toMatchObject({
      status: 'FAILED',
      message: 'report interval below the sampling interval',
    });
    expect(await statuses(srv.url, 'cmd-a')).toEqual([
      [10_000, 'FAILED'],
      [500, 'APPLIED'],
    ]);
    expect(
      (await ok(srv.url, LIST, { clientId: 'cmd-a', status: 'APPLIED' })).map((c: Command) => c.id),
    ).toEqual([before.id]);
    expect(await ok(srv.url, LIST, { clientId: 'cmd-a', limit: 1 })).toHaveLength(1);

    // A third command proves no duplicate of the second is on its way: events on one socket keep order.
    const third: Command = await ok(srv.url, SET_SAMPLING, { clientId: 'cmd-a', intervalMs: 1_000 });
    await stream.until(3);
    expect(stream.events.map((e) => e.agentCommands.id)).toEqual([before.id, after.id, third.id]);
    expect(other.events).toEqual([]);
    expect([...stream.errors, ...other.errors]).toEqual([]);
    stream.close();
    other.close();
    await client.dispose();
  });

  it('delivers again, on the next subscription, a command delivered but not acknowledged', async () => {
    const sent: Command = await ok(srv.url, SET_SAMPLING, { clientId: 'cmd-re', intervalMs: 250 });
    const first = wsClient(srv.url);
    const one = collect<{ agentCommands: Command }>(first, STREAM, { clientId: 'cmd-re' });
    await one.until(1);
    one.close();
    await first.dispose();

    const second = wsClient(srv.url);
    const two = collect<{ agentCommands: Command }>(second, STREAM, { clientId: 'cmd-re' });
    await two.until(1);
    expect(two.events[0]?.agentCommands).toMatchObject({ id: sent.id, status: 'DELIVERED' });
    await ok(srv.url, ACK, { id: sent.id, status: 'APPLIED' });
    two.close();
    await second.dispose();
  });

  it("tells the status tracker when a client's last command stream on this server closes", async () => {
    const closed: string[] = [];
    // Other tests' streams may close while this one runs.
    srv.app.live.onCommandStreamClosed((clientId) => {
      if (clientId === 'cmd-closing') closed.push(clientId);
    });
    const client = wsClient(srv.url);
    const a = collect(client, STREAM, { clientId: 'cmd-closing' });
    const b = collect(client, STREAM, { clientId: 'cmd-closing' });
    // Each stream answers with the command sent before it: then both are open.
    await ok(srv.url, SET_SAMPLING, { clientId: 'cmd-closing', intervalMs: 100 });
    await a.until(1);
    await b.until(1);
    a.close();
    // The server reads one socket's messages in order: once c got its (redelivered) command, a's close
    // has been handled. b and c are open, so the client's stream is not closed yet.
    const c = collect(client, STREAM, { clientId: 'cmd-closing' });
    await c.until(1);
    expect(closed).toEqual([]);
    b.close();
    c.close();
    await waitFor(() => closed.length > 0, 'commandStreamClosed');
    expect(closed).toEqual(['cmd-closing']);
    await client.dispose();
  });

  it('rejects bad input with BAD_USER_INPUT naming the field', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      [SET_SAMPLING, { clientId: 'cmd-v', intervalMs: 49 }, 'intervalMs'],
      [SET_SAMPLING, { clientId: 'cmd-v', intervalMs: 3_600_001 }, 'intervalMs'],
      [SET_SAMPLING, { clientId: 'cmd-v', intervalMs: 500, ttlSeconds: 0 }, 'ttlSeconds'],
      [SET_SAMPLING, { clientId: '', intervalMs: 500 }, 'clientId'],
      [SET_SAMPLING, { clientId: 'x'.repeat(257), intervalMs: 500 }, 'clientId'],
      [
        SEND,
        { clientId: 'cmd-v', command: { type: 'SET_REPORT_INTERVAL', intervalMs: 999 } },
        'command.intervalMs',
      ],
      [
        SEND,
        {
          clientId: 'cmd-v',
          command: { type: 'SET_REPORT_INTERVAL', intervalMs: 1_000, ttlSeconds: 604_801 },
        },
        'command.ttlSeconds',
      ],
      [LIST, { clientId: 'cmd-v', limit: 0 }, 'limit'],
      [ACK, { id: 'x', status: 'FAILED', message: 'm'.repeat(257) }, 'message'],
    ];
    for (const [query, variables, field] of cases) {
      expect({ variables, ...(await fails(srv.url, query, variables)) }).toMatchObject({
        variables,
        status: 400,
        code: 'BAD_USER_INPUT',
        field,
      });
    }
    expect((await fails(srv.url, SET_SAMPLING, { clientId: 'cmd-v', intervalMs: 49 })).message).toBe(
      'intervalMs: 49 is outside 50..3600000 ms (50 ms to 1 h) for SET_SAMPLING_INTERVAL',
    );
    // The bounds themselves are accepted.
    await ok(srv.url, SET_SAMPLING, { clientId: 'cmd-v', intervalMs: 50 });
    await ok(srv.url, SEND, {
      clientId: 'cmd-v',
      command: { type: 'SET_REPORT_INTERVAL', intervalMs: 3_600_000 },
    });
    // An unknown enum value never reaches the resolver.
    const res = await graphql(srv.url, ACK, { id: 'x', status: 'EXPIRED' });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await statuses(srv.url, 'cmd-v')).toEqual([
      [3_600_000, 'PENDING'],
      [50, 'PENDING'],
    ]);
  });

  it('answers NOT_FOUND for an unknown id and COMMAND_ALREADY_ACKNOWLEDGED for a second acknowledgement', async () => {
    expect(await fails(srv.url, ACK, { id: 'no-such-command', status: 'APPLIED' })).toEqual({
      status: 404,
      code: 'NOT_FOUND',
      field: 'id',
      message: 'id: no agent command "no-such-command"',
    });
    // An agent may acknowledge a command it got before it was marked DELIVERED (PENDING).
    const sent: Command = await ok(srv.url, SET_SAMPLING, { clientId: 'cmd-twice', intervalMs: 500 });
    await ok(srv.url, ACK, { id: sent.id, status: 'APPLIED' });
    const again = await fails(srv.url, ACK, { id: sent.id, status: 'FAILED', message: 'late' });
    expect(again).toMatchObject({ status: 409, code: 'COMMAND_ALREADY_ACKNOWLEDGED', field: 'id' });
    expect(again.message).toMatch(/already acknowledged as APPLIED/);
    expect(await statuses(srv.url, 'cmd-twice')).toEqual([[500, 'APPLIED']]);
  });
});
