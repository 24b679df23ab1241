/**
 * The embedded store's two-part layout (server/src/metrics/sqlite/inbox.ts): windows land in the inbox, a
 * row per report, and are merged into blocks of a series' windows. Every answer must be the same before
 * and after a merge.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteMetricStore, type SqliteMetricStore } from '../../src/metrics/sqlite/store.js';
import { random } from '../helpers.js';
import { MINUTE, point, SECOND, select, T0 } from './contract.js';

let dataDir: string;
let store: SqliteMetricStore;
const open = () => createSqliteMetricStore({ dataDir, retention: null, mergeInterval: 0, reads: 'inline' });
/** Windows stored in `blocks` or in the inbox: both hold 7 float64s per window in their blobs. */
const rows = (part: 'blocks' | 'inbox') => {
  const db = new Database(join(dataDir, 'metrics.db'), { readonly: true });
  try {
    return db.prepare(`SELECT coalesce(sum(length(data)), 0) / 56 FROM ${part}`).pluck().get() as number;
  } finally {
    db.close();
  }
};
const means = async () =>
  (await store.history(select(), MINUTE, 'MEAN')).map((b) => [b.start, b.mean, b.count]);

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'mc-merge-'));
  store = open();
});
afterEach(async () => {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('SQLite store: inbox windows merged into blocks', () => {
  it('stores a window written, merged and rewritten once, the newer copy winning', async () => {
    await store.write([point({ windowStart: T0, mean: 0.2, min: 0.2, max: 0.2 })]);
    expect(await store.merge()).toBe(1);
    expect([rows('blocks'), rows('inbox')]).toEqual([1, 0]);
    await store.write([point({ windowStart: T0, mean: 0.4, min: 0.4, max: 0.4 })]);
    // The new copy waits in the inbox, over the block's until the next merge replaces it there.
    expect([rows('blocks'), rows('inbox')]).toEqual([1, 1]);
    expect(await means()).toEqual([[T0, 0.4, 10]]);
    await store.merge();
    expect([rows('blocks'), rows('inbox')]).toEqual([1, 0]);
    expect(await means()).toEqual([[T0, 0.4, 10]]);
  });

  it('answers history and summaries from both parts, the same before and after the merge', async () => {
    await store.write([
      point({ windowStart: T0, mean: 0.2 }),
      point({ windowStart: T0 + 10_000, mean: 0.4 }),
    ]);
    await store.merge();
    await store.write([
      point({ windowStart: T0 + 20_000, mean: 0.9 }),
      point({ windowStart: T0 + MINUTE, mean: 0.6 }),
    ]);
    // A group with windows in both parts is pooled from each part's sums: the same to 12 digits, not
    // always to the last bit.
    const rounded = (rows: object[]) =>
      rows.map((row) =>
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number((v as number).toPrecision(12))])),
      );
    const answers = async () => ({
      history: rounded(await store.history(select(), MINUTE, 'P90')),
      summary: await store.summarize(select(), 'LAST'),
    });
    const before = await answers();
    expect(before.history.map((b) => [b.start, b.count, b.value])).toEqual([
      [T0, 30, 0.9],
      [T0 + MINUTE, 10, 0.6],
    ]);
    expect(before.summary.map((s) => s.value)).toEqual([0.6]);
    await store.merge();
    expect([rows('blocks'), rows('inbox')]).toEqual([4, 0]);
    expect(await answers()).toEqual(before);
  });

  it('deletes windows out of retention from both parts', async () => {
    await store.write([point({ windowStart: T0 }), point({ windowStart: T0 + 10 * MINUTE })]);
    await store.merge();
    await store.write([point({ windowStart: T0 + 10_000 }), point({ windowStart: T0 + 40 * MINUTE })]);
    await store.close();
    store = createSqliteMetricStore({
      dataDir,
      retention: 35 * MINUTE,
      retentionInterval: 0,
      mergeInterval: 0,
      reads: 'inline',
    });
    expect(await store.enforceRetention()).toBe(2);
    expect((await store.history(select(), MINUTE, 'MEAN')).map((b) => b.start)).toEqual([
      T0 + 10 * MINUTE,
      T0 + 40 * MINUTE,
    ]);
  });

  it('merges a chunk in one transaction: a failure half-way leaves every window in one part', async () => {
    await store.write([
      point({ windowStart: T0, mean: 0.3 }),
      point({ windowStart: T0 + 10_000, mean: 0.5 }),
    ]);
    const db = new Database(join(dataDir, 'metrics.db'));
    // Fails the merge after its windows were written as blocks, before they left the inbox.
    db.exec(`CREATE TRIGGER crash BEFORE DELETE ON inbox BEGIN SELECT RAISE(ABORT, 'crash'); END`);
    await expect(store.merge()).rejects.toThrow('crash');
    expect([rows('blocks'), rows('inbox')]).toEqual([0, 2]);
    expect(await means()).toEqual([[T0, 0.4, 20]]);
    db.exec('DROP TRIGGER crash');
    db.close();
    expect(await store.merge()).toBe(2);
    expect(await means()).toEqual([[T0, 0.4, 20]]);
  });

  it('answers from one snapshot while a merge moves windows between the parts', async () => {
    const points = Array.from({ length: 6_000 }, (_, i) =>
      point({ clientId: `c${i % 3}`, windowStart: T0 + Math.floor(i / 3) * 1000 }),
    );
    await store.write(points);
    const total = points.length * point({ windowStart: T0 }).count;
    const counted = async () =>
      (await store.summarize(select({ clientId: null, to: T0 + 3 * 3_600_000 }), 'COUNT')).reduce(
        (sum, s) => sum + s.count,
        0,
      );
    // The merge runs in the write thread, a range of clients per transaction, while the reads (inline,
    // on this thread) go on: every answer must count every window once.
    const merging = store.merge();
    let done = false;
    void merging.finally(() => {
      done = true;
    });
    const answers: number[] = [];
    while (!done) {
      answers.push(await counted());
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await merging).toBe(6_000);
    expect(new Set([...answers, await counted()])).toEqual(new Set([total]));
  });

  it('merges a large inbox in chunks of whole windows', async () => {
    const points = Array.from({ length: 30_000 }, (_, i) =>
      point({ clientId: `c${i % 3}`, windowStart: T0 + Math.floor(i / 3) * 1000 }),
    );
    await store.write(points);
    expect(await store.merge()).toBe(30_000);
    expect([rows('blocks'), rows('inbox')]).toEqual([30_000, 0]);
  });

  it('lets ingest through between the chunks of a merge, more than one write per chunk', async () => {
    // 200 clients × 100 windows: 26 chunks, 2 slices of 62 and 38 windows × 13 ranges of 16 clients (inbox.ts).
    const points = Array.from({ length: 20_000 }, (_, i) =>
      point({ clientId: `c${i % 200}`, windowStart: T0 + Math.floor(i / 200) * 10_000 }),
    );
    await store.write(points);
    const merging = store.merge();
    let done = false;
    void merging.finally(() => {
      done = true;
    });
    // One writer, one write at a time, as a steady stream of reports: the main thread sends a group only
    // once the previous one is answered, so a merge that yields one turn per chunk lets one through.
    let written = 0;
    while (!done) {
      await store.write([point({ clientId: 'live', windowStart: T0 + written * 10_000 })]);
      written += 1;
    }
    expect(await merging).toBe(20_000);
    expect(written).toBeGreaterThanOrEqual(30);
    expect(rows('inbox') + rows('blocks')).toBe(20_000 + written);
  });

  it('reads a database of the old layout (schema version 1) and writes on top of it', async () => {
    await store.close();
    rmSync(join(dataDir, 'metrics.db'));
    const old = new Database(join(dataDir, 'metrics.db'));
    old.exec(`CREATE TABLE series (id INTEGER PRIMARY KEY, client_id TEXT NOT NULL, metric TEXT NOT NULL,
                core INTEGER NOT NULL, UNIQUE (metric, core, client_id));
              CREATE TABLE points (series_id INTEGER NOT NULL REFERENCES series (id), window_start INTEGER NOT NULL,
                window_end INTEGER NOT NULL, count INTEGER NOT NULL, mean REAL NOT NULL, variance REAL NOT NULL,
                min REAL NOT NULL, max REAL NOT NULL, PRIMARY KEY (series_id, window_start)) WITHOUT ROWID;
              INSERT INTO series VALUES (1, 'a', 'cpu.utilization', -1);
              INSERT INTO points VALUES (1, ${T0}, ${T0 + 10_000}, 10, 0.2, 0, 0.2, 0.2);
              PRAGMA user_version = 1;`);
    old.close();
    store = open();
    expect(await means()).toEqual([[T0, 0.2, 10]]);
    await store.write([
      point({ windowStart: T0, mean: 0.6 }),
      point({ windowStart: T0 + 10_000, mean: 0.8 }),
    ]);
    expect(await means()).toEqual([[T0, 0.7, 20]]);
    await store.merge();
    expect(await means()).toEqual([[T0, 0.7, 20]]);
  });

  it('repacks a database of schema version 2 (points and recent) into blocks and the inbox', async () => {
    await store.close();
    rmSync(join(dataDir, 'metrics.db'));
    const old = new Database(join(dataDir, 'metrics.db'));
    const columns = `series_id INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
                     count INTEGER NOT NULL, mean REAL NOT NULL, variance REAL NOT NULL, min REAL NOT NULL,
                     max REAL NOT NULL`;
    old.exec(`CREATE TABLE series (id INTEGER PRIMARY KEY, client_id TEXT NOT NULL, metric TEXT NOT NULL,
                core INTEGER NOT NULL, UNIQUE (metric, core, client_id));
              CREATE TABLE points (${columns}, PRIMARY KEY (series_id, window_start)) WITHOUT ROWID;
              CREATE TABLE recent (${columns}, PRIMARY KEY (window_start, series_id)) WITHOUT ROWID;
              INSERT INTO series VALUES (1, 'a', 'cpu.utilization', -1), (2, 'b', 'cpu.utilization', -1);
              INSERT INTO points VALUES (1, ${T0}, ${T0 + 10_000}, 10, 0.2, 0, 0.2, 0.2),
                                        (1, ${T0 + 10_000}, ${T0 + 20_000}, 10, 0.4, 0, 0.4, 0.4);
              INSERT INTO recent VALUES (1, ${T0 + 20_000}, ${T0 + 30_000}, 20, 0.9, 0, 0.9, 0.9),
                                        (2, ${T0 + 20_000}, ${T0 + 30_000}, 10, 0.3, 0, 0.3, 0.3);
              PRAGMA user_version = 2;`);
    old.close();
    store = open();
    expect([rows('blocks'), rows('inbox')]).toEqual([2, 2]);
    const summary = async () =>
      (await store.summarize(select({ clientId: null }), 'COUNT')).map((s) => [s.clientId, s.count, s.mean]);
    expect(await summary()).toEqual([
      ['a', 40, 0.6],
      ['b', 10, 0.3],
    ]);
    await store.write([point({ clientId: 'b', windowStart: T0 + 20_000, mean: 0.5, min: 0.5, max: 0.5 })]);
    await store.merge();
    expect([rows('blocks'), rows('inbox')]).toEqual([4, 0]);
    expect(await summary()).toEqual([
      ['a', 40, 0.6],
      ['b', 10, 0.5],
    ]);
  });

  it('answers the same with every window in the inbox, in blocks, or split between them', async () => {
    const next = random(7);
    const windows = [];
    for (let i = 0; i < 400; i += 1) {
      // Gaps (buckets with no window, or one), and values large enough for rounding to show.
      if (next() < 0.3) continue;
      const mean = 1e9 + next() * 1e3;
      for (const [clientId, core] of [
        ['a', null],
        ['a', 0],
        ['a', 1],
        ['b', null],
      ] as const) {
        windows.push(
          point({
            clientId,
            core,
            windowStart: T0 + i * 10 * SECOND,
            mean,
            variance: next() * 10,
            min: mean - next(),
            max: mean + next(),
            count: 1 + Math.floor(next() * 20),
          }),
        );
      }
    }
    const cases = [
      select({ from: T0, to: T0 + 70 * MINUTE }),
      select({
        metric: 'CPU_CORE_UTILIZATION',
        core: 1,
        from: T0 + 7 * SECOND,
        to: T0 + 41 * MINUTE + 3 * SECOND,
      }),
      select({ metric: 'CPU_CORE_UTILIZATION', core: null }),
      select({ clientId: 'b', from: T0 - MINUTE, to: T0 + 30 * MINUTE }),
      select({ clientId: 'c' }),
      select({ clientId: null }),
    ];
    const twelve = (rows: object[]) =>
      rows.map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(12)) : v]),
        ),
      );
    const answers = async () => {
      const all = [];
      for (const selector of cases) {
        for (const width of [10 * SECOND, 45 * SECOND, MINUTE, 7 * MINUTE])
          all.push(twelve(await store.history(selector, width, 'MEAN')));
        all.push(twelve(await store.summarize(selector, 'P90')));
      }
      return all;
    };
    // Half merged, half in the inbox; all in the inbox (a fresh store); all merged.
    await store.write(windows.slice(0, windows.length / 2));
    await store.merge();
    await store.write(windows.slice(windows.length / 2));
    expect(rows('blocks')).toBeGreaterThan(0);
    expect(rows('inbox')).toBeGreaterThan(0);
    const split = await answers();
    expect(split.filter((a) => a.length > 0)).toHaveLength(25);
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
    dataDir = mkdtempSync(join(tmpdir(), 'mc-merge-'));
    store = open();
    await store.write(windows);
    expect(await answers()).toEqual(split);
    await store.merge();
    expect(rows('inbox')).toBe(0);
    expect(await answers()).toEqual(split);
  });
});
