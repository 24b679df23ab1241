import { endianness } from 'node:os';
import type Database from 'better-sqlite3';
import type { Db } from '../../sqlite/database.js';

// Merged windows in blocks: a row per run of consecutive windows of one series, packed in a blob. A row
// per window (`points`) was half of the write thread's CPU; a block carries up to `BLOCK_WINDOWS`.

/** Numbers per window: start, end (epoch ms), count, mean, variance, min, max. */
export const WINDOW_NUMBERS = 7;
/** At most this many windows per block. */
export const BLOCK_WINDOWS = 256;
const WINDOW_BYTES = WINDOW_NUMBERS * Float64Array.BYTES_PER_ELEMENT;

/**
 * The table (a rowid table: blobs of a few KB do not belong in a WITHOUT ROWID b-tree). `block_start` and
 * `block_end` are the first and last window's start. A series' blocks never overlap, so the primary key
 * alone finds every block a read, a write or `deleteBefore` needs (see `Blocks`): there is no other index.
 */
export const BLOCKS_TABLE = `CREATE TABLE blocks (
  series_id INTEGER NOT NULL, block_start INTEGER NOT NULL, block_end INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (series_id, block_start))`;

// A blob is the raw bytes of a Float64Array: the file format is little-endian, the array the machine's order.
if (endianness() !== 'LE') throw new Error('blocks.ts stores windows little-endian and needs such a machine');

type Statement<P extends unknown[], R = unknown> = Database.Statement<P, R>;
interface Range {
  series: number;
  from: number;
  to: number;
}

/**
 * The start of the block of `@series` that begins before `@from` and reaches it (ends at or after it), if
 * any. LIMIT 1 before the test on `block_end`: a filter inside the ordered scan would walk every earlier
 * block when the last one ends before `@from`.
 */
const REACHING_BLOCK = `(SELECT CASE WHEN block_end >= @from THEN block_start END FROM blocks
     WHERE series_id = @series AND block_start < @from ORDER BY block_start DESC LIMIT 1)`;

/**
 * The series that have blocks, one primary-key seek each (a skip scan): `deleteBefore` and `newestStart`
 * visit each series' blocks around the cutoff, or its last block, rather than scanning the table.
 */
const SERIES = `s(id) AS (
     SELECT (SELECT min(series_id) FROM blocks)
     UNION ALL
     SELECT (SELECT min(series_id) FROM blocks WHERE series_id > s.id) FROM s WHERE s.id IS NOT NULL)`;

/**
 * The blocks of `metrics.db` on a connection. No method opens a transaction of its own except
 * `deleteBefore` (a savepoint when the caller has one open).
 *
 * `deleteBefore` needs the blocks straddling the cutoff (`block_start < cutoff <= block_end`). No index
 * bounds both sides of that: one on `block_end` would walk every retained block, one on `block_start`
 * every block before the cutoff, and each would cost every insert a second b-tree. Since a series' blocks
 * do not overlap, a series has at most one, its last block starting before the cutoff. So both steps walk
 * the primary key per series (`SERIES`): the delete of whole blocks visits the deleted ones plus one, and
 * once they are gone the straddling block is the only one left before the cutoff, a seek away. The cost
 * is a few seeks per series even where nothing is deleted, and the same for `newestStart` (~40 ms for
 * 9,000 series when measured): retention runs rarely, while appends run all the time.
 */
export class Blocks {
  readonly #lastEnd: Statement<[number], number>;
  readonly #insert: Statement<[number, number, number, Buffer]>;
  readonly #spans: Statement<[Range], [number, number]>;
  readonly #blobs: Statement<[Range], Buffer>;
  readonly #dropRange: Statement<[Range]>;
  readonly #reads: Statement<[Range], Buffer>;
  readonly #containing: Statement<[number, number], [number, number, Buffer]>;
  readonly #blob: Statement<[number, number], Buffer>;
  readonly #update: Statement<[Buffer, number, number, number, number]>;
  readonly #drop: Statement<[number, number]>;
  readonly #dropBefore: Statement<[{ cutoff: number }], number>;
  readonly #straddling: Statement<[{ cutoff: number }], [number, number]>;
  readonly #newest: Statement<[], number | null>;
  readonly #trim: (cutoff: number) => number;

