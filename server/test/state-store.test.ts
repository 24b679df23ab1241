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

describe('SQLite client registry', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mc-state-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('pages the registry by id: first, after, the last page short, new clients in their place', async () => {
    const store = createSqliteStateStore({ dataDir });
    for (const id of ['c', 'a', 'e', 'b', 'd']) await store.recordSighting(sighting({ id }));
    const ids = async (first: number, after: string | null) =>
      (await store.listClients({ first, after })).map((c) => c.id);
    expect(await ids(2, null)).toEqual(['a', 'b']);
    expect(await ids(2, 'b')).toEqual(['c', 'd']);
    expect(await ids(2, 'd')).toEqual(['e']);
    expect(await ids(2, 'e')).toEqual([]);
    // `after` need not be a registered id: the page starts at the next id in order.
    expect(await ids(10, 'bb')).toEqual(['c', 'd', 'e']);
    await store.recordSighting(sighting({ id: 'cc' }));
    expect(await ids(2, 'c')).toEqual(['cc', 'd']);
    expect(await store.countClients()).toBe(6);
    await store.close();
  });

  it('forgets a client: gone from every read and after a restart, registered anew by its next sighting', async () => {
    const store = createSqliteStateStore({ dataDir, lastSeenFlushInterval: 60_000 });
    for (const id of ['a', 'b', 'c']) await store.recordSighting(sighting({ id }));
    // A lastSeen advance still in memory must not bring it back when it is flushed.
    await store.recordSighting(sighting({ id: 'b', seenAt: 2_000 }));
    expect(await store.forgetClient('b')).toMatchObject({ id: 'b', firstSeen: 1_000, lastSeen: 2_000 });
    expect(await store.forgetClient('b')).toBeNull();
    expect(await store.forgetClient('nobody')).toBeNull();
    expect(await store.getClient('b')).toBeNull();
    expect((await store.listClients({ first: 10, after: null })).map((c) => c.id)).toEqual(['a', 'c']);
    expect(await store.countClients()).toBe(2);
    await store.close();
    const reopened = createSqliteStateStore({ dataDir });
    expect(await reopened.getClient('b')).toBeNull();
    expect(await reopened.countClients()).toBe(2);
    await reopened.recordSighting(sighting({ id: 'b', seenAt: 7_000 }));
    expect(await reopened.getClient('b')).toMatchObject({ firstSeen: 7_000, lastSeen: 7_000 });
    await reopened.close();
  });

  it('forgets a client whose first sighting is still being committed: it is not registered after all', async () => {
    const store = createSqliteStateStore({ dataDir });
    const recorded = store.recordSighting(sighting({ id: 'racing' }));
    const forgotten = store.forgetClient('racing');
    await recorded;
    expect(await forgotten).toMatchObject({ id: 'racing' });
    expect(await store.getClient('racing')).toBeNull();
    await store.close();
  });

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

  it("keeps the newest window's host details: an older sighting does not change them, a newer one does", async () => {
    const store = createSqliteStateStore({ dataDir });
    await store.recordSighting(sighting({ seenAt: 5_000, hostname: 'new', osVersion: '6.8', coreCount: 8 }));
    // A backlog window from before an outage, sent after the newer one.
    await store.recordSighting(sighting({ seenAt: 3_000, hostname: 'old', osVersion: '6.1', coreCount: 4 }));
    expect(await store.getClient('a')).toMatchObject({
      hostname: 'new',
      osVersion: '6.8',
      coreCount: 8,
      firstSeen: 3_000,
      lastSeen: 5_000,
    });
    await store.recordSighting(sighting({ seenAt: 6_000, hostname: 'newer', osVersion: '6.9' }));
    expect(await store.getClient('a')).toMatchObject({
      hostname: 'newer',
      osVersion: '6.9',
      coreCount: 4,
      firstSeen: 3_000,
      lastSeen: 6_000,
    });
    await store.close();
  });

  it('lets an older sighting fill details that are still unknown, and only those', async () => {
    const store = createSqliteStateStore({ dataDir });
    await store.recordSighting(
      sighting({ seenAt: 5_000, hostname: 'new', osType: null, osVersion: null, coreCount: null }),
    );
    await store.recordSighting(sighting({ seenAt: 3_000, hostname: 'old', osVersion: '6.1', coreCount: 4 }));
    expect(await store.getClient('a')).toMatchObject({
      hostname: 'new',
      osType: 'Linux',
      osVersion: '6.1',
      coreCount: 4,
      firstSeen: 3_000,
      lastSeen: 5_000,
    });
    await store.close();
  });

  it("keeps the newest window's details across a close and reopen", async () => {
    const store = createSqliteStateStore({ dataDir });
    await store.recordSighting(sighting({ seenAt: 5_000, hostname: 'new' }));
    await store.close();
    const reopened = createSqliteStateStore({ dataDir });
    await reopened.recordSighting(sighting({ seenAt: 3_000, hostname: 'old', osVersion: '5.4' }));
    expect(await reopened.getClient('a')).toMatchObject({
      hostname: 'new',
      osVersion: '6.1',
      firstSeen: 3_000,
    });
    await reopened.close();
    const again = createSqliteStateStore({ dataDir });
    expect(await again.getClient('a')).toMatchObject({
      hostname: 'new',
      osVersion: '6.1',
      firstSeen: 3_000,
      lastSeen: 5_000,
    });
    await again.close();
  });

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
