import { backoffDelay, sleep } from '@metrics-collector/common/backoff';
import { type ErrorCode, SdkError } from '@metrics-collector/sdk';
import { errorSummary, type Logger } from './log.js';
import type { ReportWindow } from './report.js';
import type { Spool, SpoolEntry } from './spool.js';

/**
 * Codes (of the SDK's `errorCodes`, the server's registry) with which the server refuses the report
 * itself: sending it again can never succeed.
 */
const REFUSED_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'BAD_USER_INPUT',
  'INVALID_TIME_RANGE',
  'STORE_REJECTED',
]);

/** Whether the server refused this report for good (it is dropped, counted and logged) rather than failed for now. */
export function isRefusal(error: unknown): boolean {
  return error instanceof SdkError && error.kind === 'graphql' && REFUSED_CODES.has(error.code ?? '');
}

export interface SenderOptions {
  spool: Spool<ReportWindow>;
  /** Sends one report; resolves once the server acknowledged it (stored), rejects otherwise. */
  send(report: ReportWindow, signal: AbortSignal): Promise<unknown>;
  logger: Logger;
  /** Reports sent at once while catching up on a backlog. @default 20 */
  batchSize?: number;
  /** Backoff after failures: from `minMs` doubling to `maxMs`, with jitter. @default 1 s to 30 s */
  backoff?: { minMs: number; maxMs: number };
  /** A send that has not settled by then is abandoned and counts as failed. @default 15 s */
  sendTimeoutMs?: number;
  random?: () => number;
  /** Called if the loop itself fails (not a send: those are retried), say the spool's disk breaking. */
  onFatal?: (error: unknown) => void;
}

export interface SenderStats {
  /** Reports the server acknowledged. */
  sent: number;
  /** Reports the server refused for good (invalid), dropped from the spool. */
  refused: number;
  /** Send attempts that failed and will be retried. */
  failures: number;
}

/**
 * Sends what the spool holds and acknowledges each entry once the server stored it. Usually that is the
 * one window just closed. After an outage the newest window goes first (the dashboards show the present
 * again at once), then the backlog oldest first in batches. Failures back off exponentially with jitter;
 * a window is dropped only when the server refuses it as invalid, which no retry can change.
 */
export class Sender {
  readonly stats: SenderStats = { sent: 0, refused: 0, failures: 0 };
  private readonly batchSize: number;
  private readonly backoff: { minMs: number; maxMs: number };
  private readonly sendTimeoutMs: number;
  private wake: (() => void) | null = null;
  private kicked = false;
  private running: Promise<void> | null = null;
  private readonly stopped = new AbortController();
  private failuresInARow = 0;
  private warnedAt = 0;

  constructor(private readonly options: SenderOptions) {
    this.batchSize = options.batchSize ?? 20;
    this.backoff = options.backoff ?? { minMs: 1_000, maxMs: 30_000 };
    this.sendTimeoutMs = options.sendTimeoutMs ?? 15_000;
  }

  /** Starts the loop. */
  start(): void {
    this.running ??= this.loop().catch((error: unknown) => this.options.onFatal?.(error));
  }

  /** Something new is in the spool: send it (unless the loop is backing off after a failure). */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /**
   * Stops the loop, then tries to send everything left until `deadline` (epoch ms). Resolves with the
   * number of entries still in the spool (kept for the next start).
   */
  async stop(deadline: number): Promise<number> {
    this.stopped.abort();
    this.wake?.();
    await this.running;
    const signal = AbortSignal.timeout(Math.max(0, deadline - Date.now()));
    // Until the deadline: a server that is restarting may come back in time.
    while (!signal.aborted && this.options.spool.size > 0) {
      if (!(await this.drain(signal))) await sleep(250, signal);
    }
    return this.options.spool.size;
  }

  private async loop(): Promise<void> {
    const signal = this.stopped.signal;
    let failures = 0;
    while (!signal.aborted) {
      this.kicked = false;
      if (await this.drain(signal)) {
        failures = 0;
        if (!this.kicked) await this.nextKick(signal);
      } else if (!signal.aborted) {
        failures += 1;
        const delay = backoffDelay(failures, this.backoff, this.options.random);
        this.options.logger.debug({ failures, delayMs: Math.round(delay) }, 'backing off');
        await sleep(delay, signal);
      }
    }
  }

  private nextKick(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      this.wake = () => {
        this.wake = null;
        resolve();
      };
    });
  }

  /** One pass over the spool; `false` when a send failed (back off before the next pass). */
  private async drain(signal: AbortSignal): Promise<boolean> {
    const pending = this.options.spool.pending();
    if (pending.length === 0) return true;
    const newest = pending.at(-1) as SpoolEntry<ReportWindow>;
    if (pending.length > 1) {
      this.options.logger.info({ backlog: pending.length }, 'sending the newest window, then the backlog');
      if (!(await this.sendOne(newest, signal))) return false;
      pending.pop();
    }
    for (let i = 0; i < pending.length; i += this.batchSize) {
      if (signal.aborted) return false;
      const batch = pending.slice(i, i + this.batchSize);
      const results = await Promise.all(batch.map((entry) => this.sendOne(entry, signal)));
      if (results.includes(false)) return false;
    }
    return true;
  }

  private async sendOne(entry: SpoolEntry<ReportWindow>, signal: AbortSignal): Promise<boolean> {
    const attempt = AbortSignal.any([signal, AbortSignal.timeout(this.sendTimeoutMs)]);
    try {
      const via = await Promise.race([
        this.options.send(entry.value, attempt),
        new Promise<never>((_, reject) => {
          const fail = () => reject(new Error(`no answer within ${this.sendTimeoutMs} ms, or stopping`));
          if (attempt.aborted) fail();
          else attempt.addEventListener('abort', fail, { once: true });
        }),
      ]);
      this.options.spool.ack(entry.id);
      this.stats.sent += 1;
      if (this.failuresInARow > 0) {
        this.options.logger.info(
          { failuresInARow: this.failuresInARow, waiting: this.options.spool.size },
          'the server takes windows again',
        );
        this.failuresInARow = 0;
      }
      this.options.logger.debug({ windowStart: entry.value.windowStart, via }, 'window acknowledged');
      return true;
    } catch (error) {
      if (isRefusal(error)) {
        this.options.spool.ack(entry.id);
        this.stats.refused += 1;
        this.options.logger.error(
          { err: error, windowStart: entry.value.windowStart, refused: this.stats.refused },
          'the server refused a window as invalid; dropped',
        );
        return true;
      }
      this.stats.failures += 1;
      // A warning when sending starts failing and every 10 minutes while it goes on, not at every attempt.
      const now = Date.now();
      this.failuresInARow += 1;
      const fields = {
        err: errorSummary(error),
        windowStart: entry.value.windowStart,
        waiting: this.options.spool.size,
        failuresInARow: this.failuresInARow,
      };
      if (this.failuresInARow === 1 || now - this.warnedAt >= 600_000) {
        this.warnedAt = now;
        this.options.logger.warn(fields, 'sending a window failed; it stays in the spool');
      } else {
        this.options.logger.debug(fields, 'sending a window failed; it stays in the spool');
      }
      return false;
    }
  }
}