  constructor(db: Db) {
    const series = 'series_id = @series';
    this.#lastEnd = db
      .prepare<[number], number>(
        'SELECT block_end FROM blocks WHERE series_id = ? ORDER BY block_start DESC LIMIT 1',
      )
      .pluck();
    this.#insert = db.prepare(
      'INSERT INTO blocks (series_id, block_start, block_end, data) VALUES (?, ?, ?, ?)',
    );
    // Blocks holding a start in [@from, @to]: the one reaching @from, then those beginning in the range.
    const overlapping = `${series} AND block_start >= coalesce(${REACHING_BLOCK}, @from) AND block_start`;
    this.#spans = db
      .prepare<[Range], [number, number]>(
        `SELECT block_start, block_end FROM blocks WHERE ${overlapping} <= @to ORDER BY block_start`,
      )
      .raw();
    this.#reads = db
      .prepare<[Range], Buffer>(`SELECT data FROM blocks WHERE ${overlapping} < @to ORDER BY block_start`)
      .pluck();
    const between = `${series} AND block_start >= @from AND block_start <= @to`;
    this.#blobs = db
      .prepare<[Range], Buffer>(`SELECT data FROM blocks WHERE ${between} ORDER BY block_start`)
      .pluck();
    this.#dropRange = db.prepare(`DELETE FROM blocks WHERE ${between}`);
    this.#containing = db
      .prepare<[number, number], [number, number, Buffer]>(
        `SELECT block_start, block_end, data FROM blocks WHERE series_id = ? AND block_start <= ?
         ORDER BY block_start DESC LIMIT 1`,
      )
      .raw();
    this.#blob = db
      .prepare<[number, number], Buffer>('SELECT data FROM blocks WHERE series_id = ? AND block_start = ?')
      .pluck();
    this.#update = db.prepare(
      `UPDATE blocks SET data = ?, block_start = ?, block_end = ? WHERE series_id = ? AND block_start = ?`,
    );
    this.#drop = db.prepare('DELETE FROM blocks WHERE series_id = ? AND block_start = ?');
    // `length(data)` reads the blob's size from the record header, not its pages.
    this.#dropBefore = db
      .prepare<[{ cutoff: number }], number>(
        `WITH RECURSIVE ${SERIES} DELETE FROM blocks
         WHERE series_id IN (SELECT id FROM s) AND block_start < @cutoff AND block_end < @cutoff
         RETURNING length(data)`,
      )
      .pluck();
    this.#straddling = db
      .prepare<[{ cutoff: number }], [number, number]>(
        `WITH RECURSIVE ${SERIES} SELECT b.series_id, b.block_start FROM s
         JOIN blocks b ON b.series_id = s.id AND b.block_start < @cutoff WHERE b.block_end >= @cutoff`,
      )
      .raw();
    this.#newest = db
      .prepare<[], number | null>(
        `WITH RECURSIVE ${SERIES} SELECT max((SELECT block_end FROM blocks WHERE series_id = s.id
         ORDER BY block_start DESC LIMIT 1)) FROM s WHERE s.id IS NOT NULL`,
      )
      .pluck();
    this.#trim = db.transaction((cutoff: number) => this.#deleteBefore(cutoff));
  }

  /**
   * Stores windows of one series (packed, sorted by start, unique starts). A window whose start is already
   * stored replaces the stored one. Runs inside the caller's transaction (no transaction of its own).
   */
  write(seriesId: number, windows: Float64Array): void {
    const n = checkWindows(windows);
    if (n === 0) return;
    // The common case, windows later than any stored: one probe, then new rows; no block is read.
    const lastEnd = this.#lastEnd.get(seriesId);
    if (lastEnd === undefined || startOf(windows, 0) > lastEnd) this.#insertBlocks(seriesId, windows);
    else this.#rewrite(seriesId, windows);
  }

  /** The series' windows whose start lies in [from, to), sorted, packed. */
  read(seriesId: number, from: number, to: number): Float64Array {
    const parts = this.readParts(seriesId, from, to);
    return parts.length === 1 ? (parts[0] as Float64Array) : concat(parts);
  }

  /**
   * `read`'s windows as they lie in the blocks, a view of each, not copied into one array: for a caller
   * that copies them anyway (merging the inbox's windows in).
   */
  readParts(seriesId: number, from: number, to: number): Float64Array[] {
    if (!(from < to)) return [];
    const parts: Float64Array[] = [];
    for (const blob of this.#reads.all({ series: seriesId, from, to })) {
      const block = decode(blob);
      const first = search(block, from, 0);
      const end = search(block, to, first);
      if (end > first) parts.push(block.subarray(first * WINDOW_NUMBERS, end * WINDOW_NUMBERS));
    }
    return parts;
  }

  /** Removes the window of `seriesId` starting at `start` if stored; returns whether it was. */
  remove(seriesId: number, start: number): boolean {
    const row = this.#containing.get(seriesId, start);
    if (!row || row[1] < start) return false;
    const block = decode(row[2]);
    const at = search(block, start, 0);
    if (startOf(block, at) !== start) return false;
    const rest = new Float64Array(block.length - WINDOW_NUMBERS);
    rest.set(block.subarray(0, at * WINDOW_NUMBERS));
    rest.set(block.subarray((at + 1) * WINDOW_NUMBERS), at * WINDOW_NUMBERS);
    this.#replace(seriesId, row[0], rest);
    return true;
  }

  /** Deletes every window, of every series, whose start is before `cutoff`; returns how many windows. */
  deleteBefore(cutoff: number): number {
    return this.#trim(cutoff);
  }

  /** The latest window start stored in any series, or null (a seek per series: the table has no index on it). */
  newestStart(): number | null {
    return this.#newest.get() ?? null;
  }

  /** `deleteBefore` in its transaction: whole blocks by one statement, then the straddling ones trimmed. */
  #deleteBefore(cutoff: number): number {
    let removed = 0;
    for (const bytes of this.#dropBefore.all({ cutoff })) removed += bytes / WINDOW_BYTES;
    // All rows first: better-sqlite3 cannot write while a statement is being iterated. Keys only, so that
    // a retention pass over thousands of series does not hold every straddling blob at once.
    for (const [series, start] of this.#straddling.all({ cutoff })) {
      const block = decode(this.#blob.get(series, start) as Buffer);
      const kept = search(block, cutoff, 0);
      removed += kept;
      this.#replace(series, start, block.subarray(kept * WINDOW_NUMBERS));
    }
    return removed;
  }

  /** Replaces the block of `series` starting at `start` with `windows`, or deletes it if none are left. */
  #replace(series: number, start: number, windows: Float64Array): void {
    const n = windows.length / WINDOW_NUMBERS;
    if (n === 0) this.#drop.run(series, start);
    else this.#update.run(encode(windows), startOf(windows, 0), startOf(windows, n - 1), series, start);
  }

  /** Inserts `windows` (later than, or between, the series' blocks) as new blocks of ≤ BLOCK_WINDOWS. */
  #insertBlocks(series: number, windows: Float64Array): void {
    const n = windows.length / WINDOW_NUMBERS;
    const blocks = Math.ceil(n / BLOCK_WINDOWS);
    // Even pieces: a merge that adds one window to a full block leaves two half blocks with room, where
    // 256 + 1 would leave a one-window block on every such merge.
    for (let b = 0, from = 0; b < blocks; b += 1) {
      const to = Math.floor(((b + 1) * n) / blocks);
      const piece = windows.subarray(from * WINDOW_NUMBERS, to * WINDOW_NUMBERS);
      this.#insert.run(series, startOf(piece, 0), startOf(piece, to - from - 1), encode(piece));
      from = to;
    }
  }

  /**
   * Writes windows reaching into the series' stored range. A stored block holding a new window's start is
   * read, merged with the new windows around it (the new one winning on an equal start) and rewritten; a
   * block holding none stays as it is and separates the merges, so that a window an hour late and a run
   * of current ones do not rewrite the hour of blocks between them.
   */
  #rewrite(series: number, windows: Float64Array): void {
    const n = windows.length / WINDOW_NUMBERS;
    const range = { series, from: startOf(windows, 0), to: startOf(windows, n - 1) };
    let next = 0; // the first new window of the current merge
    let touched: [first: number, last: number] | null = null; // the merge's stored blocks (their starts)
    for (const [start, end] of this.#spans.all(range)) {
      const inside = search(windows, start, next);
      if (inside < n && startOf(windows, inside) <= end) {
        touched = [touched?.[0] ?? start, start];
        continue;
      }
      this.#merge(series, windows.subarray(next * WINDOW_NUMBERS, inside * WINDOW_NUMBERS), touched);
      next = inside;
      touched = null;
    }
    this.#merge(series, windows.subarray(next * WINDOW_NUMBERS), touched);
  }

  /** Merges new `windows` with the consecutive stored blocks starting from `touched[0]` to `touched[1]`. */
  #merge(series: number, windows: Float64Array, touched: [number, number] | null): void {
    if (!touched) {
      if (windows.length > 0) this.#insertBlocks(series, windows);
      return;
    }
    const range = { series, from: touched[0], to: touched[1] };
    const stored = concat(this.#blobs.all(range).map(decode));
    this.#dropRange.run(range);
    this.#insertBlocks(series, mergeWindows(stored, windows));
  }
}

