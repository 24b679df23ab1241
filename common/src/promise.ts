/**
 * Runs synchronous `work` now and gives its result as a promise: a value resolves it, a throw rejects it
 * (instead of escaping to the caller). For an interface that promises results over an implementation
 * that happens to be synchronous (better-sqlite3), so that other implementations may be asynchronous.
 */
export function promised<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}
