import { type BackgroundTimer, backgroundTimer } from '@metrics-collector/common/timer';
import type {
  ClientPage,
  ClientRecord,
  ClientSighting,
  StateStore,
} from '@metrics-collector/schema/clients/types';
import type { PgDatabase } from '../pg/database.js';

interface ClientRow {
  id: string;
  hostname: string | null;
  os_type: string | null;
  os_version: string | null;
  core_count: number | null;
  first_seen: number;
  last_seen: number;
}

/**
 * One statement registers or updates a batch of sightings. The row lock of `ON CONFLICT DO UPDATE` orders
 * writers of one client, and each compares with the row as committed (not as it read it): of two
 * replicas' sightings the newest window's details win whichever commits last, and an older one only fills
 * what is still unknown.
 */
const UPSERT = `
  INSERT INTO clients AS c (id, hostname, os_type, os_version, core_count, first_seen, last_seen)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $6::bigint[])
  ON CONFLICT (id) DO UPDATE SET
    hostname   = CASE WHEN excluded.last_seen >= c.last_seen THEN coalesce(excluded.hostname, c.hostname)
                      ELSE coalesce(c.hostname, excluded.hostname) END,
    os_type    = CASE WHEN excluded.last_seen >= c.last_seen THEN coalesce(excluded.os_type, c.os_type)
                      ELSE coalesce(c.os_type, excluded.os_type) END,
    os_version = CASE WHEN excluded.last_seen >= c.last_seen THEN coalesce(excluded.os_version, c.os_version)
                      ELSE coalesce(c.os_version, excluded.os_version) END,
    core_count = CASE WHEN excluded.last_seen >= c.last_seen THEN coalesce(excluded.core_count, c.core_count)
                      ELSE coalesce(c.core_count, excluded.core_count) END,
    first_seen = least(c.first_seen, excluded.first_seen),
    last_seen  = greatest(c.last_seen, excluded.last_seen)
  RETURNING *`;

interface Pending {
  sighting: ClientSighting;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface PgStateStoreOptions {
  /**
   * How long an advance of `lastSeen` alone may wait before it is written, ms (other replicas see it that
   * late; this one at once). New clients and changed host details are committed before the report is
   * acknowledged. @default 2000
   */
  lastSeenFlushInterval?: number;
  /** Called when a background write fails; it is retried on the next turn. */
  onBackgroundError?: (error: unknown) => void;
}

/**
 * The client registry in PostgreSQL (`DATABASE_URL`), shared by replicas: every read asks the database,
 * so a client registered through one replica is listed by all. The sightings of one turn of the event
 * loop go out as one multi-row upsert (a report costs a share of one round trip and one commit, as the
 * SQLite store's group commit does); each resolves once that statement committed.
 *
 * As in the SQLite store, a report that only moves `lastSeen` (its client's details as this replica last
 * wrote or read them) is not written at once: the newest such sighting per client goes out with the next
 * flush, through the same upsert, so whatever another replica wrote meanwhile the newest window's details
 * still win. This replica's reads add the `lastSeen` not yet written.
 */
export class PgStateStore implements StateStore {
  readonly #db: PgDatabase;
  #pending: Pending[] = [];
  /** The batches being written. */
  readonly #flushing = new Set<Promise<void>>();
  /** Each client as this replica last wrote (or read back) it. */
  readonly #known = new Map<string, ClientRecord>();
  /** Per client, the newest sighting that only moved `lastSeen`, not yet written. */
  readonly #deferred = new Map<string, ClientSighting>();
  readonly #timer: BackgroundTimer;

