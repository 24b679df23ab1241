import type Database from 'better-sqlite3';
import type { Db } from '../../sqlite/database.js';
import { type Blocks, encode, float64s, WINDOW_NUMBERS } from './blocks.js';

/**
 * The two parts of the window layout (schema version 3). A commit writes one `inbox` row per report: its
 * client's window, keyed time-first `(window_start, client_id)`, the report's points packed in a blob. So
 * a group of many hosts' reports appends a few rows at the index's end, whatever the number of series.
 * The merge moves the inbox into `blocks` (blocks.ts): per series, one row holding many consecutive
 * windows, the order history reads. A row per window, in either part, cost the write thread about twice
 * as much CPU per report (storage.md, "Layouts measured").
 *
 * A window sent again after its merge lands in the inbox again: reads take the inbox's copy over the
 * block's, and the next merge replaces the block's (`Blocks.write`). So a write never touches `blocks`.
 */
export const INBOX_TABLE = `CREATE TABLE inbox (
     id            INTEGER PRIMARY KEY,
     window_start  INTEGER NOT NULL,
     client_id     TEXT NOT NULL,
     data          BLOB NOT NULL
   );
   CREATE UNIQUE INDEX inbox_key ON inbox (window_start, client_id);`;

/**
 * Numbers per point in an inbox blob: series id, then window end, count, mean, variance, min, max. As many
 * as a block's window has: the series id takes the start's place, the start being the row's.
 */
export const INBOX_NUMBERS = WINDOW_NUMBERS;

/** About this many inbox rows (reports) move in one merge transaction: ingest commits wait meanwhile. */
export const MERGE_CHUNK = 1_000;
/**
 * Clients per merge chunk, at most: a chunk is a rectangle of clients and window starts, and each of its
 * series becomes one block of as many windows as the chunk has starts (64 at 16 clients).
 */
export const MERGE_CLIENTS = 16;
/**
 * A background merge moves the windows older than this behind the newest start, and only once the inbox
 * spans `MERGE_SPAN`: each merge then writes blocks of tens of windows.
 */
export const MERGE_KEEP = 60_000;
export const MERGE_SPAN = 10 * 60_000;

/**
 * The distinct window starts of the inbox from `@from` to `@to`, one index seek each: agents' windows line
 * up on epoch multiples, so a few hundred starts hold every row, and reading one client seeks each start
 * instead of scanning every host's rows.
 */
export const INBOX_STARTS = `st(ws) AS (
     SELECT (SELECT min(window_start) FROM inbox WHERE window_start >= @from)
     UNION ALL
     SELECT (SELECT min(window_start) FROM inbox WHERE window_start > st.ws) FROM st
     WHERE st.ws IS NOT NULL AND st.ws < @to)`;

type Statement<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/**
 * Two inbox blobs of one client's window as one: `newer`'s points replace `older`'s of the same series.
 * SQLite calls it only when a window is written again before its merge.
 */
export function mergeBlobs(older: Buffer, newer: Buffer): Buffer {
  const a = float64s(older);
  const b = float64s(newer);
  const replaced = new Set<number>();
  for (let o = 0; o < b.length; o += INBOX_NUMBERS) replaced.add(b[o] as number);
  const kept: number[] = [];
  for (let o = 0; o < a.length; o += INBOX_NUMBERS) {
    if (replaced.has(a[o] as number)) continue;
    for (let k = 0; k < INBOX_NUMBERS; k += 1) kept.push(a[o + k] as number);
  }
  const out = new Float64Array(kept.length + b.length);
  out.set(kept);
  out.set(b, kept.length);
  return encode(out);
}

/** Writes one client's window to the inbox (inside a group commit), merging with a copy already there. */
export class InboxWriter {
  readonly #upsert: Statement<[number, string, Buffer]>;

  constructor(db: Db) {
    db.function('merge_inbox', { deterministic: true }, (older, newer) =>
      mergeBlobs(older as Buffer, newer as Buffer),
    );
    this.#upsert = db.prepare(
      `INSERT INTO inbox (window_start, client_id, data) VALUES (?, ?, ?)
       ON CONFLICT (window_start, client_id) DO UPDATE SET data = merge_inbox(data, excluded.data)`,
    );
  }

  /** `points`: `INBOX_NUMBERS` numbers each, one point per series at most. */
  write(windowStart: number, clientId: string, points: Float64Array): void {
    this.#upsert.run(windowStart, clientId, encode(points));
  }
}

/** A merge chunk: the window starts from `from` to `to` of the clients from `lo` to `hi`. */
export interface MergeRange {
  from: number;
  to: number;
  lo: string;
  hi: string;
}

