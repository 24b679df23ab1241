/**
 * The history fleet's dataset, seeded by direct SQL into the SQLite store's own tables and cached under the
 * data root (`history-<version>-<clients>c/`), so that a run reuses it. Seeding 1,000 clients through
 * `app.metrics.write` (`seed.ts`) would store 544 M windows at ~57k windows/s: hours.
 *
 * The file is created by the store itself (`createSqliteMetricStore`, then closed), so its migrations are
 * current; then, on a connection of our own with `synchronous=OFF` and no journal (a seed that fails is
 * simply redone: `meta.json` is written last), every client gets the same 7 days of 10-s windows the
 * one-client run stores (`historyReport`, through `toPoints`): the first client's series packed into
 * blocks by the store's own `Blocks.write`, every other client's blocks copied from them by `INSERT …
 * SELECT` in SQLite. The last `RECENT_MS` of every client goes to the inbox instead, a row per client and
 * window, not merged, as a server holds its newest windows (`server/src/metrics/sqlite/inbox.ts`).
 *
 * Reuse: the server merges the inbox into blocks within seconds of starting (its merge runs every 5 s), so
 * before each run `splitRecent` deletes the blocks from the cut on (the seeded blocks all end before it)
 * and fills the inbox again: every run starts from the same state. Run with `RETENTION=off`: the cached
 * windows grow old, and retention counts from the newest stored window anyway.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultLimits } from '@metrics-collector/schema/limits';
import { toPoints } from '@metrics-collector/schema/metrics/service';
import { Blocks } from '@metrics-collector/server/metrics/sqlite/blocks';
import { INBOX_NUMBERS, InboxWriter } from '@metrics-collector/server/metrics/sqlite/inbox';
import { storageName } from '@metrics-collector/server/metrics/sqlite/reads';
import { createSqliteMetricStore } from '@metrics-collector/server/metrics/sqlite/store';
import Database from 'better-sqlite3';
import { seedClients } from './seed.js';
import { HISTORY_WINDOWS, historyRange, historyReport, WINDOW_MS } from './workload.js';

/** Bump when the seeded content or the store's layout changes: a cache of another version is reseeded. */
export const FLEET_VERSION = 'v2-blocks';
/** The newest part of the week, every client's, kept in the inbox (not merged) when a run starts. */
export const RECENT_MS = 3_600_000;

export interface FleetDataset {
  dataDir: string;
  from: number;
  to: number;
  clients: number;
  /** Windows stored, in blocks and the inbox together. */
  rows: number;
  /** Windows in the inbox when the run starts. */
  recentRows: number;
  /** Milliseconds the seeding took when this cache was made (0 … when it was only reused). */
  seedMs: number;
  reused: boolean;
  /** Milliseconds this run spent moving the last part back to the inbox. */
  splitMs: number;
}

type Row = [number, number, number, number, number, number, number, number];
interface Template {
  /** (storage metric, core) of each series of one client, in series-id order. */
  keys: { metric: string; core: number }[];
  /** Each series' rows (series id 0-based index in place of the id). */
  rows: Row[][];
}

/** One client's week as rows, per series: what `app.metrics.write` would store for the history client. */
function template(from: number): Template {
  const ctx = { clock: { now: () => Date.now() }, limits: defaultLimits };
  const index = new Map<string, number>();
  const keys: Template['keys'] = [];
  const rows: Row[][] = [];
  for (let i = 0; i < HISTORY_WINDOWS; i += 1) {
    for (const p of toPoints(ctx, historyReport(from, i))) {
      const metric = storageName(p.metric);
      const core = p.core ?? -1;
      const key = `${metric}/${core}`;
      let k = index.get(key);
      if (k === undefined) {
        k = keys.length;
        index.set(key, k);
        keys.push({ metric, core });
        rows.push([]);
      }
      rows[k]?.push([k, p.windowStart, p.windowEnd, p.count, p.mean, p.variance, p.min, p.max]);
    }
  }
  return { keys, rows };
}

function openForSeeding(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = DELETE');
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -524288'); // 512 MiB
  db.pragma('temp_store = MEMORY');
  return db;
}

/** Fills the inbox with the last `RECENT_MS` of every client: a row per client and window start. */
function fillRecent(db: Database.Database, t: Template, clients: number, cut: number): number {
  const perClient = t.keys.length;
  const inbox = new InboxWriter(db);
  const recentRows = t.rows.map((rows) => rows.filter((r) => r[1] >= cut));
  const starts = (recentRows[0] ?? []).map((r) => r[1]);
  const windows = starts.length;
  const ids = seedClients(clients);
  const points = new Float64Array(perClient * INBOX_NUMBERS);
  db.transaction(() => {
    for (let w = 0; w < windows; w += 1) {
      for (let c = 0; c < clients; c += 1) {
        for (let k = 0; k < perClient; k += 1) {
          const r = recentRows[k]?.[w] as Row;
          points.set([c * perClient + k + 1, r[2], r[3], r[4], r[5], r[6], r[7]], k * INBOX_NUMBERS);
        }
        inbox.write(starts[w] as number, ids[c] as string, points);
      }
    }
  })();
  return windows * clients * perClient;
}

