import type Database from 'better-sqlite3';
import { commitItems } from '../../sqlite/commit-items.js';
import type { Db } from '../../sqlite/database.js';
import { Blocks } from './blocks.js';
import { INBOX_NUMBERS, InboxWriter, type MergeRange, Merger } from './inbox.js';

/*
 * The embedded store's writes, synchronous on the write connection: in the write thread (write-thread.ts),
 * which the main thread feeds with `packItems` (write-pool.ts).
 */

/**
 * Numbers per point in `PackedItems.numbers`: the series' key id (an index into the keys the main thread
 * sent), then window start and end, count, mean, variance, min, max.
 */
export const POINT_NUMBERS = 8;

/**
 * A group of writes (each one `write` call's points) as numbers, to cross to the write thread in one
 * transferred buffer: structured-cloning point objects, or a key string per point, cost the event loop
 * more than the inserts. A series' key (`<storage name>\0<core or -1>\0<client id>`) crosses once, the
 * first time it is written, as `newKeys` with the ids from `firstKey` on.
 */
export interface PackedItems {
  numbers: Float64Array;
  /** Points per item, in order. */
  sizes: number[];
  newKeys: string[];
  firstKey: number;
}

/** Writes, merges and retention of `metrics.db` on the write connection `db`. */
export class MetricWrites {
  readonly #db: Db;
  readonly #series: SeriesIds;
  readonly #inbox: InboxWriter;
  readonly #blocks: Blocks;
  readonly #merger: Merger;
  readonly #retention: Retention;
  /** The series keys by key id, as the main thread sent them. */
  readonly #keys: string[] = [];

  constructor(db: Db) {
    this.#db = db;
    this.#series = new SeriesIds(db);
    this.#inbox = new InboxWriter(db);
    this.#blocks = new Blocks(db);
    this.#merger = new Merger(db, this.#blocks);
    this.#retention = new Retention(db, this.#blocks);
  }

  /**
   * Commits every item of `packed` in one transaction, or (when that fails) each alone. Returns each
   * item's error message, `null` for an item that committed.
   */
  write({ numbers, sizes, newKeys, firstKey }: PackedItems): (string | null)[] {
    if (firstKey !== this.#keys.length)
      throw new Error(`key ${firstKey} sent, ${this.#keys.length} expected`);
    for (const key of newKeys) this.#keys.push(key);
    const items: [number, number][] = [];
    let from = 0;
    for (const size of sizes) {
      items.push([from, from + size]);
      from += size;
    }
    const errors = commitItems(this.#db, items, ([start, end]) => this.#writeItem(numbers, start, end), {
      // Series ids become visible to later groups only once the transaction that made them committed.
      committed: () => this.#series.commit(),
      rolledBack: () => this.#series.rollBack(),
    });
    return errors.map((error) => (error === undefined ? null : String((error as Error).message ?? error)));
  }

  /**
   * One item's points as inbox rows: one per client and window start, which a report's points share (the
   * common case: one row, packed without any intermediate object). A series written twice in one item
   * keeps its later point, as a later write replaces an earlier one.
   */
  #writeItem(numbers: Float64Array, start: number, end: number): void {
    const first = start * POINT_NUMBERS;
    const windowStart = numbers[first + 1] as number;
    const clientId = this.#series.clientOf(numbers[first] as number, this.#keys);
    const packed = new Float64Array((end - start) * INBOX_NUMBERS);
    for (let i = start; i < end; i += 1) {
      const o = i * POINT_NUMBERS;
      const keyId = numbers[o] as number;
      if (numbers[o + 1] !== windowStart || this.#series.clientOf(keyId, this.#keys) !== clientId) {
        this.#writeRows(numbers, start, end);
        return;
      }
      const p = (i - start) * INBOX_NUMBERS;
      packed[p] = this.#series.idOf(keyId, this.#keys);
      for (let k = 1; k < INBOX_NUMBERS; k += 1) packed[p + k] = numbers[o + k + 1] as number;
      for (let q = 0; q < p; q += INBOX_NUMBERS) {
        if (packed[q] === packed[p]) {
          this.#writeRows(numbers, start, end);
          return;
        }
      }
    }
    this.#inbox.write(windowStart, clientId, packed);
  }

  /** `#writeItem` for an item of several clients or window starts, or with a series twice: a row each. */
  #writeRows(numbers: Float64Array, start: number, end: number): void {
    const rows = new Map<string, { windowStart: number; clientId: string; points: Map<number, number[]> }>();
    for (let i = start; i < end; i += 1) {
      const o = i * POINT_NUMBERS;
      const keyId = numbers[o] as number;
      const windowStart = numbers[o + 1] as number;
      const clientId = this.#series.clientOf(keyId, this.#keys);
      const key = `${windowStart} ${clientId}`;
      let row = rows.get(key);
      if (!row) {
        row = { windowStart, clientId, points: new Map() };
        rows.set(key, row);
      }
      const stats = Array.from(numbers.subarray(o + 2, o + POINT_NUMBERS));
      row.points.set(this.#series.idOf(keyId, this.#keys), stats);
    }
    for (const { windowStart, clientId, points } of rows.values()) {
      const packed = new Float64Array(points.size * INBOX_NUMBERS);
      let p = 0;
      for (const [id, stats] of points) {
        packed[p] = id;
        packed.set(stats, p + 1);
        p += INBOX_NUMBERS;
      }
      this.#inbox.write(windowStart, clientId, packed);
    }
  }

  /** What a merge moves now (`Merger.plan`). */
  mergePlan(keep: number | null) {
    return this.#merger.plan(keep);
  }

  /** Moves one chunk of a merge (`Merger.mergeChunk`); returns how many rows moved. */
  mergeChunk(range: MergeRange): number {
    return this.#merger.mergeChunk(range);
  }

  /** Deletes windows more than `retention` ms behind the newest one; returns how many. */
  enforceRetention(retention: number): number {
    return this.#retention.enforce(retention);
  }
}