/** The number of windows in `windows`, checked to be whole windows in increasing order of start. */
function checkWindows(windows: Float64Array): number {
  if (windows.length % WINDOW_NUMBERS !== 0)
    throw new Error(`${windows.length} numbers are not whole windows of ${WINDOW_NUMBERS}`);
  const n = windows.length / WINDOW_NUMBERS;
  for (let i = 1; i < n; i += 1)
    if (!(startOf(windows, i) > startOf(windows, i - 1)))
      throw new Error(
        `window starts must increase: ${startOf(windows, i)} follows ${startOf(windows, i - 1)}`,
      );
  return n;
}

function startOf(windows: Float64Array, i: number): number {
  return windows[i * WINDOW_NUMBERS] as number;
}

/** The first window at or after index `from` whose start is at least `value` (the count if none). */
function search(windows: Float64Array, value: number, from: number): number {
  let lo = from;
  let hi = windows.length / WINDOW_NUMBERS;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (startOf(windows, mid) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Both sorted runs of windows as one, a window of `added` replacing a stored one of the same start. */
function mergeWindows(stored: Float64Array, added: Float64Array): Float64Array {
  const out = new Float64Array(stored.length + added.length);
  let s = 0;
  let a = 0;
  let o = 0;
  while (s < stored.length || a < added.length) {
    const fromAdded =
      s >= stored.length || (a < added.length && (added[a] as number) <= (stored[s] as number));
    if (fromAdded && s < stored.length && added[a] === stored[s]) s += WINDOW_NUMBERS;
    const source = fromAdded ? added : stored;
    const at = fromAdded ? a : s;
    out.set(source.subarray(at, at + WINDOW_NUMBERS), o);
    o += WINDOW_NUMBERS;
    if (fromAdded) a += WINDOW_NUMBERS;
    else s += WINDOW_NUMBERS;
  }
  return out.subarray(0, o);
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((sum, part) => sum + part.length, 0));
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

/** A blob of float64s (a block's or an inbox row's): their bytes, not a copy (better-sqlite3 copies them). */
export function encode(windows: Float64Array): Buffer {
  return Buffer.from(windows.buffer, windows.byteOffset, windows.byteLength);
}

/** The windows of a block's blob. */
function decode(blob: Buffer): Float64Array {
  if (blob.byteLength % WINDOW_BYTES !== 0) throw new Error(`a block of ${blob.byteLength} bytes`);
  return float64s(blob);
}

/** A blob's float64s (a block's or an inbox row's), over its bytes if 8-byte aligned, else copied. */
export function float64s(blob: Buffer): Float64Array {
  const length = blob.byteLength / Float64Array.BYTES_PER_ELEMENT;
  if (blob.byteOffset % Float64Array.BYTES_PER_ELEMENT === 0)
    return new Float64Array(blob.buffer, blob.byteOffset, length);
  return new Float64Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}
