import type { NewAgentCommand } from '@metrics-collector/schema/commands/types';
import { expect, it } from 'vitest';
import { describeStateContract } from './contract.js';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const command = (overrides: Partial<NewAgentCommand> = {}): NewAgentCommand => ({
  clientId: 'a',
  type: 'SET_SAMPLING_INTERVAL',
  intervalMs: 1_000,
  createdAt: T0,
  expiresAt: T0 + 60_000,
  ...overrides,
});

describeStateContract((ctx) => {
  it('queues PENDING commands: listed newest first, unacknowledged oldest first, by client and status', async () => {
    const { commands } = ctx.open();
    const first = await commands.enqueue(command());
    const second = await commands.enqueue(command({ intervalMs: 2_000, createdAt: T0 + 1 }));
    await commands.enqueue(command({ clientId: 'b' }));
    expect(first).toMatchObject({ clientId: 'a', status: 'PENDING', message: null, updatedAt: T0 });
    const ids = (list: { id: string }[]) => list.map((c) => c.id);
    expect(ids(await commands.list('a', { status: null, limit: 10, now: T0 }))).toEqual([
      second.id,
      first.id,
    ]);
    expect(ids(await commands.list('a', { status: null, limit: 1, now: T0 }))).toEqual([second.id]);
    expect(ids(await commands.unacknowledged('a', T0))).toEqual([first.id, second.id]);
    await commands.deliver(first.id, T0 + 5);
    expect(ids(await commands.list('a', { status: 'PENDING', limit: 10, now: T0 }))).toEqual([second.id]);
    expect(await commands.get(first.id, T0 + 6)).toMatchObject({ status: 'DELIVERED', updatedAt: T0 + 5 });
    expect(await commands.get('unknown', T0)).toBeNull();
  });

  it('delivers a PENDING command, again while DELIVERED, never once acknowledged', async () => {
    const { commands } = ctx.open();
    const sent = await commands.enqueue(command());
    expect(await commands.deliver(sent.id, T0 + 1)).toMatchObject({ status: 'DELIVERED', updatedAt: T0 + 1 });
    expect(await commands.deliver(sent.id, T0 + 2)).toMatchObject({ status: 'DELIVERED', updatedAt: T0 + 1 });
    const acked = await commands.acknowledge(sent.id, 'FAILED', 'no such collector', T0 + 3);
    expect(acked).toMatchObject({
      result: 'acknowledged',
      command: { status: 'FAILED', message: 'no such collector' },
    });
    expect(await commands.deliver(sent.id, T0 + 4)).toBeNull();
    expect(await commands.deliver('unknown', T0 + 4)).toBeNull();
    expect(await commands.unacknowledged('a', T0 + 4)).toEqual([]);
  });

  it('acknowledges a PENDING or DELIVERED command once: then final, an unknown id not-found', async () => {
    const { commands } = ctx.open();
    const pending = await commands.enqueue(command());
    expect(await commands.acknowledge(pending.id, 'APPLIED', null, T0 + 1)).toMatchObject({
      result: 'acknowledged',
      command: { status: 'APPLIED', updatedAt: T0 + 1 },
    });
    expect(await commands.acknowledge(pending.id, 'FAILED', 'late', T0 + 2)).toMatchObject({
      result: 'final',
      command: { status: 'APPLIED', message: null, updatedAt: T0 + 1 },
    });
    expect(await commands.acknowledge('unknown', 'APPLIED', null, T0)).toEqual({ result: 'not-found' });
  });

  it('expires an overdue command on every read and transition: shown EXPIRED, never delivered or acknowledged', async () => {
    const { commands } = ctx.open();
    const never = await commands.enqueue(command({ expiresAt: T0 + 10 }));
    const delivered = await commands.enqueue(command({ expiresAt: T0 + 10 }));
    await commands.deliver(delivered.id, T0 + 5);
    expect(await commands.deliver(never.id, T0 + 10)).toBeNull();
    expect(await commands.acknowledge(delivered.id, 'APPLIED', null, T0 + 11)).toMatchObject({
      result: 'final',
      command: {
        status: 'EXPIRED',
        updatedAt: T0 + 10,
        message: 'not acknowledged before it expired (delivered)',
      },
    });
    expect(await commands.get(never.id, T0 + 11)).toMatchObject({
      status: 'EXPIRED',
      message: 'not acknowledged before it expired (never delivered)',
    });
    expect(await commands.unacknowledged('a', T0 + 11)).toEqual([]);
  });

  it("expires and prunes on the timer's check: final commands older than 30 days are deleted", async () => {
    const { commands, expire } = ctx.open();
    const sent = await commands.enqueue(command({ expiresAt: T0 + 10 }));
    ctx.now = T0 + 10;
    await expire();
    ctx.now = T0 + 10 + 30 * 86_400_000;
    await expire();
    expect(await commands.get(sent.id, ctx.now)).toMatchObject({ status: 'EXPIRED' });
    ctx.now += 1;
    await expire();
    expect(await commands.get(sent.id, ctx.now)).toBeNull();
  });

  it('keeps the queue across a restart', async () => {
    const first = ctx.open();
    const sent = await first.commands.enqueue(command());
    await first.close();
    expect(await ctx.open().commands.unacknowledged('a', T0)).toMatchObject([
      { id: sent.id, status: 'PENDING' },
    ]);
  });

  if (ctx.shared) {
    it('lets replicas share the queue: sent through one, delivered by another, acknowledged once of many', async () => {
      const replicas = [ctx.open(), ctx.open(), ctx.open()];
      const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
      const sent = await a.commands.enqueue(command());
      expect(await b.commands.unacknowledged('a', T0)).toMatchObject([{ id: sent.id }]);
      const delivered = await Promise.all(replicas.map((r) => r.commands.deliver(sent.id, T0 + 1)));
      expect(delivered.map((c) => c?.status)).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED']);
      // Agents retrying through every replica at once: one acknowledgement counts.
      const answers = await Promise.all(
        replicas.flatMap((r, i) => [
          r.commands.acknowledge(sent.id, 'APPLIED', null, T0 + 2 + i),
          r.commands.acknowledge(sent.id, 'FAILED', `from ${i}`, T0 + 2 + i),
        ]),
      );
      expect(answers.filter((x) => x.result === 'acknowledged')).toHaveLength(1);
      expect(answers.filter((x) => x.result === 'final')).toHaveLength(5);
      const stored = await b.commands.get(sent.id, T0 + 10);
      const winner = answers.find((x) => x.result === 'acknowledged');
      expect(winner?.result === 'acknowledged' && winner.command).toEqual(stored);
    });
  }
});