type Statement<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/**
 * The id of each series (by key id), inserted on first sight. Ids made by a transaction are `pending`
 * until it commits: a rolled-back one must not leave ids that do not exist.
 */
class SeriesIds {
  readonly #committed: number[] = [];
  readonly #pending = new Map<number, number>();
  readonly #clients: string[] = [];
  readonly #insert: Statement<[string, string, number], { id: number }>;
  readonly #select: Statement<[string, string, number], { id: number }>;

  constructor(db: Db) {
    this.#insert = db.prepare(
      'INSERT INTO series (client_id, metric, core) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING id',
    );
    this.#select = db.prepare('SELECT id FROM series WHERE client_id = ? AND metric = ? AND core = ?');
  }

  idOf(keyId: number, keys: readonly string[]): number {
    const known = this.#committed[keyId] ?? this.#pending.get(keyId);
    if (known !== undefined) return known;
    const key = keys[keyId];
    if (key === undefined) throw new Error(`no series key ${keyId}`);
    const [metric, core, clientId] = key.split('\u0000') as [string, string, string];
    const id = (
      this.#insert.get(clientId, metric, Number(core)) ?? this.#select.get(clientId, metric, Number(core))
    )?.id;
    if (id === undefined) throw new Error(`series ${key} was neither inserted nor found`);
    this.#pending.set(keyId, id);
    return id;
  }

  /** The client of a series key. */
  clientOf(keyId: number, keys: readonly string[]): string {
    let client = this.#clients[keyId];
    if (client === undefined) {
      const key = keys[keyId];
      if (key === undefined) throw new Error(`no series key ${keyId}`);
      client = key.slice(key.indexOf('\u0000', key.indexOf('\u0000') + 1) + 1);
      this.#clients[keyId] = client;
    }
    return client;
  }

  commit(): void {
    for (const [keyId, id] of this.#pending) this.#committed[keyId] = id;
    this.#pending.clear();
  }

  rollBack(): void {
    this.#pending.clear();
  }
}

/**
 * Retention counts back from the newest stored window (as Prometheus does), not from the wall clock, so
 * replayed history is not deleted just because it is old. Every lookup here walks a primary key.
 */
class Retention {
  readonly #db: Db;
  readonly #blocks: Blocks;
  readonly #newestInbox: Statement<[], number | null>;
  readonly #inboxPointsBefore: Statement<[number], number | null>;
  readonly #deleteInboxBefore: Statement<[number]>;

  constructor(db: Db, blocks: Blocks) {
    this.#db = db;
    this.#blocks = blocks;
    this.#newestInbox = db.prepare<[], number | null>('SELECT max(window_start) FROM inbox').pluck();
    this.#inboxPointsBefore = db
      .prepare<[number], number | null>(
        `SELECT sum(length(data)) / ${8 * INBOX_NUMBERS} FROM inbox WHERE window_start < ?`,
      )
      .pluck();
    this.#deleteInboxBefore = db.prepare('DELETE FROM inbox WHERE window_start < ?');
  }

  /** Deletes windows more than `retention` ms behind the newest one, in both parts; returns how many. */
  enforce(retention: number): number {
    const newest = Math.max(
      this.#newestInbox.get() ?? Number.NEGATIVE_INFINITY,
      this.#blocks.newestStart() ?? Number.NEGATIVE_INFINITY,
    );
    if (!Number.isFinite(newest)) return 0;
    const cutoff = newest - retention;
    return this.#db.transaction(() => {
      const inbox = this.#inboxPointsBefore.get(cutoff) ?? 0;
      this.#deleteInboxBefore.run(cutoff);
      return inbox + this.#blocks.deleteBefore(cutoff);
    })();
  }
}
