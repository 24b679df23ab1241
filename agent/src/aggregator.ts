/** One series' statistics over a window: what the agent reports instead of the samples. */
export interface WindowStats {
  /** Samples in the window. */
  count: number;
  mean: number;
  /** Population variance of the samples (divided by `count`). */
  variance: number;
  min: number;
  max: number;
}

/**
 * Running statistics of one series within one window, by Welford's method: each sample updates the mean
 * and the sum of squared deviations from it (M2) in O(1), without keeping the samples and without the
 * cancellation of Σx² − n·mean² (a window of memory sizes near 1e10 squared would lose every digit).
 */
export class RunningStats {
  private n = 0;
  private m = 0;
  private m2 = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;

  /** Adds one sample; a value that is not a finite number is refused rather than poisoning the window. */
  add(value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`sample is not a finite number: ${value}`);
    this.n += 1;
    const delta = value - this.m;
    this.m += delta / this.n;
    this.m2 += delta * (value - this.m);
    if (value < this.lo) this.lo = value;
    if (value > this.hi) this.hi = value;
  }

  get count(): number {
    return this.n;
  }

  /** The window so far, or `null` before the first sample. */
  stats(): WindowStats | null {
    if (this.n === 0) return null;
    // M2 is a sum of non-negative terms in exact arithmetic; rounding can leave it a hair below zero.
    return {
      count: this.n,
      mean: this.m,
      variance: Math.max(0, this.m2 / this.n),
      min: this.lo,
      max: this.hi,
    };
  }
}

/**
 * The windows of several series at once (CPU overall and per core, memory, load, ...), keyed by series
 * name. `close()` returns every series' statistics and starts a new window.
 */
export class WindowAggregator {
  private series = new Map<string, RunningStats>();

  add(name: string, value: number): void {
    let running = this.series.get(name);
    if (!running) {
      running = new RunningStats();
      this.series.set(name, running);
    }
    running.add(value);
  }

  /** Every series with at least one sample, and a fresh window. */
  close(): Map<string, WindowStats> {
    const closed = new Map<string, WindowStats>();
    for (const [name, running] of this.series) {
      const stats = running.stats();
      if (stats) closed.set(name, stats);
    }
    this.series = new Map();
    return closed;
  }
}
