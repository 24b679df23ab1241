/**
 * `npx tsx bench/merge-layouts.ts [clients] [windows per merge] [merges] [layouts]`: the write thread's CPU
 * per report, ingest and merge, for the built layout against one that stores fewer, larger rows. Single
 * thread, synchronous, on the data disk (`BENCH_DATA_DIR`, else `data/bench`), WAL + `synchronous=FULL`.
 * Group commits of 20 reports × 9 series, clients in turn, each report a new window of its client; each
 * series already holds `SEED` (300) windows; every `windows per merge` windows of every client, a merge
 * moves everything written.
 *
 *   c. as built: `MetricWrites` (writes.ts) — 9 rows per report into `recent`, merged into `points` rows.
 *   e. one `inbox` row per report, keyed (window_start, client), its points a blob; a merge decodes the
 *      inbox and writes one `blocks` row per series (a blob of its windows), then deletes the inbox range.
 *   f. e's inbox, merged into `points` rows as built (decoded in JavaScript, multi-row INSERTs).
 *   g. c's `recent` and merge plan (rectangles of 64 series × starts), merged into e's `blocks` rows.
 *
 * Not a server: e, f and g have no reads, no idempotent rewrite and no chunked merge (storage.md says what
 * building them would take).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Blocks } from '../server/src/metrics/sqlite/blocks.js';
import { migrations } from '../server/src/metrics/sqlite/migrations.js';
import { MetricWrites, POINT_NUMBERS } from '../server/src/metrics/sqlite/writes.js';
import { openDatabase } from '../server/src/sqlite/database.js';

const [c = '50', w = '60', m = '3', which = 'c,e'] = process.argv.slice(2);
const clients = Number(c);
const perMerge = Number(w);
const merges = Number(m);
const ROWS = 9;
const GROUP = 20;
const WINDOW = 10_000;
const SEED = Number(process.env.SEED ?? 300);
const root = process.env.BENCH_DATA_DIR ?? join(process.cwd(), 'data', 'bench');

mkdirSync(root, { recursive: true });

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

function layoutC(dir: string) {
  const db = openDatabase(dir, 'metrics', migrations);
  db.pragma('foreign_keys = OFF');
  // SEED windows per series, as blocks
  const insS = db.prepare('INSERT INTO series (client_id, metric, core) VALUES (?, ?, -1)');
  const blocks = new Blocks(db);
  db.transaction(() => {
    for (let cl = 0; cl < clients; cl += 1)
      for (let k = 0; k < ROWS; k += 1) insS.run(`client-${cl}`, `metric.${k}`);
    for (let id = 1; id <= clients * ROWS; id += 1) {
      const windows = new Float64Array(SEED * 7);
      for (let x = 0; x < SEED; x += 1)
        windows.set([x * WINDOW, x * WINDOW + WINDOW, 10, 0.5, 0.1, 0, 1], x * 7);
      blocks.write(id, windows);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const writes = new MetricWrites(db);
  let keysSent = 0;
  return {
    write(reports: [number, number][]) {
      const numbers = new Float64Array(reports.length * ROWS * POINT_NUMBERS);
      const newKeys: string[] = [];
      const firstKey = keysSent;
      let o = 0;
      for (const [cl, start] of reports) {
        for (let k = 0; k < ROWS; k += 1) {
          const key = cl * ROWS + k;
          if (key >= keysSent + newKeys.length) {
            // keys are sent in id order the first time (clients take turns from 0)
            newKeys.push(`metric.${k}\u0000-1\u0000client-${cl}`);
          }
          numbers.set([key, start, start + WINDOW, 10, Math.random(), 0.01, 0, 1], o);
          o += POINT_NUMBERS;
        }
      }
      keysSent += newKeys.length;
      const errors = writes.write({ numbers, sizes: reports.map(() => ROWS), newKeys, firstKey });
      if (errors.some((e) => e)) throw new Error(String(errors.find((e) => e)));
    },
    merge() {
      let n = 0;
      for (const chunk of writes.mergePlan(null)) n += writes.mergeChunk(chunk);
      return n;
    },
    close: () => db.close(),
    db,
    writes,
  };
}

const STRIDE = 8; // series id, start, end, count, mean, variance, min, max
function layoutE(dir: string, rowsOut = false) {
  const db = openDatabase(dir, 'metrics', []);
  db.pragma('foreign_keys = OFF');
  db.exec(`CREATE TABLE series (id INTEGER PRIMARY KEY, client_id TEXT NOT NULL, metric TEXT NOT NULL, core INTEGER NOT NULL, UNIQUE (metric, core, client_id));
    CREATE TABLE inbox (window_start INTEGER NOT NULL, client INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (window_start, client)) WITHOUT ROWID;
    CREATE TABLE blocks (series_id INTEGER NOT NULL, block_start INTEGER NOT NULL, block_end INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (series_id, block_start));`);
  const insS = db.prepare('INSERT INTO series (client_id, metric, core) VALUES (?, ?, -1)');
  const insB = db.prepare('INSERT INTO blocks VALUES (?, ?, ?, ?)');
  const BLOCK = 60;
  db.transaction(() => {
    for (let cl = 0; cl < clients; cl += 1)
      for (let k = 0; k < ROWS; k += 1) insS.run(`client-${cl}`, `metric.${k}`);
    for (let id = 1; id <= clients * ROWS; id += 1)
      for (let x = 0; x < SEED; x += BLOCK) {
        const n = Math.min(BLOCK, SEED - x);
        const f = new Float64Array(n * 7);
        for (let i = 0; i < n; i += 1)
          f.set([(x + i) * WINDOW, (x + i + 1) * WINDOW, 10, 0.5, 0.1, 0, 1], i * 7);
        insB.run(id, x * WINDOW, (x + n - 1) * WINDOW, Buffer.from(f.buffer));
      }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const insI = db.prepare('INSERT INTO inbox VALUES (?, ?, ?)');
  const readI = db.prepare('SELECT data FROM inbox WHERE window_start <= ? ORDER BY window_start').pluck();
  const dropI = db.prepare('DELETE FROM inbox WHERE window_start <= ?');
  const newest = db.prepare('SELECT max(window_start) FROM inbox').pluck();
  if (rowsOut) {
    db.exec(
      `CREATE TABLE points (series_id INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL, count INTEGER NOT NULL, mean REAL NOT NULL, variance REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, PRIMARY KEY (series_id, window_start)) WITHOUT ROWID`,
    );
    const insP = db.prepare('INSERT INTO points VALUES (?, ?, ?, 10, 0.5, 0.1, 0, 1)');
    db.transaction(() => {
      for (let id = 1; id <= clients * ROWS; id += 1)
        for (let x = 0; x < SEED; x += 1) insP.run(id, x * WINDOW, x * WINDOW + WINDOW);
    })();
    db.exec('DELETE FROM blocks');
    db.pragma('wal_checkpoint(TRUNCATE)');
  }
  const N = 32;
  const multi = !rowsOut
    ? (null as never)
    : db.prepare(
        `INSERT OR REPLACE INTO points VALUES ${Array.from({ length: N }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      );
  const one = !rowsOut
    ? (null as never)
    : db.prepare('INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  return {
    write(reports: [number, number][]) {
      db.transaction(() => {
        for (const [cl, start] of reports) {
          const f = new Float64Array(ROWS * STRIDE);
          for (let k = 0; k < ROWS; k += 1)
            f.set([cl * ROWS + k + 1, start, start + WINDOW, 10, Math.random(), 0.01, 0, 1], k * STRIDE);
          insI.run(start, cl, Buffer.from(f.buffer));
        }
      })();
    },
    merge() {
      const to = newest.get() as number | null;
      if (to === null) return 0;
      let moved = 0;
      db.transaction(() => {
        const per = new Map<number, number[]>();
        for (const blob of readI.iterate(to) as Iterable<Buffer>) {
          const f = new Float64Array(blob.buffer, blob.byteOffset, blob.byteLength / 8);
          for (let o = 0; o < f.length; o += STRIDE) {
            const id = f[o] as number;
            let a = per.get(id);
            if (!a) {
              a = [];
              per.set(id, a);
            }
            for (let k = 1; k < STRIDE; k += 1) a.push(f[o + k] as number);
            moved += 1;
          }
        }
        for (const id of [...per.keys()].sort((x, y) => x - y)) {
          const a = per.get(id) as number[];
          if (!rowsOut) {
            insB.run(id, a[0], a[a.length - 7], Buffer.from(new Float64Array(a).buffer));
            continue;
          }
          const n = a.length / 7;
          let i = 0;
          const args: number[] = [];
          for (; i + N <= n; i += N) {
            args.length = 0;
            for (let j = i; j < i + N; j += 1) args.push(id, ...a.slice(j * 7, j * 7 + 7));
            multi.run(...args);
          }
          for (; i < n; i += 1) one.run(id, ...a.slice(i * 7, i * 7 + 7));
        }
        dropI.run(to);
      })();
      return moved;
    },
    close: () => db.close(),
  };
}

for (const layout of which.split(',')) {
  const dir = mkdtempSync(join(root, `blocks-${layout}-`));
  try {
    const store = layout === 'c' ? layoutC(dir) : layoutE(dir, layout === 'f');
    const next = new Array<number>(clients).fill(SEED);
    let turn = 0;
    let ingest = 0;
    let mergeCpu = 0;
    let reports = 0;
    let rows = 0;
    let wall = 0;
    for (let round = 0; round < merges; round += 1) {
      const total = perMerge * clients;
      for (let done = 0; done < total; done += GROUP) {
        const group: [number, number][] = [];
        for (let r = 0; r < GROUP; r += 1) {
          const cl = turn % clients;
          turn += 1;
          group.push([cl, (next[cl] as number) * WINDOW]);
          next[cl] = (next[cl] as number) + 1;
        }
        const t = cpu();
        const t0 = performance.now();
        store.write(group);
        wall += performance.now() - t0;
        ingest += cpu() - t;
        reports += GROUP;
      }
      const t = cpu();
      rows += store.merge();
      mergeCpu += cpu() - t;
    }
    console.log(
      `${layout} clients=${clients} windows/merge=${perMerge}: ingest ${(ingest / reports).toFixed(1)} µs cpu/report (wall ${((1000 * wall) / reports).toFixed(1)}), merge ${(mergeCpu / reports).toFixed(1)} µs/report (${(mergeCpu / rows).toFixed(2)} µs/row, ${rows} rows)`,
    );
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
