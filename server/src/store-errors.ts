import { AppError } from '@metrics-collector/schema/errors';

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
