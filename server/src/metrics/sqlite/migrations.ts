import type { Db, Migration } from '../../sqlite/database.js';
import { BLOCKS_TABLE, Blocks } from './blocks.js';
import { INBOX_NUMBERS, INBOX_TABLE, InboxWriter } from './inbox.js';

/** The versions of `metrics.db`'s schema: `migrations[i]` takes a file from version i to i + 1. */
export const migrations: readonly Migration[] = [
  // A series is one (client, metric, core); core -1 marks series that are not per core.
  `CREATE TABLE series (
     id         INTEGER PRIMARY KEY,
     client_id  TEXT NOT NULL,
     metric     TEXT NOT NULL,
     core       INTEGER NOT NULL,
     UNIQUE (metric, core, client_id)
   );
   CREATE TABLE points (
     series_id     INTEGER NOT NULL REFERENCES series (id),
     window_start  INTEGER NOT NULL,
     window_end    INTEGER NOT NULL,
     count         INTEGER NOT NULL,
     mean          REAL NOT NULL,
     variance      REAL NOT NULL,
     min           REAL NOT NULL,
     max           REAL NOT NULL,
     PRIMARY KEY (series_id, window_start)
   ) WITHOUT ROWID;`,
  // Version 2: new windows landed in the time-ordered `recent` and were merged into `points`.
  // Version 3 (below) repacks both.
  `CREATE TABLE recent (
     series_id     INTEGER NOT NULL REFERENCES series (id),
     window_start  INTEGER NOT NULL,
     window_end    INTEGER NOT NULL,
     count         INTEGER NOT NULL,
     mean          REAL NOT NULL,
     variance      REAL NOT NULL,
     min           REAL NOT NULL,
     max           REAL NOT NULL,
     PRIMARY KEY (window_start, series_id)
   ) WITHOUT ROWID;`,
  // Version 3: a report is one `inbox` row, merged windows are `blocks` of a series (inbox.ts, blocks.ts).
  toBlocks,
];

/** Repacks `points` into `blocks` and `recent` into `inbox` rows, then drops both (version 2 to 3). */
function toBlocks(db: Db): void {
  db.exec(`${BLOCKS_TABLE}; ${INBOX_TABLE}`);
  const blocks = new Blocks(db);
  const windowsOf = db
    .prepare<[number], number[]>(
      `SELECT window_start, window_end, count, mean, variance, min, max FROM points
       WHERE series_id = ? ORDER BY window_start`,
    )
    .raw();
  for (const id of db.prepare<[], number>('SELECT id FROM series ORDER BY id').pluck().all()) {
    const windows = windowsOf.all(id);
    if (windows.length > 0) blocks.write(id, Float64Array.from(windows.flat()));
  }
  const inbox = new InboxWriter(db);
  const recent = db
    .prepare<[], [number, string, ...number[]]>(
      `SELECT r.window_start, s.client_id, r.series_id, r.window_end, r.count, r.mean, r.variance, r.min, r.max
       FROM recent r JOIN series s ON s.id = r.series_id ORDER BY r.window_start, s.client_id`,
    )
    .raw()
    .all();
  for (let i = 0; i < recent.length; ) {
    const [start, client] = recent[i] as [number, string];
    let j = i;
    while (j < recent.length && recent[j]?.[0] === start && recent[j]?.[1] === client) j += 1;
    const points = new Float64Array((j - i) * INBOX_NUMBERS);
    for (let k = i; k < j; k += 1) points.set((recent[k] as number[]).slice(2), (k - i) * INBOX_NUMBERS);
    inbox.write(start, client, points);
    i = j;
  }
  db.exec('DROP TABLE recent; DROP TABLE points;');
}
