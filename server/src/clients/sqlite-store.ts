import { setImmediate as nextTurn } from 'node:timers/promises';
import { type BackgroundTimer, backgroundTimer } from '@metrics-collector/common/timer';
import type {
  ClientPage,
  ClientRecord,
  ClientSighting,
  StateStore,
} from '@metrics-collector/schema/clients/types';
import type Database from 'better-sqlite3';
import { type Db, openDatabase } from '../sqlite/database.js';
import { createGroupCommit } from '../sqlite/group-commit.js';

const migrations = [
  `CREATE TABLE clients (
     id          TEXT PRIMARY KEY,
     hostname    TEXT,
     os_type     TEXT,
     os_version  TEXT,
     core_count  INTEGER,
     first_seen  INTEGER NOT NULL,
     last_seen   INTEGER NOT NULL
   ) WITHOUT ROWID;`,
];

interface ClientRow {
  id: string;
  hostname: string | null;
  os_type: string | null;
  os_version: string | null;
  core_count: number | null;
  first_seen: number;
  last_seen: number;
}

export interface SqliteStateStoreOptions {
  dataDir: string;
  /**
   * How long an advance of `lastSeen` alone may stay in memory before it is written, ms. New clients and
   * changed host details are committed before the report is acknowledged.
   * @default 10000
   */
  lastSeenFlushInterval?: number;
  /** Called when a background write fails; it is retried on the next turn. */
  onBackgroundError?: (error: unknown) => void;
}

/**
 * The client registry in `<dataDir>/state.db`, read from memory. Host details are those of the newest
 * window seen (largest `seenAt`); an older one only fills details still unknown. A report from a known
 * client whose details did not change only moves `lastSeen`, which is written in the background every
 * `lastSeenFlushInterval` and on close: the ingest path then commits (and fsyncs) one database, not two.
 */
export class SqliteStateStore implements StateStore {
  readonly #db: Db;
  readonly #upsert: Database.Statement<[ClientRecord]>;
  readonly #clients: Map<string, ClientRecord>;
  /** The ids in order, for paging; rebuilt after a new client registered. */
  #ordered: string[] | null = null;
  readonly #dirty = new Set<string>();
  readonly #submit: (record: ClientRecord) => Promise<void>;
  readonly #timer: BackgroundTimer;
  #closed = false;
  /** Sightings of one client apply in order, so two first reports racing cannot both insert. */
  readonly #inflight = new Map<string, Promise<void>>();

