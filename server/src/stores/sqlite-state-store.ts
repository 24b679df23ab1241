import type { ClientRecord, ClientSighting, StateStore } from '@metrics-collector/schema/context';
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

/** The client registry in `<dataDir>/state.db`. */
export function createSqliteStateStore(dataDir: string): StateStore {
  const db: Db = openDatabase(dataDir, 'state', migrations);
  const upsert = db.prepare(`
    INSERT INTO clients (id, hostname, os_type, os_version, core_count, first_seen, last_seen)
    VALUES (@id, @hostname, @osType, @osVersion, @coreCount, @seenAt, @seenAt)
    ON CONFLICT (id) DO UPDATE SET
      hostname   = coalesce(excluded.hostname, hostname),
      os_type    = coalesce(excluded.os_type, os_type),
      os_version = coalesce(excluded.os_version, os_version),
      core_count = coalesce(excluded.core_count, core_count),
      first_seen = min(first_seen, excluded.first_seen),
      last_seen  = max(last_seen, excluded.last_seen)`);
  const selectAll = db.prepare<[], ClientRow>('SELECT * FROM clients ORDER BY id');
  const selectOne = db.prepare<[string], ClientRow>('SELECT * FROM clients WHERE id = ?');
  const submit = createGroupCommit<ClientSighting>(db, (sighting) => upsert.run(sighting));

  return {
    recordSighting: submit,
    listClients: async () => selectAll.all().map(toRecord),
    getClient: async (id) => {
      const row = selectOne.get(id);
      return row ? toRecord(row) : null;
    },
    close: async () => {
      db.close();
    },
  };
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
