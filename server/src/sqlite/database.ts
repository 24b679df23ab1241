import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** A schema migration: SQL, or a function for what SQL alone cannot do (repacking rows). */
export type Migration = string | ((db: Db) => void);

/**
 * Opens (creating if needed) `<dataDir>/<name>.db` in WAL mode with full fsync on commit, and brings it
 * to the newest schema version: `migrations[i]` takes the file from `user_version` i to i + 1.
 */
export function openDatabase(dataDir: string, name: string, migrations: readonly Migration[]): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, `${name}.db`));
  db.pragma('journal_mode = WAL');
  // Ack means stored: a committed group survives power loss, not only a crash of this process.
  db.pragma('synchronous = FULL');
  // The server is the only writer; a lock held by another process (a backup, the sqlite3 shell) must not
  // stall the event loop for long, since better-sqlite3 waits synchronously.
  db.pragma('busy_timeout = 200');
  db.pragma('foreign_keys = ON');
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    db.close();
    throw new Error(
      `${name}.db has schema version ${current}, newer than this server knows (${migrations.length})`,
    );
  }
  for (let version = current; version < migrations.length; version += 1) {
    db.transaction(() => {
      const migration = migrations[version] as Migration;
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
  return db;
}