  constructor(options: SqliteStateStoreOptions) {
    const db = openDatabase(options.dataDir, 'state', migrations);
    this.#db = db;
    const upsert = db.prepare<[ClientRecord]>(`
      INSERT INTO clients (id, hostname, os_type, os_version, core_count, first_seen, last_seen)
      VALUES (@id, @hostname, @osType, @osVersion, @coreCount, @firstSeen, @lastSeen)
      ON CONFLICT (id) DO UPDATE SET
        hostname = excluded.hostname, os_type = excluded.os_type, os_version = excluded.os_version,
        core_count = excluded.core_count, first_seen = excluded.first_seen, last_seen = excluded.last_seen`);
    this.#upsert = upsert;
    this.#clients = new Map(
      db
        .prepare<[], ClientRow>('SELECT * FROM clients')
        .all()
        .map((row) => [row.id, toRecord(row)]),
    );
    this.#submit = createGroupCommit<ClientRecord>(db, (record) => upsert.run(record));
    // A failed background write keeps its ids dirty for the next turn.
    this.#timer = backgroundTimer({
      intervalMs: options.lastSeenFlushInterval ?? 10_000,
      run: () => this.#flushLastSeenInSlices(),
      onError: (error) => options.onBackgroundError?.(error),
    });
    this.#timer.start();
  }

  recordSighting(sighting: ClientSighting): Promise<void> {
    const inflight = this.#inflight;
    const previous = inflight.get(sighting.id);
    // Most reports: a known client, nothing of it being committed, its details unchanged.
    if (previous === undefined && this.#seenAgain(sighting)) return DONE;
    const done = previous
      ? previous.catch(() => undefined).then(() => this.#record(sighting))
      : this.#record(sighting);
    inflight.set(sighting.id, done);
    const forget = () => {
      if (inflight.get(sighting.id) === done) inflight.delete(sighting.id);
    };
    done.then(forget, forget);
    return done;
  }

  async listClients({ first, after }: ClientPage): Promise<ClientRecord[]> {
    this.#ordered ??= [...this.#clients.keys()].sort(compareIds);
    const ids = this.#ordered;
    // The first id past `after` (binary search).
    let low = 0;
    let high = ids.length;
    while (after !== null && low < high) {
      const middle = (low + high) >>> 1;
      if (compareIds(ids[middle] as string, after) <= 0) low = middle + 1;
      else high = middle;
    }
    return ids.slice(low, low + first).map((id) => this.#clients.get(id) as ClientRecord);
  }

  async countClients(): Promise<number> {
    return this.#clients.size;
  }

  async getClient(id: string): Promise<ClientRecord | null> {
    return this.#clients.get(id) ?? null;
  }

  async forgetClient(id: string): Promise<ClientRecord | null> {
    // After a sighting of the client still being committed, which would otherwise register it again.
    await this.#inflight.get(id)?.catch(() => undefined);
    const known = this.#clients.get(id);
    if (!known) return null;
    this.#db.prepare<[string]>('DELETE FROM clients WHERE id = ?').run(id);
    this.#clients.delete(id);
    this.#dirty.delete(id);
    this.#ordered = null;
    return known;
  }

  async close(): Promise<void> {
    this.#timer.stop();
    this.#closed = true;
    this.#writeLastSeen([...this.#dirty]);
    this.#db.close();
  }

  /** The sighting of a known client, applied in memory if it changes nothing but `lastSeen`. */
  #seenAgain(sighting: ClientSighting): boolean {
    const known = this.#clients.get(sighting.id);
    return known !== undefined && this.#advanced(known, recordAfter(known, sighting));
  }

  /**
   * Applies `next` in memory when it changes nothing of `known` but `lastSeen` (written in the background);
   * false when it needs a commit.
   */
  #advanced(known: ClientRecord, next: ClientRecord): boolean {
    if (!sameDetails(known, next)) return false;
    if (next.lastSeen !== known.lastSeen) {
      this.#clients.set(next.id, next);
      this.#dirty.add(next.id);
    }
    return true;
  }

  async #record(sighting: ClientSighting): Promise<void> {
    const known = this.#clients.get(sighting.id);
    const next = recordAfter(known, sighting);
    if (known && this.#advanced(known, next)) return;
    await this.#submit(next);
    if (!known) this.#ordered = null;
    this.#clients.set(next.id, next);
    this.#dirty.delete(next.id);
  }

  /**
   * The background write of the `lastSeen` values that alone moved: `FLUSH_SLICE` clients per transaction,
   * the event loop running between them (with 10,000 clients, one transaction held it for about 60 ms).
   */
  async #flushLastSeenInSlices(): Promise<void> {
    const ids = [...this.#dirty];
    for (let from = 0; from < ids.length; from += FLUSH_SLICE) {
      if (from > 0) await nextTurn();
      // `close()` wrote what was left.
      if (this.#closed) return;
      this.#writeLastSeen(ids.slice(from, from + FLUSH_SLICE));
    }
  }

  /** Writes the records of `ids` still dirty (not forgotten, not committed since) in one transaction. */
  #writeLastSeen(ids: string[]): void {
    const records: ClientRecord[] = [];
    for (const id of ids) {
      const record = this.#dirty.has(id) ? this.#clients.get(id) : undefined;
      if (record) records.push(record);
    }
    if (records.length === 0) return;
    this.#db.transaction(() => {
      for (const record of records) this.#upsert.run(record);
    })();
    for (const record of records) this.#dirty.delete(record.id);
  }
}

/** Opens the client registry, `<dataDir>/state.db`. */
export function createSqliteStateStore(options: SqliteStateStoreOptions): SqliteStateStore {
  return new SqliteStateStore(options);
}

const DONE = Promise.resolve();

/** Clients whose `lastSeen` one background transaction writes. */
const FLUSH_SLICE = 500;

/** The record after `sighting`: the newest window's details win; an older one (a backlog sent after an outage) only fills gaps. */
function recordAfter(known: ClientRecord | undefined, sighting: ClientSighting): ClientRecord {
  const [first, second] = !known || sighting.seenAt >= known.lastSeen ? [sighting, known] : [known, sighting];
  return {
    id: sighting.id,
    hostname: first.hostname ?? second?.hostname ?? null,
    osType: first.osType ?? second?.osType ?? null,
    osVersion: first.osVersion ?? second?.osVersion ?? null,
    coreCount: first.coreCount ?? second?.coreCount ?? null,
    firstSeen: Math.min(known?.firstSeen ?? sighting.seenAt, sighting.seenAt),
    lastSeen: Math.max(known?.lastSeen ?? sighting.seenAt, sighting.seenAt),
  };
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameDetails(a: ClientRecord, b: ClientRecord): boolean {
  return (
    a.hostname === b.hostname &&
    a.osType === b.osType &&
    a.osVersion === b.osVersion &&
    a.coreCount === b.coreCount &&
    a.firstSeen === b.firstSeen
  );
}

function toRecord(row: ClientRow): ClientRecord {
  return {
    id: row.id,
    hostname: row.hostname,
    osType: row.os_type,
    osVersion: row.os_version,
    coreCount: row.core_count,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
  };
}
