import { backgroundTimer } from '@metrics-collector/common/timer';
import type { Logger } from './log.js';

/** The counts a summary line reports the change of since the previous one. */
export interface SummaryCounts {
  /** Windows closed. */
  windows: number;
  /** Windows the server acknowledged. */
  sent: number;
  /** Send attempts that failed (the window stays in the spool and is sent again). */
  failed: number;
  /** Windows the server refused as invalid (dropped). */
  refused: number;
  /** Windows dropped by the spool's size or age bound. */
  dropped: number;
  /** Windows that could not be spooled. */
  lost: number;
}

export interface SummaryOptions {
  logger: Logger;
  /** @default 5 minutes */
  intervalMs?: number;
  /** The running totals since the agent started. */
  counts(): SummaryCounts;
  /** What waits in the spool now. */
  spool(): { spooled: number; spooledBytes: number };
}

/**
 * One `summary` line at info every few minutes: what the agent did since the previous line (windows
 * closed, sent, failed, refused, dropped, lost) and what its spool holds, so that an operator reading the
 * log at info sees the agent at work without a line per window.
 */
export function summaryLog(options: SummaryOptions) {
  const intervalMs = options.intervalMs ?? 5 * 60_000;
  let last = options.counts();
  return backgroundTimer({
    intervalMs,
    run: () => {
      const now = options.counts();
      const since = Object.fromEntries(
        Object.entries(now).map(([key, value]) => [key, value - last[key as keyof SummaryCounts]]),
      );
      last = now;
      options.logger.info({ ...since, ...options.spool(), periodMs: intervalMs }, 'summary');
    },
    onError: (error) => options.logger.warn({ err: error }, 'the summary line failed'),
  });
}