/** Seeds the fleet into `dataDir` (a new folder); returns the windows stored. */
function seed(dataDir: string, from: number, clients: number, log: (line: string) => void): number {
  const file = join(dataDir, 'metrics.db');
  const t = template(from);
  const cut = from + HISTORY_WINDOWS * WINDOW_MS - RECENT_MS;
  const perClient = t.keys.length;
  const db = openForSeeding(file);
  try {
    const ids = seedClients(clients);
    const series = db.prepare('INSERT INTO series (id, client_id, metric, core) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (const [c, id] of ids.entries()) {
        for (const [k, key] of t.keys.entries()) series.run(c * perClient + k + 1, id, key.metric, key.core);
      }
    })();
    // The first client's series as blocks, packed by the store; then copied for every other client.
    const blocks = new Blocks(db);
    let perClientRows = 0;
    db.transaction(() => {
      for (const [k, rows] of t.rows.entries()) {
        const before = rows.filter((r) => r[1] < cut);
        perClientRows += before.length;
        blocks.write(k + 1, Float64Array.from(before.flatMap((r) => r.slice(1))));
      }
    })();
    // From a temporary copy: `INSERT … SELECT` from `blocks` itself would make one at every statement.
    db.exec('CREATE TEMP TABLE tmpl AS SELECT series_id, block_start, block_end, data FROM blocks');
    const copy = db.prepare(
      `INSERT INTO blocks (series_id, block_start, block_end, data)
       SELECT ? + series_id, block_start, block_end, data FROM temp.tmpl ORDER BY series_id, block_start`,
    );
    const started = performance.now();
    // 10 clients (about 5 M windows) per transaction.
    for (let first = 1; first < clients; first += 10) {
      db.transaction(() => {
        for (let c = first; c < Math.min(first + 10, clients); c += 1) copy.run(c * perClient);
      })();
      if (first % 100 === 91 || first + 10 >= clients) {
        const done = Math.min(first + 10, clients);
        const rate = ((done * perClientRows) / (performance.now() - started)) * 1000;
        log(`  history fleet: ${done} of ${clients} clients in blocks, ${fixedK(rate)} windows/s`);
      }
    }
    const recent = fillRecent(db, t, clients, cut);
    db.pragma('journal_mode = WAL');
    // Counted, not asked of SQLite: reading every blob's length would read the whole file.
    return clients * perClientRows + recent;
  } finally {
    db.close();
  }
}

const fixedK = (n: number) => `${Math.round(n / 1000).toLocaleString('en-US')}k`;

/**
 * Moves the last `RECENT_MS` back from blocks to the inbox (the server merged them), as on a fresh seed.
 * Returns the windows now in the inbox.
 */
function splitRecent(dataDir: string, from: number, clients: number): number {
  const t = template(from);
  const cut = from + HISTORY_WINDOWS * WINDOW_MS - RECENT_MS;
  const db = openForSeeding(join(dataDir, 'metrics.db'));
  try {
    const drop = db.prepare('DELETE FROM blocks WHERE series_id = ? AND block_start >= ?');
    const ids = db.prepare<[], number>('SELECT id FROM series ORDER BY id').pluck().all() as number[];
    db.transaction(() => {
      for (const id of ids) drop.run(id, cut);
      db.exec('DELETE FROM inbox');
    })();
    const n = fillRecent(db, t, clients, cut);
    db.pragma('journal_mode = WAL');
    return n;
  } finally {
    db.close();
  }
}

/**
 * The cached dataset of `clients` clients under `root`, seeded first if missing or of another version;
 * each call leaves its last hour in the inbox.
 */
export async function fleetDataset(
  root: string,
  clients: number,
  log: (line: string) => void,
): Promise<FleetDataset> {
  const dataDir = join(root, `history-${FLEET_VERSION}-${clients}c`);
  const metaFile = join(dataDir, 'meta.json');
  let meta: { version: string; from: number; rows: number; seedMs: number } | undefined;
  if (existsSync(metaFile)) {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as typeof meta;
    if (meta?.version !== FLEET_VERSION) meta = undefined;
  }
  if (meta) {
    const started = performance.now();
    const recentRows = splitRecent(dataDir, meta.from, clients);
    const splitMs = performance.now() - started;
    return {
      dataDir,
      from: meta.from,
      to: meta.from + HISTORY_WINDOWS * WINDOW_MS,
      clients,
      rows: meta.rows,
      recentRows,
      seedMs: meta.seedMs,
      reused: true,
      splitMs,
    };
  }
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  // The store creates the file: its migrations are current.
  await createSqliteMetricStore({ dataDir, retention: null, reads: 'inline' }).close();
  const { from } = historyRange(Date.now());
  const started = performance.now();
  const rows = seed(dataDir, from, clients, log);
  const seedMs = performance.now() - started;
  writeFileSync(metaFile, JSON.stringify({ version: FLEET_VERSION, from, rows, seedMs }));
  const recentRows = Math.round((RECENT_MS / WINDOW_MS) * clients * (rows / clients / HISTORY_WINDOWS));
  return {
    dataDir,
    from,
    to: from + HISTORY_WINDOWS * WINDOW_MS,
    clients,
    rows,
    recentRows,
    seedMs,
    reused: false,
    splitMs: 0,
  };
}
