/**
 * The embedded store's two-part layout (server/src/metrics/sqlite/recent.ts): windows land in `recent` and
 * are merged into `points`. Every answer must be the same before and after a merge.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteMetricReads } from '../../src/metrics/sqlite/reads.js';
import { createSqliteMetricStore, type SqliteMetricStore } from '../../src/metrics/sqlite/store.js';
import { random } from '../helpers.js';
import { MINUTE, point, SECOND, select, T0 } from './contract.js';

let dataDir: string;
let store: SqliteMetricStore;
const open = () => createSqliteMetricStore({ dataDir, retention: null, mergeInterval: 0, reads: 'inline' });
const rows = (table: string) => {
  const db = new Database(join(dataDir, 'metrics.db'), { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
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

describe('SQLite store: recent windows merged into series order', () => {
  it('stores a window written, merged and rewritten once, the newer copy winning', async () => {
    await store.write([point({ windowStart: T0, mean: 0.2, min: 0.2, max: 0.2 })]);
    expect(await store.merge()).toBe(1);
    expect([rows('points'), rows('recent')]).toEqual([1, 0]);
    await store.write([point({ windowStart: T0, mean: 0.4, min: 0.4, max: 0.4 })]);
    expect([rows('points'), rows('recent')]).toEqual([0, 1]);
    expect(await means()).toEqual([[T0, 0.4, 10]]);
    await store.merge();
    expect([rows('points'), rows('recent')]).toEqual([1, 0]);
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
    expect([rows('points'), rows('recent')]).toEqual([4, 0]);
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
    // Fails the merge after its rows were copied into `points`, before they left `recent`.
    db.exec(`CREATE TRIGGER crash BEFORE DELETE ON recent BEGIN SELECT RAISE(ABORT, 'crash'); END`);
    await expect(store.merge()).rejects.toThrow('crash');
    expect([rows('points'), rows('recent')]).toEqual([0, 2]);
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
    // The merge runs in the write thread, a range of series per transaction, while the reads (inline,
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

  it('merges a large recent part in chunks of whole windows', async () => {
    const points = Array.from({ length: 30_000 }, (_, i) =>
      point({ clientId: `c${i % 3}`, windowStart: T0 + Math.floor(i / 3) * 1000 }),
    );
    await store.write(points);
    expect(await store.merge()).toBe(30_000);
    expect([rows('points'), rows('recent')]).toEqual([30_000, 0]);
  });

  it('lets ingest through between the chunks of a merge, more than one write per chunk', async () => {
    // 200 series × 100 windows: 8 chunks, 2 slices of 62 and 38 windows × 4 ranges of 64 series (recent.ts).
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
    expect(rows('recent') + rows('points')).toBe(20_000 + written);
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

  it('reads one series bucket by bucket with exactly the numbers of the grouped statement', async () => {
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
      if (i === 250) {
        await store.write(windows.splice(0));
        await store.merge();
      }
    }
    await store.write(windows);
    const db = new Database(join(dataDir, 'metrics.db'), { readonly: true });
    try {
      const byBucket = new SqliteMetricReads(db);
      const grouped = new SqliteMetricReads(db, { bucketLoopMax: 0 });
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
      ];
      let answered = 0;
      for (const selector of cases) {
        for (const width of [10 * SECOND, 45 * SECOND, MINUTE, 7 * MINUTE]) {
          const expected = grouped.history(selector, width, 'MEAN');
          expect(byBucket.history(selector, width, 'MEAN')).toEqual(expected);
          if (expected.length > 0) answered += 1;
        }
      }
      expect(answered).toBe(16);
      // Both parts hold windows of the first case, so the two were pooled on both paths.
      expect(rows('points')).toBeGreaterThan(0);
      expect(rows('recent')).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});
