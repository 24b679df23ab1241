import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientSighting } from '@metrics-collector/schema/clients/types';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStateStore } from '../src/clients/sqlite-store.js';

const sighting = (overrides: Partial<ClientSighting> = {}): ClientSighting => ({
  id: 'a',
  hostname: 'a.example',
  osType: 'Linux',
  osVersion: '6.1',
  coreCount: 4,
  seenAt: 1_000,
  ...overrides,
});

// What every StateStore does is in state-contract/clients.test.ts; here, what only the SQLite one does.
describe('SQLite client registry', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mc-state-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('commits a new client before it answers, so a crash right after keeps it', async () => {
    const store = createSqliteStateStore({ dataDir });
    await store.recordSighting(sighting());
    // A second handle on the same file sees the committed row while the first is still open.
    const reader = createSqliteStateStore({ dataDir });
    expect((await reader.listClients({ first: 100, after: null })).map((c) => c.id)).toEqual(['a']);
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
