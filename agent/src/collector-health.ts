import type { Logger } from './log.js';

/** How often a warning about a collector that keeps failing is written again while it fails. */
const WARN_EVERY_MS = 600_000;

/**
 * The streaks of failures of each collector. A collector that fails is skipped for the sample. The first
 * failure of a streak is a warning, and so is one every 10 minutes while it lasts, with the count: a
 * collector that cannot work on this host (no `/proc/diskstats` in a container, say) would otherwise
 * write a line every second for months. Working again ends the streak, and says so.
 */
export class CollectorHealth {
  /** Failures in a row per collector, and when the last warning about them was written. */
  private readonly failing = new Map<string, { count: number; warnedAt: number }>();
  /** Failures per collector since the start (`--metrics-listen`). */
  readonly errors = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  failed(collector: string, error: unknown): void {
    this.errors.set(collector, (this.errors.get(collector) ?? 0) + 1);
    const now = this.now();
    const streak = this.failing.get(collector);
    if (!streak) {
      this.failing.set(collector, { count: 1, warnedAt: now });
      this.logger.warn({ collector, err: error }, 'a collector failed; skipped for this sample');
      return;
    }
    streak.count += 1;
    if (now - streak.warnedAt >= WARN_EVERY_MS) {
      streak.warnedAt = now;
      this.logger.warn(
        { collector, err: error, failuresInARow: streak.count },
        'a collector keeps failing; skipped for each sample',
      );
    }
  }

  worked(collector: string): void {
    const streak = this.failing.get(collector);
    if (!streak) return;
    this.failing.delete(collector);
    this.logger.info({ collector, failuresInARow: streak.count }, 'a collector works again');
  }
}
