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

  it('writes the moved lastSeen of a fleet larger than one background transaction, all of it', async () => {
    const store = createSqliteStateStore({ dataDir, lastSeenFlushInterval: 20 });
    const ids = Array.from({ length: 1_200 }, (_, i) => `host-${i}`);
    await Promise.all(ids.map((id) => store.recordSighting(sighting({ id, seenAt: 1_000 }))));
    for (const id of ids) await store.recordSighting(sighting({ id, seenAt: 9_000 }));
    // Read from a second connection while the store stays open: only the background flush writes these.
    const reader = new Database(join(dataDir, 'state.db'), { readonly: true });
    const written = reader.prepare('SELECT count(*) FROM clients WHERE last_seen = 9000').pluck();
    const deadline = Date.now() + 30_000;
    while ((written.get() as number) < ids.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(written.get()).toBe(ids.length);
    reader.close();
    await store.close();
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
