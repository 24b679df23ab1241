import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '@metrics-collector/schema/errors';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Opens (creating if needed) `<dataDir>/<name>.db` in WAL mode with full fsync on commit, and brings it
 * to the newest schema version: `migrations[i]` takes the file from `user_version` i to i + 1.
 */
export function openDatabase(dataDir: string, name: string, migrations: readonly string[]): Db {
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
      db.exec(migrations[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
  return db;
}

/**
 * Group commit: items submitted while the event loop is busy are applied in one transaction on the next
 * turn, and every promise settles only after that transaction committed. When a group fails, its items
 * are retried one transaction each, so one item's failure is not another's.
 */
export function createGroupCommit<T>(db: Db, apply: (item: T) => void, hooks: GroupHooks = {}) {
  let pending: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let scheduled = false;

  const commit = (items: readonly T[]) => {
    db.transaction(() => {
      for (const item of items) apply(item);
    })();
    hooks.committed?.();
  };

  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    try {
      commit(batch.map((p) => p.item));
      for (const p of batch) p.resolve();
      return;
    } catch {
      hooks.rolledBack?.();
    }
    for (const p of batch) {
      try {
        commit([p.item]);
        p.resolve();
      } catch (error) {
        hooks.rolledBack?.();
        p.reject(storeUnavailable(error, 'NOT_STORED'));
      }
    }
  };

  return function submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  };
}

export interface GroupHooks {
  /** Called after each committed transaction. */
  committed?: () => void;
  /** Called after each transaction that rolled back. */
  rolledBack?: () => void;
}

/**
 * What a failed write left behind: `NOT_STORED` when the store is known to have stored nothing (a
 * rolled-back transaction, a refused connection), `UNKNOWN` when it may have (a timeout or an error
 * after the request was sent). A retry is safe either way: re-sending a window overwrites it.
 */
export type StoreOutcome = 'NOT_STORED' | 'UNKNOWN';

const messages: Record<StoreOutcome | 'READ', string> = {
  NOT_STORED: 'The store could not commit; nothing was stored. Retry later.',
  UNKNOWN:
    'The store did not confirm the write (it timed out or failed midway): it may or may not be stored. Retrying is safe; a window sent again overwrites itself.',
  READ: 'The store could not answer. Retry later.',
};

/** `STORE_UNAVAILABLE` for a failed write (with its outcome) or read (`outcome` left out). */
export function storeUnavailable(cause: unknown, outcome?: StoreOutcome): AppError {
  return new AppError('STORE_UNAVAILABLE', messages[outcome ?? 'READ'], {
    cause,
    ...(outcome ? { extensions: { outcome } } : {}),
  });
}

/**
 * Runs `work` in SQLite; a failure (a locked or broken file) becomes STORE_UNAVAILABLE, shown unmasked.
 * Whatever `work` wrote is rolled back with its transaction: nothing was stored.
 */
export function attempt<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw storeUnavailable(error, 'NOT_STORED');
  }
}
