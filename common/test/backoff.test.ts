import { describe, expect, it, vi } from 'vitest';
import { backoffDelay, sleep } from '../src/backoff.js';

describe('backoffDelay', () => {
  const range = { minMs: 1_000, maxMs: 30_000 };

  it('doubles from minMs with each failure, capped at maxMs', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, range, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });

  it('draws between half and all of the wait', () => {
    expect(backoffDelay(3, range, () => 0)).toBe(2_000);
    expect(backoffDelay(3, range, () => 0.5)).toBe(3_000);
    for (let i = 0; i < 100; i += 1) {
      const delay = backoffDelay(2, range);
      expect(delay).toBeGreaterThanOrEqual(1_000);
      expect(delay).toBeLessThanOrEqual(2_000);
    }
  });

  it('takes attempt 0 or less as the first', () => {
    expect(backoffDelay(0, range, () => 1)).toBe(1_000);
    expect(backoffDelay(-3, range, () => 1)).toBe(1_000);
  });
});

describe('sleep', () => {
  it('resolves after the time', async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      const slept = sleep(1_000).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await slept;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('resolves at once when the signal aborts, and leaves no timer behind', async () => {
    vi.useFakeTimers();
    try {
      const stop = new AbortController();
      const slept = sleep(60_000, stop.signal);
      expect(vi.getTimerCount()).toBe(1);
      stop.abort();
      await slept;
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not wait on a signal that aborted already', async () => {
    const started = Date.now();
    await sleep(60_000, AbortSignal.abort());
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
