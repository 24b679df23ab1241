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
    last_seen  = greatest(c.last_seen, excluded.last_seen)`;

interface Pending {
  sighting: ClientSighting;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The client registry in PostgreSQL (`DATABASE_URL`), shared by replicas: every read asks the database,
 * so a client registered through one replica is listed by all. The sightings of one turn of the event
 * loop go out as one multi-row upsert (a report costs a share of one round trip and one commit, as the
 * SQLite store's group commit does); each resolves once that statement committed.
 */
export class PgStateStore implements StateStore {
  readonly #db: PgDatabase;
  #pending: Pending[] = [];
  /** The batches being written. */
  readonly #flushing = new Set<Promise<void>>();

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  recordSighting(sighting: ClientSighting): Promise<void> {
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
    return rows.map(toRecord);
  }

  async countClients(): Promise<number> {
    const [row] = await this.#db.read<{ count: number }>('SELECT count(*)::int AS count FROM clients');
    return row?.count ?? 0;
  }

  async getClient(id: string): Promise<ClientRecord | null> {
    const [row] = await this.#db.read<ClientRow>('SELECT * FROM clients WHERE id = $1', [id]);
    return row ? toRecord(row) : null;
  }

  /** The database is closed by its owner (the app), which may share it with other stores. */
  async close(): Promise<void> {
    this.#startFlush();
    await Promise.all(this.#flushing);
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
        await this.#db.write(UPSERT, [
          s.map((x) => x.id),
          s.map((x) => x.hostname),
          s.map((x) => x.osType),
          s.map((x) => x.osVersion),
          s.map((x) => x.coreCount),
          s.map((x) => x.seenAt),
        ]);
        for (const p of now) p.resolve();
      } catch (error) {
        for (const p of now) p.reject(error);
      }
      round = later;
    }
  }
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
