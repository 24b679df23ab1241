/**
 * The embedded store's write thread (server/src/metrics/sqlite/write-pool.ts, write-thread.ts): writes of
 * one turn of the event loop travel as one group and commit in one transaction; a group that fails is
 * retried item by item, so only the bad write is refused and nothing of it is stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteMetricStore, type SqliteMetricStore } from '../../src/metrics/sqlite/store.js';
import { MINUTE, point, select, T0 } from './contract.js';

let dataDir: string;
let store: SqliteMetricStore;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'mc-write-thread-'));
  store = createSqliteMetricStore({ dataDir, retention: null, mergeInterval: 0, reads: 'inline' });
});
afterEach(async () => {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Makes every insert of a window of the clients 'b', 'new' and 'bad' fail, from another connection. */
function refuseBadClients(): () => void {
  const db = new Database(join(dataDir, 'metrics.db'));
  db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON inbox WHEN NEW.client_id IN ('b', 'new', 'bad')
           BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
  return () => {
    db.exec('DROP TRIGGER refuse');
    db.close();
  };
}

const clients = async () =>
  (await store.summarize(select({ clientId: null }), 'COUNT')).map((s) => s.clientId).sort();

describe('the write thread', () => {
  it('refuses only the write whose transaction failed, with nothing of it stored', async () => {
    await store.write([point({ clientId: 'warm-up', windowStart: T0 + 30 * MINUTE })]);
    const drop = refuseBadClients();
    const outcomes = await Promise.allSettled([
      store.write([
        point({ clientId: 'a', windowStart: T0 }),
        point({ clientId: 'a', windowStart: T0 + 10_000 }),
      ]),
      store.write([
        point({ clientId: 'b', windowStart: T0 }),
        point({ clientId: 'b', windowStart: T0 + 10_000 }),
      ]),
      store.write([point({ clientId: 'c', windowStart: T0 })]),
    ]);
    drop();
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const refused = (outcomes[1] as PromiseRejectedResult).reason;
    expect(refused).toMatchObject({ code: 'STORE_UNAVAILABLE', extensions: { outcome: 'NOT_STORED' } });
    expect(await clients()).toEqual(['a', 'c', 'warm-up']);
  });

  it('writes a client again after its first write rolled back (its series ids were not kept)', async () => {
    const drop = refuseBadClients();
    await expect(store.write([point({ clientId: 'new', windowStart: T0 })])).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    drop();
    await store.write([point({ clientId: 'new', windowStart: T0, mean: 0.5 })]);
    expect(await clients()).toEqual(['new']);
    const [bucket] = await store.history(select({ clientId: 'new' }), MINUTE, 'MEAN');
    expect(bucket).toMatchObject({ start: T0, mean: 0.5 });
  });

  it('gives each write its own outcome when groups of several turns commit together', async () => {
    // An insert of client 'slow' keeps the thread busy for a while: the groups of the next turns arrive
    // meanwhile and are committed together, in one transaction, after it.
    const db = new Database(join(dataDir, 'metrics.db'));
    db.exec(`CREATE TRIGGER slow BEFORE INSERT ON inbox WHEN NEW.client_id = 'slow' BEGIN
               SELECT count(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c
               WHERE x < 2000000) SELECT x FROM c);
             END`);
    const drop = refuseBadClients();
    const writes: Promise<void>[] = [store.write([point({ clientId: 'slow', windowStart: T0 })])];
    for (let turn = 0; turn < 5; turn += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      for (let i = 0; i < 3; i += 1) {
        const bad = turn === 3 && i === 1;
        const clientId = bad ? 'bad' : `t${turn}-${i}`;
        writes.push(store.write([point({ clientId, windowStart: T0 })]));
      }
    }
    const outcomes = await Promise.allSettled(writes);
    drop();
    db.exec('DROP TRIGGER slow');
    db.close();
    const refused = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i] : []));
    expect(refused).toEqual([1 + 3 * 3 + 1]);
    const stored = Array.from({ length: 5 }, (_, t) => [0, 1, 2].map((i) => `t${t}-${i}`)).flat();
    expect(await clients()).toEqual([...stored.filter((c) => c !== 't3-1'), 'slow'].sort());
  });

  it('stores many writes of one turn, each acknowledged only once readable', async () => {
    const writes = Array.from({ length: 500 }, (_, i) =>
      store.write([point({ clientId: `host-${i % 50}`, windowStart: T0 + Math.floor(i / 50) * 10_000 })]),
    );
    await Promise.all(writes);
    const summary = await store.summarize(select({ clientId: null }), 'COUNT');
    expect(summary).toHaveLength(50);
    expect(summary.reduce((sum, s) => sum + s.count, 0)).toBe(500 * point({ windowStart: T0 }).count);
  });
});
