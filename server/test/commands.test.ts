import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendAgentCommand, streamAgentCommands } from '@metrics-collector/schema/commands/service';
import type { AgentCommand, CommandStore } from '@metrics-collector/schema/commands/types';
import type { Context } from '@metrics-collector/schema/context';
import { defaultLimits } from '@metrics-collector/schema/limits';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Commands, createCommands } from '../src/commands/index.js';
import { createLive, type ServerLive } from '../src/live/index.js';
import { createLogger } from '../src/logger.js';
import { fails, graphql, ok, startTestServer, type TestServer } from './helpers.js';
import { collect, wsClient } from './ws-helpers.js';

const COMMAND_FIELDS = 'id clientId type intervalMs status message createdAt updatedAt expiresAt';

const SET_SAMPLING = `mutation ($clientId: ID!, $intervalMs: Int!, $ttlSeconds: Int) {
  setSamplingInterval(clientId: $clientId, intervalMs: $intervalMs, ttlSeconds: $ttlSeconds) { ${COMMAND_FIELDS} }
}`;
const SEND = `mutation ($clientId: ID!, $command: AgentCommandInput!) {
  sendAgentCommand(clientId: $clientId, command: $command) { ${COMMAND_FIELDS} }
}`;
const ACK = `mutation ($id: ID!, $status: AgentCommandOutcome!, $message: String) {
  acknowledgeAgentCommand(id: $id, status: $status, message: $message) { ${COMMAND_FIELDS} }
}`;
const LIST = `query ($clientId: ID!, $status: AgentCommandStatus, $limit: Int) {
  agentCommands(clientId: $clientId, status: $status, limit: $limit) { ${COMMAND_FIELDS} }
}`;
const STREAM = `subscription ($clientId: ID!) { agentCommands(clientId: $clientId) { ${COMMAND_FIELDS} } }`;

type Command = {
  id: string;
  clientId: string;
  type: string;
  intervalMs: number;
  status: string;
  message: string | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
};

const statuses = async (url: string, clientId: string, headers = {}) =>
  ((await ok(url, LIST, { clientId }, headers)) as Command[]).map((c) => [c.intervalMs, c.status]);

