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

/** About this many rows move in one merge transaction: the write thread commits no ingest group meanwhile. */
export const MERGE_CHUNK = 4_000;
/**
 * Series per merge chunk, at most. A chunk is a rectangle of series and window starts. Its delete from
 * `recent` (keyed time-first) dirties about a page per start, and its insert into `points` (series-first)
 * about a page per series: a chunk of all starts and a few series (the shape before) dirtied a page of
 * `recent` per start for every chunk, each chunk rewriting the same pages again, and cost ~5 µs a row when
 * a merge held hundreds of starts. 64 × 62 dirties ~130 pages per 4,000 rows.
 */
export const MERGE_SERIES = 64;
/**
 * A background merge moves the windows older than this behind the newest start, and only once `recent`
 * spans `MERGE_SPAN`: each merge then moves tens of windows of every series, which fill a few pages of
 * `points` per series. (Merging every few seconds moved one window per series, dirtying one leaf page of
 * `points` per row: 9,000 rows, a window of 1,000 hosts, took 360–410 ms.)
 */
export const MERGE_KEEP = 60_000;
export const MERGE_SPAN = 10 * 60_000;

/**
 * The distinct window starts of `recent` from `@from` to `@to`, one index seek each: agents' windows line up
 * on epoch multiples, so a few hundred starts hold every row, and reading one series seeks each start
 * instead of scanning every host's rows (recent is keyed time-first).
 */
export const RECENT_STARTS = `st(ws) AS (
     SELECT (SELECT min(window_start) FROM recent WHERE window_start >= @from)
     UNION ALL
     SELECT (SELECT min(window_start) FROM recent WHERE window_start > st.ws) FROM st
     WHERE st.ws IS NOT NULL AND st.ws < @to)`;

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

/** What a merge moves (`Merger.plan`): each slice of window starts, a range of series at a time. */
export interface MergePlan {
  slices: [from: number, to: number][];
  seriesPerChunk: number;
  lastSeries: number;
}

/** Moves `recent` into `points`, a range of series and window starts per transaction. */
export class Merger {
  readonly #db: Db;
  readonly #writer: RecentWriter;
  readonly #oldest: Statement<[], number | null>;
  readonly #newest: Statement<[], number | null>;
  readonly #starts: Statement<[{ from: number; to: number }], number>;
  readonly #lastSeries: Statement<[], number | null>;
  readonly #move: Statement<[{ from: number; to: number; lo: number; hi: number }]>;
  readonly #drop: Statement<[{ from: number; to: number; lo: number; hi: number }]>;

  constructor(db: Db, writer: RecentWriter) {
    this.#db = db;
    this.#writer = writer;
    this.#oldest = db.prepare<[], number | null>('SELECT min(window_start) FROM recent').pluck();
    this.#newest = db.prepare<[], number | null>('SELECT max(window_start) FROM recent').pluck();
    this.#starts = db
      .prepare<[{ from: number; to: number }], number>(
        `WITH RECURSIVE ${RECENT_STARTS} SELECT ws FROM st WHERE ws <= @to`,
      )
      .pluck();
    this.#lastSeries = db.prepare<[], number | null>('SELECT max(id) FROM series').pluck();
    const chunk = `WITH RECURSIVE ${RECENT_STARTS}`;
    this.#move = db.prepare(
      `${chunk} INSERT OR REPLACE INTO points (${FIELDS})
       SELECT ${FIELDS.replaceAll('window_start', 'r.window_start')} FROM st
       JOIN recent r ON r.window_start = st.ws AND r.series_id BETWEEN @lo AND @hi
       WHERE st.ws <= @to ORDER BY r.series_id, r.window_start`,
    );
    this.#drop = db.prepare(
      `${chunk} DELETE FROM recent
       WHERE window_start IN (SELECT ws FROM st WHERE ws <= @to) AND series_id BETWEEN @lo AND @hi`,
    );
  }

  /**
   * What a merge moves now: the windows up to `to` (every window when `keep` is null, else those more
   * than `keep` behind the newest, once recent spans `MERGE_SPAN`), as chunks: `slices` of window starts
   * (`[from, to]` each), each moved `seriesPerChunk` series at a time (`MERGE_SERIES`). Null: nothing.
   */
  plan(keep: number | null): MergePlan | null {
    const from = this.#oldest.get();
    const newest = this.#newest.get();
    if (from === null || from === undefined || newest === null || newest === undefined) return null;
    if (keep !== null && newest - from < MERGE_SPAN) return null;
    const to = keep === null ? newest : newest - keep;
    const starts = this.#starts.all({ from, to });
    if (starts.length === 0) return null;
    const lastSeries = this.#lastSeries.get() ?? 0;
    const seriesPerChunk = Math.max(1, Math.min(MERGE_SERIES, lastSeries));
    const startsPerSlice = Math.max(1, Math.floor(MERGE_CHUNK / seriesPerChunk));
    const slices: [number, number][] = [];
    for (let i = 0; i < starts.length; i += startsPerSlice) {
      const last = Math.min(i + startsPerSlice, starts.length) - 1;
      slices.push([starts[i] as number, starts[last] as number]);
    }
    return { slices, seriesPerChunk, lastSeries };
  }

  /**
   * Moves the windows from `from` to `to` of the series `lo` to `hi` in one transaction: a crash leaves
   * each window in exactly one of the tables. Returns how many moved.
   */
  mergeChunk(range: { from: number; to: number; lo: number; hi: number }): number {
    return this.#db.transaction(() => {
      // Raised before the commit: a rolled-back merge leaves it too high, which only costs probes.
      this.#writer.mergedUpTo = Math.max(this.#writer.mergedUpTo, range.to);
      const moved = this.#move.run(range).changes;
      this.#drop.run(range);
      return moved;
    })();
  }
}
