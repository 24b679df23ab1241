/** A periodic job that lives and dies with its component (a store, a tracker, a service). */
export interface BackgroundTimer {
  /** Starts the interval. Does nothing when it runs already, when it was stopped, or when it is off. */
  start(): void;
  /** Stops the interval for good: a later `start()` does nothing. */
  stop(): void;
  /** Whether the interval is armed. */
  readonly running: boolean;
}

export interface BackgroundTimerOptions {
  /** Time between runs, ms. Zero, negative or not finite: the timer is off and never runs. */
  intervalMs: number;
  /** The job. A promise it returns is awaited: a run still pending when the next one is due skips it. */
  run: () => unknown;
  /**
   * Told of each failure of `run` (a throw or a rejection). A background job must never take the process
   * down: the next run comes as usual. A run that rejects after `stop()` is not told.
   */
  onError: (error: unknown) => void;
}

/**
 * An interval for housekeeping (retention, flushing, expiry, status checks): unref'd, so that it never
 * keeps the process alive by itself, started and stopped with its component.
 */
export function backgroundTimer({ intervalMs, run, onError }: BackgroundTimerOptions): BackgroundTimer {
  let timer: ReturnType<typeof setInterval> | undefined;
  let stopped = false;
  let pending = false;
  const tick = () => {
    if (pending) return;
    let result: unknown;
    try {
      result = run();
    } catch (error) {
      onError(error);
      return;
    }
    if (!isThenable(result)) return;
    pending = true;
    result.then(
      () => {
        pending = false;
      },
      (error: unknown) => {
        pending = false;
        // A run still in flight when its component stopped fails because the component closed under it
        // (a merge when the store closes): that is the stop's doing, not a failure to report.
        if (!stopped) onError(error);
      },
    );
  };
  return {
    start() {
      if (timer !== undefined || stopped || !(intervalMs > 0) || !Number.isFinite(intervalMs)) return;
      timer = setInterval(tick, intervalMs);
      timer.unref?.();
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
    get running() {
      return timer !== undefined;
    },
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