/** Moves the inbox into `blocks`, a rectangle of clients and window starts per transaction. */
export class Merger {
  readonly #db: Db;
  readonly #blocks: Blocks;
  readonly #oldest: Statement<[], number | null>;
  readonly #newest: Statement<[], number | null>;
  readonly #starts: Statement<[{ from: number; to: number }], number>;
  readonly #clients: Statement<[], string>;
  readonly #read: Statement<[MergeRange], [number, Buffer]>;
  readonly #drop: Statement<[MergeRange]>;

  constructor(db: Db, blocks: Blocks) {
    this.#db = db;
    this.#blocks = blocks;
    this.#oldest = db.prepare<[], number | null>('SELECT min(window_start) FROM inbox').pluck();
    this.#newest = db.prepare<[], number | null>('SELECT max(window_start) FROM inbox').pluck();
    this.#starts = db
      .prepare<[{ from: number; to: number }], number>(
        `WITH RECURSIVE ${INBOX_STARTS} SELECT ws FROM st WHERE ws <= @to`,
      )
      .pluck();
    this.#clients = db
      .prepare<[], string>('SELECT DISTINCT client_id FROM series ORDER BY client_id')
      .pluck();
    const chunk = `WITH RECURSIVE ${INBOX_STARTS}`;
    this.#read = db
      .prepare<[MergeRange], [number, Buffer]>(
        `${chunk} SELECT i.window_start, i.data FROM st
         JOIN inbox i ON i.window_start = st.ws AND i.client_id BETWEEN @lo AND @hi
         WHERE st.ws <= @to ORDER BY i.window_start`,
      )
      .raw();
    this.#drop = db.prepare(
      `${chunk} DELETE FROM inbox
       WHERE window_start IN (SELECT ws FROM st WHERE ws <= @to) AND client_id BETWEEN @lo AND @hi`,
    );
  }

  /**
   * What a merge moves now: the windows up to `to` (every window when `keep` is null, else those more
   * than `keep` behind the newest, once the inbox spans `MERGE_SPAN`), as chunks of `MERGE_CLIENTS`
   * clients and about `MERGE_CHUNK` rows, slice of window starts by slice. Clients with a series in the
   * order `BETWEEN` compares them (BINARY collation); clients new since the plan wait for the next merge.
   */
  plan(keep: number | null): MergeRange[] {
    const from = this.#oldest.get();
    const newest = this.#newest.get();
    if (from === null || from === undefined || newest === null || newest === undefined) return [];
    if (keep !== null && newest - from < MERGE_SPAN) return [];
    const to = keep === null ? newest : newest - keep;
    const starts = this.#starts.all({ from, to });
    const clients = this.#clients.all();
    const perChunk = Math.max(1, Math.min(MERGE_CLIENTS, clients.length));
    const startsPerSlice = Math.max(1, Math.floor(MERGE_CHUNK / perChunk));
    const chunks: MergeRange[] = [];
    for (let i = 0; i < starts.length; i += startsPerSlice) {
      const last = Math.min(i + startsPerSlice, starts.length) - 1;
      for (let lo = 0; lo < clients.length; lo += perChunk) {
        const hi = Math.min(lo + perChunk, clients.length) - 1;
        chunks.push({
          from: starts[i] as number,
          to: starts[last] as number,
          lo: clients[lo] as string,
          hi: clients[hi] as string,
        });
      }
    }
    return chunks;
  }

  /**
   * Moves the windows from `from` to `to` of the clients `lo` to `hi` in one transaction: a crash leaves
   * each window in exactly one of the parts (or, re-sent after a merge, in both, the inbox's copy winning).
   * Returns how many windows (points) moved.
   */
  mergeChunk(range: MergeRange): number {
    return this.#db.transaction(() => {
      const rows = this.#read.all(range).map(([start, blob]) => [start, float64s(blob)] as const);
      // Two passes: each series' windows counted, then copied into an array of that size.
      const counts = new Map<number, number>();
      for (const [, points] of rows)
        for (let o = 0; o < points.length; o += INBOX_NUMBERS) {
          const id = points[o] as number;
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
      const series = new Map<number, { windows: Float64Array; at: number }>();
      for (const [id, count] of counts)
        series.set(id, { windows: new Float64Array(count * WINDOW_NUMBERS), at: 0 });
      for (const [start, points] of rows)
        for (let o = 0; o < points.length; o += INBOX_NUMBERS) {
          const target = series.get(points[o] as number) as { windows: Float64Array; at: number };
          target.windows[target.at] = start;
          target.windows.set(points.subarray(o + 1, o + INBOX_NUMBERS), target.at + 1);
          target.at += WINDOW_NUMBERS;
        }
      let moved = 0;
      for (const [id, { windows }] of series) {
        this.#blocks.write(id, windows);
        moved += windows.length / WINDOW_NUMBERS;
      }
      this.#drop.run(range);
      return moved;
    })();
  }
}
