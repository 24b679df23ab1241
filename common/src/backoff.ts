/**
 * Exponential backoff with jitter. The wait after the `attempt`-th consecutive failure (from 1) is drawn
 * between half and all of `minMs · 2^(attempt−1)`, capped at `maxMs`: the wait grows with each failure,
 * and many clients that failed together do not come back together.
 */
export function backoffDelay(
  attempt: number,
  { minMs, maxMs }: { minMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/**
 * Resolves after `ms`, or at once when `signal` aborts (it never rejects: the caller reads
 * `signal.aborted`). The timer holds the process open while it waits; nothing is left behind on abort.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
