import type Database from 'better-sqlite3';
import { commitItems } from '../../sqlite/commit-items.js';
import type { Db } from '../../sqlite/database.js';
import { Merger, RecentWriter, ROW_WIDTH } from './recent.js';

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
  readonly #recent: RecentWriter;
  readonly #merger: Merger;
  readonly #retention: Retention;
  /** The series keys by key id, as the main thread sent them. */
  readonly #keys: string[] = [];

  constructor(db: Db) {
    this.#db = db;
    this.#series = new SeriesIds(db);
    this.#recent = new RecentWriter(db);
    this.#merger = new Merger(db, this.#recent);
    this.#retention = new Retention(db);
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
    const errors = commitItems(
      this.#db,
      items,
      ([start, end]) => {
        const rows: number[] = new Array((end - start) * ROW_WIDTH);
        for (let i = start; i < end; i += 1) {
          const o = i * POINT_NUMBERS;
          const r = (i - start) * ROW_WIDTH;
          rows[r] = this.#series.idOf(numbers[o] as number, this.#keys);
          for (let k = 1; k < ROW_WIDTH; k += 1) rows[r + k] = numbers[o + k] as number;
        }
        this.#recent.write(rows);
      },
      // Series ids become visible to later groups only once the transaction that made them committed.
      { committed: () => this.#series.commit(), rolledBack: () => this.#series.rollBack() },
    );
    return errors.map((error) => (error === undefined ? null : String((error as Error).message ?? error)));
  }

  /** What a merge moves now (`Merger.plan`). */
  mergePlan(keep: number | null) {
    return this.#merger.plan(keep);
  }

  /** Moves one chunk of a merge (`Merger.mergeChunk`); returns how many rows moved. */
  mergeChunk(range: { from: number; to: number; lo: number; hi: number }): number {
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
  readonly #seriesList: Statement<[], number>;
  readonly #newestOf: Statement<[number], number | null>;
  readonly #newestRecent: Statement<[], number | null>;
  readonly #deleteBefore: Statement<[number, number]>;
  readonly #deleteRecentBefore: Statement<[number]>;

  constructor(db: Db) {
    this.#db = db;
    this.#seriesList = db.prepare<[], number>('SELECT id FROM series').pluck();
    this.#newestOf = db
      .prepare<[number], number | null>('SELECT max(window_start) FROM points WHERE series_id = ?')
      .pluck();
    this.#newestRecent = db.prepare<[], number | null>('SELECT max(window_start) FROM recent').pluck();
    this.#deleteBefore = db.prepare('DELETE FROM points WHERE series_id = ? AND window_start < ?');
    this.#deleteRecentBefore = db.prepare('DELETE FROM recent WHERE window_start < ?');
  }

  /** Deletes windows more than `retention` ms behind the newest one, in both tables; returns how many. */
  enforce(retention: number): number {
    const ids = this.#seriesList.all();
    const newest = Math.max(
      this.#newestRecent.get() ?? Number.NEGATIVE_INFINITY,
      ...ids.map((id) => this.#newestOf.get(id) ?? Number.NEGATIVE_INFINITY),
    );
    if (!Number.isFinite(newest)) return 0;
    const cutoff = newest - retention;
    return this.#db.transaction(
      () =>
        this.#deleteRecentBefore.run(cutoff).changes +
        ids.reduce((sum, id) => sum + this.#deleteBefore.run(id, cutoff).changes, 0),
    )();
  }
}
