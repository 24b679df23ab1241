import { describe, expect, it } from 'vitest';
import { fails, ok, startTestServer } from '../helpers.js';
import { collect, wsClient } from '../ws-helpers.js';
import { ACK, type Command, LIST, SET_SAMPLING, STREAM, statuses } from './cases.js';

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
