import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendAgentCommand, streamAgentCommands } from '@metrics-collector/schema/commands/service';
import type { AgentCommand, CommandStore } from '@metrics-collector/schema/commands/types';
import type { Context } from '@metrics-collector/schema/context';
import { defaultLimits } from '@metrics-collector/schema/limits';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Commands, createCommands } from '../../src/commands/index.js';
import { createLive, type ServerLive } from '../../src/live/index.js';
import { createLogger } from '../../src/logger.js';

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
    await commands.check();
    expect(fileStatus()).toBe('EXPIRED');
    now += 30 * 86_400_000;
    await commands.check();
    expect(fileStatus()).toBe('EXPIRED');
    now += 1;
    await commands.check();
    expect(fileStatus()).toBeUndefined();
  });
});