/** Polls `check` every 10 ms until it holds (for effects that have no event to wait on). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('agent commands', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv.stop());

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
    await eventually(() => closed.length > 0, 'commandStreamClosed');
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

describe('agent commands: scopes', () => {
  const secrets = {
    admin: 'admin-secret-0123456789',
    agent: 'agent-secret-0123456789',
    reader: 'reader-secret-0123456789',
  };
  const bearer = (who: keyof typeof secrets) => ({ authorization: `Bearer ${secrets[who]}` });
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({
      env: {
        API_TOKENS: `admin:admin:${secrets.admin},agent:ingest:${secrets.agent},reader:read:${secrets.reader}`,
      },
    });
  });
  afterAll(() => srv.stop());

  it('admin sends; ingest subscribes and acknowledges but cannot send; read queries but cannot send; anonymous gets nothing', async () => {
    const vars = { clientId: 'cmd-s', intervalMs: 500 };
    expect(await fails(srv.url, SET_SAMPLING, vars, bearer('agent'))).toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
    });
    expect(await fails(srv.url, SET_SAMPLING, vars, bearer('reader'))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await fails(srv.url, SET_SAMPLING, vars)).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    const send = { clientId: 'cmd-s', command: { type: 'SET_REPORT_INTERVAL', intervalMs: 5_000 } };
    expect(await fails(srv.url, SEND, send, bearer('agent'))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await statuses(srv.url, 'cmd-s', bearer('reader'))).toEqual([]);

    const sent: Command = await ok(srv.url, SET_SAMPLING, vars, bearer('admin'));

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
    expect(await fails(srv.url, ACK, { id: sent.id, status: 'APPLIED' }, bearer('reader'))).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await fails(srv.url, ACK, { id: sent.id, status: 'APPLIED' })).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await ok(srv.url, ACK, { id: sent.id, status: 'APPLIED' }, bearer('agent'));
    expect(await statuses(srv.url, 'cmd-s', bearer('reader'))).toEqual([[500, 'APPLIED']]);
    expect(await fails(srv.url, LIST, { clientId: 'cmd-s' })).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await fails(srv.url, LIST, { clientId: 'cmd-s' }, bearer('agent'))).toMatchObject({
      code: 'FORBIDDEN',
    });
    stream.close();
    await agent.dispose();
  });
});

describe('agent commands: persistence and expiry', () => {
  it('keeps a PENDING command across a restart and delivers it after', async () => {
    const first = await startTestServer();
    const sent: Command = await ok(first.url, SET_SAMPLING, { clientId: 'cmd-r', intervalMs: 2_000 });
    await first.stop({ keepData: true });

    const srv = await startTestServer({ dataDir: first.dataDir });
    try {
      expect(await statuses(srv.url, 'cmd-r')).toEqual([[2_000, 'PENDING']]);
      const client = wsClient(srv.url);
      const stream = collect<{ agentCommands: Command }>(client, STREAM, { clientId: 'cmd-r' });
      await stream.until(1);
      expect(stream.events[0]?.agentCommands).toMatchObject({
        id: sent.id,
        intervalMs: 2_000,
        status: 'DELIVERED',
      });
      await ok(srv.url, ACK, { id: sent.id, status: 'APPLIED' });
      expect(await statuses(srv.url, 'cmd-r')).toEqual([[2_000, 'APPLIED']]);
      stream.close();
      await client.dispose();
    } finally {
      await srv.stop();
    }
  });

  it('expires a command past its expiresAt: shown EXPIRED, not delivered, not acknowledgeable', async () => {
    const T0 = Date.parse('2026-02-01T00:00:00.000Z');
    let now = T0;
    const srv = await startTestServer({ clock: { now: () => now } });
    try {
      const short: Command = await ok(srv.url, SET_SAMPLING, {
        clientId: 'cmd-x',
        intervalMs: 100,
        ttlSeconds: 60,
      });
      expect(short.expiresAt).toBe('2026-02-01T00:01:00.000Z');
      now = T0 + 59_999;
      expect(await statuses(srv.url, 'cmd-x')).toEqual([[100, 'PENDING']]);
      now = T0 + 60_000;
      const [expired] = (await ok(srv.url, LIST, { clientId: 'cmd-x' })) as Command[];
      expect(expired).toMatchObject({
        status: 'EXPIRED',
        updatedAt: '2026-02-01T00:01:00.000Z',
        message: 'not acknowledged before it expired (never delivered)',
      });

      // The subscriber's first event is the command sent after the expiry: the expired one, older, would come first.
      const fresh: Command = await ok(srv.url, SET_SAMPLING, { clientId: 'cmd-x', intervalMs: 200 });
      const client = wsClient(srv.url);
      const stream = collect<{ agentCommands: Command }>(client, STREAM, { clientId: 'cmd-x' });
      await stream.until(1);
      expect(stream.events.map((e) => e.agentCommands.id)).toEqual([fresh.id]);

      // A delivered command that is not acknowledged in time expires too; acknowledging it then fails.
      now = T0 + 60_000 + 3_600_000;
      const late = await fails(srv.url, ACK, { id: fresh.id, status: 'APPLIED' });
      expect(late).toMatchObject({ status: 410, code: 'COMMAND_EXPIRED', field: 'id' });
      expect(late.message).toMatch(/expired at 2026-02-01T01:01:00.000Z before it was acknowledged/);
      expect(await fails(srv.url, ACK, { id: short.id, status: 'APPLIED' })).toMatchObject({
        code: 'COMMAND_EXPIRED',
      });
      expect(await statuses(srv.url, 'cmd-x')).toEqual([
        [200, 'EXPIRED'],
        [100, 'EXPIRED'],
      ]);
      expect((await ok(srv.url, LIST, { clientId: 'cmd-x', status: 'EXPIRED' }))[0].message).toBe(
        'not acknowledged before it expired (delivered)',
      );
      stream.close();
      await client.dispose();
    } finally {
      await srv.stop();
    }
  });
});

describe('commands module', () => {
  const T0 = Date.parse('2026-03-01T00:00:00.000Z');
  let now = T0;
  let dataDir: string;
  let commands: Commands;
  let live: ServerLive;
  const ctx = (): Context => ({
    commands: commands.store,
    live,
    clock: { now: () => now },
    principal: { name: null, scopes: new Set(['admin']), clients: null, clientPatterns: null },
    limits: defaultLimits,
    // Not used by the command service functions.
    metrics: undefined as never,
    state: undefined as never,
    alerts: undefined as never,
  });
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mc-commands-'));
    live = createLive({ logger: createLogger('silent') });
    commands = createCommands({ dataDir, clock: { now: () => now }, logger: createLogger('silent') });
  });
  afterAll(async () => {
    await commands.stop();
    await live.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers once a command sent between registering the live listener and reading the pending ones', async () => {
    const earlier = await sendAgentCommand(ctx(), 'race', { type: 'SET_SAMPLING_INTERVAL', intervalMs: 100 });
    let between: AgentCommand | undefined;
    const store = commands.store;
    const racing: CommandStore = {
      ...store,
      // The listener is registered by now: a command sent here is both read below and published.
      unacknowledged: async (clientId, at) => {
        between = await sendAgentCommand({ ...ctx(), commands: store }, clientId, {
          type: 'SET_REPORT_INTERVAL',
          intervalMs: 5_000,
        });
        return store.unacknowledged(clientId, at);
      },
    };
    const stream = streamAgentCommands({ ...ctx(), commands: racing }, 'race')[Symbol.asyncIterator]();
    const first = await stream.next();
    const second = await stream.next();
    const later = await sendAgentCommand(ctx(), 'race', { type: 'SET_SAMPLING_INTERVAL', intervalMs: 200 });
    const third = await stream.next();
    expect([first.value?.id, second.value?.id, third.value?.id]).toEqual([earlier.id, between?.id, later.id]);
    expect([first.value?.status, second.value?.status, third.value?.status]).toEqual([
      'DELIVERED',
      'DELIVERED',
      'DELIVERED',
    ]);
    await stream.return?.();
  });

  it('marks overdue commands EXPIRED in the file on its timer check, and prunes final ones more than 30 days old', async () => {
    const sent = await sendAgentCommand(ctx(), 'timer', {
      type: 'SET_REPORT_INTERVAL',
      intervalMs: 1_000,
      ttlSeconds: 10,
    });
    const fileStatus = () => {
      const db = new Database(join(dataDir, 'commands.db'), { readonly: true });
      try {
        return (
          db.prepare('SELECT status FROM commands WHERE id = ?').get(sent.id) as
            | { status: string }
            | undefined
        )?.status;
      } finally {
        db.close();
      }
    };
    now += 10_000;
    expect(fileStatus()).toBe('PENDING');
    commands.check();
    expect(fileStatus()).toBe('EXPIRED');
    now += 30 * 86_400_000;
    commands.check();
    expect(fileStatus()).toBe('EXPIRED');
    now += 1;
    commands.check();
    expect(fileStatus()).toBeUndefined();
  });
});
