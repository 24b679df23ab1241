/**
 * `npx tsx bench/layouts.ts`: the metric store's write layouts compared directly on better-sqlite3, on the
 * data disk (the repo's folder unless BENCH_DATA_DIR says otherwise), WAL + `synchronous=FULL`.
 *
 * For N = 1, 50, 1,000 distinct clients, group commits of 20 reports × 9 rows (each report a new window of
 * its client, clients in turn), on a table that already holds 100 windows of every series:
 *   a. today's `points` keyed (series_id, window_start);
 *   b. `points` keyed time-first (window_start, series_id);
 *   c. a time-ordered `recent` table + a background merge into the series-ordered `points` (a rewrite of a
 *      merged window also deletes it from `points`: a key lives in one table; new windows skip that probe);
 *   d. time-first key plus a secondary index (series_id, window_start) for the reads.
 * Prints commit ms (median, p90), reports/s of the store alone (for c with the merges included, one merge
 * every MERGE_EVERY commits) and the merge's ms. Then the 7-day history of one client among 1,000 at 15 m on
 * each layout (the client: 10-s windows, 9 series; 999 others: one series at 5-minute windows).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

type Layout = 'a' | 'b' | 'c' | 'd';
const LAYOUTS: Layout[] = ['a', 'b', 'c', 'd'];
const ROWS = 9;
const GROUP = 20;
const WINDOW = 10_000;
const COMMITS = Number(process.env.LAYOUT_COMMITS ?? 300);
const SEED = Number(process.env.LAYOUT_SEED ?? 300);
const MERGE_EVERY = Number(process.env.LAYOUT_MERGE_EVERY ?? 50);
const cols =
  'window_end INTEGER NOT NULL, count INTEGER NOT NULL, mean REAL NOT NULL, variance REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL';
const fields = 'series_id, window_start, window_end, count, mean, variance, min, max';

const root = process.env.BENCH_DATA_DIR ?? join(process.cwd(), '.bench-data');
mkdirSync(root, { recursive: true });

function open(layout: Layout): { db: Database.Database; dir: string } {
  const dir = mkdtempSync(join(root, `layout-${layout}-`));
  const db = new Database(join(dir, 'metrics.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const key = layout === 'a' || layout === 'c' ? 'series_id, window_start' : 'window_start, series_id';
  db.exec(`CREATE TABLE series (id INTEGER PRIMARY KEY, client_id TEXT NOT NULL, metric TEXT NOT NULL, core INTEGER NOT NULL, UNIQUE (metric, core, client_id));
           CREATE TABLE points (series_id INTEGER NOT NULL, window_start INTEGER NOT NULL, ${cols}, PRIMARY KEY (${key})) WITHOUT ROWID;`);
  if (layout === 'c') {
    db.exec(
      `CREATE TABLE recent (series_id INTEGER NOT NULL, window_start INTEGER NOT NULL, ${cols}, PRIMARY KEY (window_start, series_id)) WITHOUT ROWID`,
    );
  }
  if (layout === 'd') db.exec('CREATE INDEX points_series ON points (series_id, window_start)');
  return { db, dir };
}

function addSeries(db: Database.Database, clients: number, metrics: number): void {
  const insert = db.prepare('INSERT INTO series (client_id, metric, core) VALUES (?, ?, -1)');
  db.transaction(() => {
    for (let c = 0; c < clients; c += 1)
      for (let m = 0; m < metrics; m += 1) insert.run(`client-${c}`, `metric.${m}`);
  })();
}

const seriesId = (client: number, metric: number) => client * ROWS + metric + 1;

function writer(db: Database.Database, layout: Layout) {
  const table = layout === 'c' ? 'recent' : 'points';
  const insert = db.prepare(`INSERT OR REPLACE INTO ${table} (${fields}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const probe =
    layout === 'c' ? db.prepare('DELETE FROM points WHERE series_id = ? AND window_start = ?') : null;
  // As the store: the probe runs only for a window no later than the newest merged one (none here, all new).
  return (id: number, start: number) => {
    if (start < SEED * WINDOW) probe?.run(id, start);
    insert.run(id, start, start + WINDOW, 10, Math.random(), Math.random(), 0, 1);
  };
}

function merge(db: Database.Database): number {
  return db.transaction(() => {
    const moved = db
      .prepare(
        `INSERT OR REPLACE INTO points (${fields}) SELECT ${fields} FROM recent ORDER BY series_id, window_start`,
      )
      .run().changes;
    db.prepare('DELETE FROM recent').run();
    return moved;
  })();
}

const q = (xs: number[], p: number) =>
  [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;

interface WriteFigures {
  commitMed: number;
  commitP90: number;
  reportsPerS: number;
  mergeMs: number[];
}

function writeRun(layout: Layout, clients: number): WriteFigures {
  const { db, dir } = open(layout);
  try {
    addSeries(db, clients, ROWS);
    const write = writer(db, layout);
    // 100 windows of history per series, in series order, so each series owns its leaf pages.
    const seed = db.prepare(`INSERT INTO points (${fields}) VALUES (?, ?, ?, 10, 0.5, 0.1, 0, 1)`);
    db.transaction(() => {
      for (let c = 0; c < clients; c += 1)
        for (let m = 0; m < ROWS; m += 1)
          for (let w = 0; w < SEED; w += 1) seed.run(seriesId(c, m), w * WINDOW, w * WINDOW + WINDOW);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    const next = new Array<number>(clients).fill(SEED);
    let turn = 0;
    const commitMs: number[] = [];
    const mergeMs: number[] = [];
    const started = performance.now();
    for (let i = 0; i < COMMITS; i += 1) {
      const t = performance.now();
      db.transaction(() => {
        for (let r = 0; r < GROUP; r += 1) {
          const client = turn % clients;
          turn += 1;
          const start = (next[client] as number) * WINDOW;
          next[client] = (next[client] as number) + 1;
          for (let m = 0; m < ROWS; m += 1) write(seriesId(client, m), start);
        }
      })();
      commitMs.push(performance.now() - t);
      if (layout === 'c' && (i + 1) % MERGE_EVERY === 0) {
        const m = performance.now();
        merge(db);
        mergeMs.push(performance.now() - m);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      commitMed: q(commitMs, 0.5),
      commitP90: q(commitMs, 0.9),
      reportsPerS: (COMMITS * GROUP) / seconds,
      mergeMs,
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 1,000 clients over 7 days: the history client at 10-s windows × 9 series, 999 others one series at 5 min. */
function historyDb(layout: Layout) {
  const { db, dir } = open(layout);
  addSeries(db, 1000, ROWS);
  const week = 7 * 86_400_000;
  const table = layout === 'c' ? 'recent' : 'points';
  const insert = db.prepare(`INSERT INTO points (${fields}) VALUES (?, ?, ?, 10, ?, 0.1, 0, 1)`);
  const insertRecent = db.prepare(`INSERT INTO ${table} (${fields}) VALUES (?, ?, ?, 10, ?, 0.1, 0, 1)`);
  db.transaction(() => {
    for (let t = 0; t < week; t += WINDOW) {
      // c: the last hour sits in `recent`, not merged yet (the read reads both).
      const target = layout === 'c' && t >= week - 3_600_000 ? insertRecent : insert;
      for (let m = 0; m < ROWS; m += 1) target.run(seriesId(0, m), t, t + WINDOW, Math.random());
      if (t % 300_000 === 0)
        for (let c = 1; c < 1000; c += 1) target.run(seriesId(c, 0), t, t + WINDOW, Math.random());
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const windows = (
    table: string,
  ) => `SELECT p.window_start - p.window_start % 900000 AS grp, p.count AS n, p.mean AS m
      FROM series s JOIN ${table} p ON p.series_id = s.id
      WHERE s.metric = 'metric.0' AND s.core = -1 AND s.client_id = 'client-0' AND p.window_start >= 0 AND p.window_start < ${week}`;
  const source = layout === 'c' ? `${windows('points')} UNION ALL ${windows('recent')}` : windows('points');
  const query = db.prepare(
    `SELECT grp, sum(n) AS n, sum(n * m) / sum(n) AS m FROM (${source}) GROUP BY grp ORDER BY grp`,
  );
  return {
    run: () => query.all().length,
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const fmt = (x: number, d = 2) => x.toFixed(d);
console.log(
  `layouts on ${root}: ${COMMITS} commits of ${GROUP} reports × ${ROWS} rows; c merges every ${MERGE_EVERY} commits`,
);
const rows: string[][] = [];
for (const clients of (process.env.LAYOUT_CLIENTS ?? '1,50,1000').split(',').map(Number)) {
  // A, B, C, D, then again: alternate, so that a noisy neighbour slows all alike.
  const runs = new Map<Layout, WriteFigures[]>();
  for (let round = 0; round < 2; round += 1)
    for (const layout of LAYOUTS) runs.set(layout, [...(runs.get(layout) ?? []), writeRun(layout, clients)]);
  for (const [layout, figures] of runs) {
    const range = (f: (w: WriteFigures) => number, d = 2) => figures.map((w) => fmt(f(w), d)).join('–');
    const merges = figures.flatMap((w) => w.mergeMs);
    rows.push([
      layout,
      String(clients),
      range((w) => w.commitMed),
      range((w) => w.commitP90),
      range((w) => w.reportsPerS, 0),
      merges.length ? `${fmt(q(merges, 0.5))} (${MERGE_EVERY * GROUP * ROWS} rows)` : '',
    ]);
  }
}
console.log(['layout', 'clients', 'commit ms p50', 'commit ms p90', 'reports/s', 'merge ms p50'].join(' | '));
for (const r of rows) console.log(r.join(' | '));

if (process.env.LAYOUT_HISTORY === 'off') process.exit(0);
console.log(
  '\nhistory: one client among 1,000, 7 days of 10-s windows at 15 m (ms: median of 20, per layout)',
);
const dbs = LAYOUTS.map((l) => [l, historyDb(l)] as const);
const samples = new Map<Layout, number[]>(LAYOUTS.map((l) => [l, []]));
for (let round = -3; round < 20; round += 1)
  for (const [l, h] of dbs) {
    if (l === 'b' && round >= 3) continue;
    const t = performance.now();
    const buckets = h.run();
    if (buckets !== 672) throw new Error(`${l}: ${buckets} buckets`);
    if (round >= 0) samples.get(l)?.push(performance.now() - t);
  }
for (const [l, h] of dbs) {
  const s = samples.get(l) ?? [];
  console.log(`${l} | ${fmt(q(s, 0.5))} | min ${fmt(Math.min(...s))} | max ${fmt(Math.max(...s))}`);
  h.close();
}
