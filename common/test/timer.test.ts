import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backgroundTimer } from '../src/timer.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('backgroundTimer', () => {
  it('runs every interval from start() to stop(), and not after', async () => {
    const run = vi.fn();
    const timer = backgroundTimer({ intervalMs: 100, run, onError: () => {} });
    await vi.advanceTimersByTimeAsync(500);
    expect(run).not.toHaveBeenCalled();
    timer.start();
    timer.start();
    expect(timer.running).toBe(true);
    await vi.advanceTimersByTimeAsync(350);
    expect(run).toHaveBeenCalledTimes(3);
    timer.stop();
    expect(timer.running).toBe(false);
    timer.start();
    await vi.advanceTimersByTimeAsync(500);
    expect(run).toHaveBeenCalledTimes(3);
    expect(timer.running).toBe(false);
  });

  it('does not keep the process alive', () => {
    const unref = vi.spyOn(globalThis, 'setInterval');
    const timer = backgroundTimer({ intervalMs: 100, run: () => {}, onError: () => {} });
    timer.start();
    const handle = unref.mock.results[0]?.value as { hasRef?: () => boolean } | undefined;
    expect(handle?.hasRef?.()).toBe(false);
    timer.stop();
    unref.mockRestore();
  });

  it('is off for an interval of zero, below or not finite', async () => {
    for (const intervalMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const run = vi.fn();
      const timer = backgroundTimer({ intervalMs, run, onError: () => {} });
      timer.start();
      expect(timer.running).toBe(false);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(run).not.toHaveBeenCalled();
    }
  });

  it('does not report a run that fails after stop() (its component closed under it)', async () => {
    const errors: unknown[] = [];
    let fail: (error: Error) => void = () => {};
    const timer = backgroundTimer({
      intervalMs: 100,
      run: () =>
        new Promise<void>((_, reject) => {
          fail = reject;
        }),
      onError: (error) => errors.push(error),
    });
    timer.start();
    await vi.advanceTimersByTimeAsync(100);
    fail(new Error('failed while running'));
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    timer.stop();
    fail(new Error('store closed'));
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toHaveLength(1);
  });

  it('reports throws and rejections, and runs again at the next interval', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const timer = backgroundTimer({
      intervalMs: 100,
      run: () => {
        calls += 1;
        if (calls === 1) throw new Error('sync');
        if (calls === 2) return Promise.reject(new Error('async'));
        return undefined;
      },
      onError: (error) => errors.push(error),
    });
    timer.start();
    await vi.advanceTimersByTimeAsync(300);
    expect(calls).toBe(3);
    expect(errors.map((e) => (e as Error).message)).toEqual(['sync', 'async']);
    timer.stop();
  });

  it('skips a run while the previous one is still pending', async () => {
    let running = 0;
    let starts = 0;
    const timer = backgroundTimer({
      intervalMs: 100,
      run: async () => {
        starts += 1;
        running += 1;
        expect(running).toBe(1);
        await new Promise((resolve) => setTimeout(resolve, 250));
        running -= 1;
      },
      onError: (error) => {
        throw error;
      },
    });
    timer.start();
    await vi.advanceTimersByTimeAsync(1_000);
    // Due at 100, 200, ... 1000; each run takes 250 ms: those due while one runs are skipped, and the
    // runs start at 100, 400, 700 and 1000.
    expect(starts).toBe(4);
    timer.stop();
  });
});