  constructor(db: PgDatabase, options: PgStateStoreOptions = {}) {
    this.#db = db;
    this.#timer = backgroundTimer({
      intervalMs: options.lastSeenFlushInterval ?? 2_000,
      run: () => this.#flushDeferred(),
      onError: (error) => options.onBackgroundError?.(error),
    });
    this.#timer.start();
  }

  recordSighting(sighting: ClientSighting): Promise<void> {
    const known = this.#known.get(sighting.id);
    if (known && changesNothing(known, sighting)) return Promise.resolve();
    if (known && onlyMovesLastSeen(known, sighting)) {
      const waiting = this.#deferred.get(sighting.id);
      if (!waiting || waiting.seenAt < sighting.seenAt) this.#deferred.set(sighting.id, sighting);
      return Promise.resolve();
    }
    return this.#write(sighting);
  }

  #write(sighting: ClientSighting): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#pending.length === 0) setImmediate(() => this.#startFlush());
      this.#pending.push({ sighting, resolve, reject });
    });
  }

  async listClients({ first, after }: ClientPage): Promise<ClientRecord[]> {
    const rows = await this.#db.read<ClientRow>(
      // `id` is COLLATE "C" (the migration): code-point order, as the SQLite store pages them.
      'SELECT * FROM clients WHERE $1::text IS NULL OR id > $1 ORDER BY id LIMIT $2',
      [after, first],
    );
    return rows.map((row) => this.#withDeferred(toRecord(row)));
  }

  async countClients(): Promise<number> {
    const [row] = await this.#db.read<{ count: number }>('SELECT count(*)::int AS count FROM clients');
    return row?.count ?? 0;
  }

  async getClient(id: string): Promise<ClientRecord | null> {
    const [row] = await this.#db.read<ClientRow>('SELECT * FROM clients WHERE id = $1', [id]);
    return row ? this.#withDeferred(toRecord(row)) : null;
  }

  /**
   * Removes the client (`forgetClient`), after this replica's writes of it still on their way, so that a
   * sighting being committed does not register it again; its `lastSeen` not yet written goes too. A later
   * sighting, through any replica, registers it anew.
   */
  async forgetClient(id: string): Promise<ClientRecord | null> {
    if (this.#pending.some((p) => p.sighting.id === id)) this.#startFlush();
    await Promise.all(this.#flushing);
    const waiting = this.#deferred.get(id);
    this.#deferred.delete(id);
    this.#known.delete(id);
    const { rows } = await this.#db.write<ClientRow>('DELETE FROM clients WHERE id = $1 RETURNING *', [id]);
    if (!rows[0]) return null;
    const record = toRecord(rows[0]);
    return waiting && waiting.seenAt > record.lastSeen ? { ...record, lastSeen: waiting.seenAt } : record;
  }

  /** Writes the deferred `lastSeen`s; the database is closed by its owner (the app), which shares it. */
  async close(): Promise<void> {
    this.#timer.stop();
    await this.#flushDeferred();
    this.#startFlush();
    await Promise.all(this.#flushing);
  }

  /** The record with the `lastSeen` this replica has not written yet. */
  #withDeferred(record: ClientRecord): ClientRecord {
    const waiting = this.#deferred.get(record.id);
    return waiting && waiting.seenAt > record.lastSeen ? { ...record, lastSeen: waiting.seenAt } : record;
  }

  /** Writes the deferred sightings (a failed write keeps them for the next turn). */
  async #flushDeferred(): Promise<void> {
    if (this.#deferred.size === 0) return;
    const batch = [...this.#deferred.values()];
    this.#deferred.clear();
    const results = await Promise.allSettled(batch.map((s) => this.#write(s)));
    let failure: unknown = null;
    for (const [i, result] of results.entries()) {
      if (result.status === 'fulfilled') continue;
      failure = result.reason;
      const s = batch[i] as ClientSighting;
      const waiting = this.#deferred.get(s.id);
      if (!waiting || waiting.seenAt < s.seenAt) this.#deferred.set(s.id, s);
    }
    if (failure !== null) throw failure;
  }

  #startFlush(): void {
    if (this.#pending.length === 0) return;
    const flushing = this.#flush();
    this.#flushing.add(flushing);
    void flushing.then(() => this.#flushing.delete(flushing));
  }

  /** Writes the pending sightings; never rejects (each sighting's promise carries its outcome). */
  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    // One statement may not update a row twice: a client's second sighting goes in the next round. Rows
    // in id order, so that two replicas' batches lock shared rows in the same order (no deadlock).
    for (let round = batch; round.length > 0; ) {
      const ids = new Set<string>();
      const now: Pending[] = [];
      const later: Pending[] = [];
      for (const item of round) {
        if (ids.has(item.sighting.id)) later.push(item);
        else {
          ids.add(item.sighting.id);
          now.push(item);
        }
      }
      now.sort((a, b) => (a.sighting.id < b.sighting.id ? -1 : a.sighting.id > b.sighting.id ? 1 : 0));
      try {
        const s = now.map((p) => p.sighting);
        const { rows } = await this.#db.write<ClientRow>(UPSERT, [
          s.map((x) => x.id),
          s.map((x) => x.hostname),
          s.map((x) => x.osType),
          s.map((x) => x.osVersion),
          s.map((x) => x.coreCount),
          s.map((x) => x.seenAt),
        ]);
        for (const row of rows) this.#known.set(row.id, toRecord(row));
        for (const p of now) p.resolve();
      } catch (error) {
        for (const p of now) p.reject(error);
      }
      round = later;
    }
  }
}

/**
 * Whether the sighting, applied to the client as known, would change only `lastSeen`: a window at least
 * as new, whose details are those known (a detail it leaves unknown keeps the known one).
 */
function onlyMovesLastSeen(known: ClientRecord, s: ClientSighting): boolean {
  return (
    s.seenAt >= known.lastSeen &&
    (s.hostname === null || s.hostname === known.hostname) &&
    (s.osType === null || s.osType === known.osType) &&
    (s.osVersion === null || s.osVersion === known.osVersion) &&
    (s.coreCount === null || s.coreCount === known.coreCount)
  );
}

/**
 * Whether the sighting would change nothing: an older window within the known span, every detail already
 * known (an older window only fills unknown details, and the database never forgets one).
 */
function changesNothing(known: ClientRecord, s: ClientSighting): boolean {
  return (
    s.seenAt <= known.lastSeen &&
    s.seenAt >= known.firstSeen &&
    known.hostname !== null &&
    known.osType !== null &&
    known.osVersion !== null &&
    known.coreCount !== null
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
