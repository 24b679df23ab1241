import { storeUnavailable } from '../store-errors.js';
import { commitItems, type GroupHooks } from './commit-items.js';
import type { Db } from './database.js';

/**
 * Group commit: items submitted while the event loop is busy are applied in one transaction on the next
 * turn (`commitItems`), and every promise settles only after that transaction committed.
 */
export function createGroupCommit<T>(db: Db, apply: (item: T) => void, hooks: GroupHooks = {}) {
  let pending: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    const errors = commitItems(
      db,
      batch.map((p) => p.item),
      apply,
      hooks,
    );
    batch.forEach((p, i) => {
      if (errors[i] === undefined) p.resolve();
      else p.reject(storeUnavailable(errors[i], 'NOT_STORED'));
    });
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
