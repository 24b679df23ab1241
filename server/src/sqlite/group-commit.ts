import { storeUnavailable } from '../store-errors.js';
import type { Db } from './database.js';

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
