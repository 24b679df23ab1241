import type { Db } from './database.js';

/**
 * Applies `items` in one transaction; when it fails, each item alone, so that one item's failure is not
 * another's. Returns each item's error, `undefined` for an item that committed.
 */
export function commitItems<T>(
  db: Db,
  items: readonly T[],
  apply: (item: T) => void,
  hooks: GroupHooks = {},
): unknown[] {
  const commit = (group: readonly T[]) => {
    db.transaction(() => {
      for (const item of group) apply(item);
    })();
    hooks.committed?.();
  };
  try {
    commit(items);
    return items.map(() => undefined);
  } catch {
    hooks.rolledBack?.();
  }
  return items.map((item) => {
    try {
      commit([item]);
      return undefined;
    } catch (error) {
      hooks.rolledBack?.();
      return error ?? new Error('the transaction rolled back');
    }
  });
}

export interface GroupHooks {
  /** Called after each committed transaction. */
  committed?: () => void;
  /** Called after each transaction that rolled back. */
  rolledBack?: () => void;
}
