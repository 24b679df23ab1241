import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientSighting } from '@metrics-collector/schema/context';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStateStore } from '../src/stores/sqlite-state-store.js';

const sighting = (overrides: Partial<ClientSighting> = {}): ClientSighting => ({
  id: 'a',
  hostname: 'a.example',
  osType: 'Linux',
  osVersion: '6.1',
  coreCount: 4,
  seenAt: 1_000,
  ...overrides,
});

describe('SQLite client registry', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mc-state-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('registers a client on first sight and keeps first and last seen as the extremes', async () => {
    const store = createSqliteStateStore({ dataDir });
    await store.recordSighting(sighting({ seenAt: 5_000 }));
    await store.recordSighting(sighting({ seenAt: 9_000, hostname: null }));
    await store.recordSighting(sighting({ seenAt: 2_000 }));
    expect(await store.getClient('a')).toEqual({
      id: 'a',
      hostname: 'a.example',
      osType: 'Linux',
      osVersion: '6.1',
      coreCount: 4,
      firstSeen: 2_000,
      lastSeen: 9_000,
    });
    expect(await store.getClient('b')).toBeNull();
    await store.close();
  });

  it('commits a new client before it answers, so a crash right after keeps it', async () => {
    const store = createSqliteStateStore({ dataDir });
    await store.recordSighting(sighting());
    // A second handle on the same file sees the committed row while the first is still open.
    const reader = createSqliteStateStore({ dataDir });
    expect((await reader.listClients()).map((c) => c.id)).toEqual(['a']);
    await reader.close();
    await store.close();
  });

  it('writes a lastSeen that alone moved in the background and on close', async () => {
    const store = createSqliteStateStore({ dataDir, lastSeenFlushInterval: 60_000 });
    await store.recordSighting(sighting({ seenAt: 1_000 }));
    await store.recordSighting(sighting({ seenAt: 7_000 }));
    expect((await store.getClient('a'))?.lastSeen).toBe(7_000);
    await store.close();
    const reopened = createSqliteStateStore({ dataDir });
    expect((await reopened.getClient('a'))?.lastSeen).toBe(7_000);
    await reopened.close();
  });

  it('keeps the earliest first sighting when two first reports race', async () => {
    const store = createSqliteStateStore({ dataDir });
    await Promise.all([
      store.recordSighting(sighting({ seenAt: 20_000 })),
      store.recordSighting(sighting({ seenAt: 10_000 })),
    ]);
    await store.close();
    const reopened = createSqliteStateStore({ dataDir });
    expect(await reopened.getClient('a')).toMatchObject({ firstSeen: 10_000, lastSeen: 20_000 });
    await reopened.close();
  });

  it('survives a failed background write and writes the lastSeen on a later turn', async () => {
    let failures = 0;
    let failed: () => void = () => undefined;
    const firstFailure = new Promise<void>((resolve) => {
      failed = resolve;
    });
    const store = createSqliteStateStore({
      dataDir,
      lastSeenFlushInterval: 20,
      onBackgroundError: () => {
        failures += 1;
        failed();
      },
    });
    await store.recordSighting(sighting({ seenAt: 1_000 }));
    const locker = new Database(join(dataDir, 'state.db'));
    locker.exec('BEGIN EXCLUSIVE');
    await store.recordSighting(sighting({ seenAt: 8_000 }));
    await firstFailure;
    locker.exec('COMMIT');
    locker.close();
    await store.close();
    expect(failures).toBeGreaterThan(0);
    const reopened = createSqliteStateStore({ dataDir });
    expect((await reopened.getClient('a'))?.lastSeen).toBe(8_000);
    await reopened.close();
  });
});
