import type { ClientRecord, ClientSighting, StateStore } from '@metrics-collector/schema/clients/types';
import { createGroupCommit, type Db, openDatabase } from './sqlite.js';

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
export function createSqliteStateStore(options: SqliteStateStoreOptions): StateStore {
  const db: Db = openDatabase(options.dataDir, 'state', migrations);
  const upsert = db.prepare(`
    INSERT INTO clients (id, hostname, os_type, os_version, core_count, first_seen, last_seen)
    VALUES (@id, @hostname, @osType, @osVersion, @coreCount, @firstSeen, @lastSeen)
    ON CONFLICT (id) DO UPDATE SET
      hostname = excluded.hostname, os_type = excluded.os_type, os_version = excluded.os_version,
      core_count = excluded.core_count, first_seen = excluded.first_seen, last_seen = excluded.last_seen`);
  const clients = new Map<string, ClientRecord>(
    db
      .prepare<[], ClientRow>('SELECT * FROM clients')
      .all()
      .map((row) => [row.id, toRecord(row)]),
  );
  /** The ids in order, for paging; rebuilt after a new client registered. */
  let ordered: string[] | null = null;
  const dirty = new Set<string>();
  const submit = createGroupCommit<ClientRecord>(db, (record) => upsert.run(record));

  const flushLastSeen = () => {
    if (dirty.size === 0) return;
    const ids = [...dirty];
    db.transaction(() => {
      for (const id of ids) upsert.run(clients.get(id) as ClientRecord);
    })();
    for (const id of ids) dirty.delete(id);
  };
  // A failed background write keeps its ids dirty for the next turn; it must never take the process down.
  const timer = setInterval(() => {
    try {
      flushLastSeen();
    } catch (error) {
      options.onBackgroundError?.(error);
    }
  }, options.lastSeenFlushInterval ?? 10_000);
  timer.unref();

  const record = async (sighting: ClientSighting) => {
    const known = clients.get(sighting.id);
    // The newest window's details win; an older one (a backlog sent after an outage) only fills gaps.
    const [first, second] =
      !known || sighting.seenAt >= known.lastSeen ? [sighting, known] : [known, sighting];
    const next: ClientRecord = {
      id: sighting.id,
      hostname: first.hostname ?? second?.hostname ?? null,
      osType: first.osType ?? second?.osType ?? null,
      osVersion: first.osVersion ?? second?.osVersion ?? null,
      coreCount: first.coreCount ?? second?.coreCount ?? null,
      firstSeen: Math.min(known?.firstSeen ?? sighting.seenAt, sighting.seenAt),
      lastSeen: Math.max(known?.lastSeen ?? sighting.seenAt, sighting.seenAt),
    };
    if (known && sameDetails(known, next)) {
      if (next.lastSeen !== known.lastSeen) {
        clients.set(next.id, next);
        dirty.add(next.id);
      }
      return;
    }
    await submit(next);
    if (!known) ordered = null;
    clients.set(next.id, next);
    dirty.delete(next.id);
  };
  // Sightings of one client apply in order, so two first reports racing cannot both insert.
  const inflight = new Map<string, Promise<void>>();

  return {
    recordSighting: (sighting) => {
      const previous = inflight.get(sighting.id);
      const done = previous ? previous.catch(() => undefined).then(() => record(sighting)) : record(sighting);
      inflight.set(sighting.id, done);
      const forget = () => {
        if (inflight.get(sighting.id) === done) inflight.delete(sighting.id);
      };
      done.then(forget, forget);
      return done;
    },
    listClients: async ({ first, after }) => {
      ordered ??= [...clients.keys()].sort(compareIds);
      const ids = ordered;
      // The first id past `after` (binary search).
      let low = 0;
      let high = ids.length;
      while (after !== null && low < high) {
        const middle = (low + high) >>> 1;
        if (compareIds(ids[middle] as string, after) <= 0) low = middle + 1;
        else high = middle;
      }
      return ids.slice(low, low + first).map((id) => clients.get(id) as ClientRecord);
    },
    countClients: async () => clients.size,
    getClient: async (id) => clients.get(id) ?? null,
    close: async () => {
      clearInterval(timer);
      flushLastSeen();
      db.close();
    },
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
