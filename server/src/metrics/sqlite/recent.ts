import type Database from 'better-sqlite3';
import type { Db } from '../../sqlite/database.js';

/**
 * The two parts of the window layout. A commit writes to `recent`, keyed time-first `(window_start,
 * series_id)`, so that a group of many hosts' reports dirties a few B-tree pages at the table's end instead
 * of one leaf page per series. `merge` moves `recent` into `points`, keyed `(series_id, window_start)`, the
 * order history reads, in the background. A window lives in one of the two tables, never both: a write
 * first deletes its key from `points` (a probe that dirties nothing when the key is absent).
 */
export const RECENT_MIGRATION = `CREATE TABLE recent (
     series_id     INTEGER NOT NULL REFERENCES series (id),
     window_start  INTEGER NOT NULL,
     window_end    INTEGER NOT NULL,
     count         INTEGER NOT NULL,
     mean          REAL NOT NULL,
     variance      REAL NOT NULL,
     min           REAL NOT NULL,
     max           REAL NOT NULL,
     PRIMARY KEY (window_start, series_id)
   ) WITHOUT ROWID;`;

/**
 * About this many rows move in one merge transaction (more when one window start holds more: a start moves
 * whole). The write thread commits no ingest group while a chunk runs; 20,000 rows took 150–300 ms.
 */
export const MERGE_CHUNK = 4_000;

const FIELDS = 'series_id, window_start, window_end, count, mean, variance, min, max';
type Statement<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/** Numbers per row given to `RecentWriter.write`: series id, then the window's start, end and stats. */
export const ROW_WIDTH = 8;
/** Rows per INSERT statement: one statement per report instead of one per row. */
const UPSERT_ROWS = 32;

/**
 * Writes windows to `recent` (replacing the same key in either table). Runs inside a group commit. The
 * probe of `points` runs only for a window no later than the newest start ever merged (`mergedUpTo`): a
 * newer one cannot be there, which is every window of an agent reporting in time.
 */
export class RecentWriter {
  readonly #db: Db;
  readonly #unmerge: Statement<[number, number]>;
  readonly #upserts = new Map<number, Statement<number[]>>();
  /** No window in `points` starts later than this. */
  mergedUpTo: number;

  constructor(db: Db) {
    this.#db = db;
    this.#unmerge = db.prepare('DELETE FROM points WHERE series_id = ? AND window_start = ?');
    // The newest window of each series, one primary-key seek each (a max over the whole table would scan it).
    const newestOf = db
      .prepare<[number], number | null>('SELECT max(window_start) FROM points WHERE series_id = ?')
      .pluck();
    const ids = db.prepare<[], number>('SELECT id FROM series').pluck().all();
    this.mergedUpTo = ids.reduce(
      (max, id) => Math.max(max, newestOf.get(id) ?? max),
      Number.NEGATIVE_INFINITY,
    );
  }

  /** Writes `rows`, `ROW_WIDTH` numbers each; a later row replaces an earlier one of the same key. */
  write(rows: number[]): void {
    for (let o = 0; o < rows.length; o += ROW_WIDTH) {
      const start = rows[o + 1] as number;
      if (start <= this.mergedUpTo) this.#unmerge.run(rows[o] as number, start);
    }
    const most = ROW_WIDTH * UPSERT_ROWS;
    for (let o = 0; o < rows.length; o += most) {
      const part = o === 0 && rows.length <= most ? rows : rows.slice(o, o + most);
      this.#upsert(part.length / ROW_WIDTH).run(...part);
    }
  }

  #upsert(count: number): Statement<number[]> {
    let statement = this.#upserts.get(count);
    if (!statement) {
      const values = Array.from({ length: count }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
      statement = this.#db.prepare(`INSERT OR REPLACE INTO recent (${FIELDS}) VALUES ${values}`);
      this.#upserts.set(count, statement);
    }
    return statement;
  }
}

/** Moves `recent` into `points`, oldest windows first, one transaction per chunk. */
export class Merger {
  readonly #db: Db;
  readonly #cutoff: Statement<[number], number | undefined>;
  readonly #move: Statement<[number]>;
  readonly #drop: Statement<[number]>;
  readonly #newest: Statement<[], number | null>;

  readonly #writer: RecentWriter;

  constructor(db: Db, writer: RecentWriter) {
    this.#db = db;
    this.#writer = writer;
    this.#cutoff = db
      .prepare<[number], number | undefined>(
        'SELECT window_start FROM recent ORDER BY window_start LIMIT 1 OFFSET ?',
      )
      .pluck();
    this.#move = db.prepare(
      `INSERT OR REPLACE INTO points (${FIELDS})
       SELECT ${FIELDS} FROM recent WHERE window_start <= ? ORDER BY series_id, window_start`,
    );
    this.#drop = db.prepare('DELETE FROM recent WHERE window_start <= ?');
    this.#newest = db.prepare<[], number | null>('SELECT max(window_start) FROM recent').pluck();
  }

  /**
   * Moves the oldest windows of `recent` (about `chunk` rows; all windows of one start move together) in
   * one transaction: a crash leaves each window in exactly one of the tables. Returns how many moved.
   */
  mergeChunk(chunk = MERGE_CHUNK): number {
    return this.#db.transaction(() => {
      // The chunk-th oldest start, or the newest when recent holds fewer rows than a chunk.
      const limit = this.#cutoff.get(chunk - 1) ?? this.#newest.get();
      if (limit === undefined || limit === null) return 0;
      // Raised before the commit: a rolled-back merge leaves it too high, which only costs probes.
      this.#writer.mergedUpTo = Math.max(this.#writer.mergedUpTo, limit);
      const moved = this.#move.run(limit).changes;
      this.#drop.run(limit);
      return moved;
    })();
  }
}
