import { backoffDelay, sleep } from '@metrics-collector/common/backoff';
import { SdkError } from './errors.js';

/** How queries and mutations are retried after a retryable failure. */
export interface RetryOptions {
  /** Tries in all, the first one included. @default 3 */
  attempts?: number;
  /** Wait before the first retry; doubles with each one, with jitter. @default 200 */
  minDelayMs?: number;
  /** Longest wait between tries, `Retry-After` included. @default 10000 */
  maxDelayMs?: number;
}

export type ResolvedRetry = Required<RetryOptions>;

export function resolveRetry(options: RetryOptions | false | undefined): ResolvedRetry | false {
  if (options === false) return false;
  return {
    attempts: Math.max(1, Math.floor(options?.attempts ?? 3)),
    minDelayMs: Math.max(0, options?.minDelayMs ?? 200),
    maxDelayMs: Math.max(0, options?.maxDelayMs ?? 10_000),
  };
}

/**
 * Runs `attempt` until it succeeds, fails for a reason no retry can help, or the tries run out.
 * `idempotent` operations (queries, reports: the same window sent twice is stored once) are retried on
 * every retryable failure; others only when the server certainly did nothing (`SdkError.notProcessed`).
 * The wait before retry n is exponential from `minDelayMs`, with jitter between half and all of it so that
 * many clients do not come back at once, capped at `maxDelayMs`; a server's `Retry-After` replaces it,
 * within `maxDelayMs`.
 */
export async function withRetry<T>(
  policy: ResolvedRetry | false,
  idempotent: boolean,
  signal: AbortSignal,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!policy || tries >= policy.attempts || signal.aborted || !(error instanceof SdkError)) throw error;
      if (!(idempotent ? error.retryable : error.notProcessed)) throw error;
      const delay =
        error.retryAfterMs === undefined
          ? backoffDelay(tries, { minMs: policy.minDelayMs, maxMs: policy.maxDelayMs })
          : Math.min(error.retryAfterMs, policy.maxDelayMs);
      await sleep(delay, signal);
      if (signal.aborted) throw error;
    }
  }
}
