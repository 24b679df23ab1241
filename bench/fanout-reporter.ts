/** The fan-out part's reports: sent and timed by a process of their own (fanout-reporter-process.ts). */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ReporterMessage, ReporterRun } from './fanout-reporter-process.js';
import { epochNow, type Tally } from './fanout-subscriber.js';
import { WINDOW_MS } from './workload.js';

const SCRIPT = fileURLToPath(new URL('./fanout-reporter-process.ts', import.meta.url));
/** A run's first report is due this long after it is asked for: the reporter process hears of it first. */
const LEAD_MS = 50;

interface Waiting {
  sent: (seconds: number) => void;
  answered: (result: { latencies: number[]; failed: number }) => void;
  failed: (error: Error) => void;
}

/**
 * Sends one phase's reports, each for the next window, through the reporter process, and registers them
 * in the subscribers' tally beforehand: a report's send time there is its scheduled time (the reporter
 * process sends on time, its event loop idle), so a delivery is timed from when the report was due.
 */
export class Reporter {
  /** HTTP latency of the measured reports, ms, as the reporter process timed them. */
  readonly latencies: number[] = [];
  /** Reports that failed or answered something else than the acknowledgement. */
  failed = 0;
  private next = 0;
  private nextRun = 0;
  private readonly waiting = new Map<number, Waiting>();

  private constructor(
    private readonly child: ChildProcess,
    private readonly tally: Tally,
    private readonly base: number,
  ) {
    child.on('message', (message: ReporterMessage) => {
      if (!('id' in message)) return;
      const waiting = this.waiting.get(message.id);
      if ('sent' in message) waiting?.sent(message.seconds);
      else {
        this.waiting.delete(message.id);
        waiting?.answered(message);
      }
    });
    child.once('exit', (code, signal) => {
      for (const w of this.waiting.values())
        w.failed(new Error(`the reporter process exited (code ${code}, signal ${signal})`));
      this.waiting.clear();
    });
  }

  /** Starts the reporter process for the server at `port`, reports from window `base` on. */
  static async start(port: number, tally: Tally, base: number): Promise<Reporter> {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, String(port), String(base)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the reporter process exited (code ${code})`)));
    });
    return new Reporter(child, tally, base);
  }

  /** Sends the next report and resolves once it was answered (a failure is counted, not thrown). */
  async send(kind: 'sync' | 'counted' | 'measured'): Promise<void> {
    const inFlight: Promise<void>[] = [];
    await this.run(1, 1, kind, inFlight);
    await Promise.all(inFlight);
  }

  /**
   * Reports at `rate` for `seconds`, open loop: each is sent at its time whether the previous one was
   * answered. Resolves once all were sent, with how long that took; their answers go to `inFlight`.
   */
  async run(
    rate: number,
    seconds: number,
    kind: 'sync' | 'counted' | 'measured',
    inFlight: Promise<void>[],
  ): Promise<{ count: number; seconds: number }> {
    const count = Math.round(seconds * rate);
    const run: ReporterRun = {
      id: this.nextRun++,
      from: this.next,
      count,
      rate,
      startAt: epochNow() + LEAD_MS,
      timed: kind === 'measured',
    };
    this.next += count;
    for (let k = 0; k < count; k += 1) {
      // The window start as the subscription serialises it (`DateTime`: ISO 8601 in UTC).
      const key = new Date(this.base + (run.from + k) * WINDOW_MS).toISOString();
      if (kind === 'sync') this.tally.sync.add(key);
      else {
        if (this.tally.sentAt.size === 0) this.tally.firstSent = run.startAt;
        this.tally.sentAt.set(key, run.startAt + (k * 1000) / rate);
        if (kind === 'measured') this.tally.measured.add(key);
      }
    }
    const sent = new Promise<number>((resolveSent, rejectSent) => {
      const answered = new Promise<{ latencies: number[]; failed: number }>((resolve, reject) => {
        this.waiting.set(run.id, {
          sent: resolveSent,
          answered: resolve,
          failed: (error) => {
            rejectSent(error);
            reject(error);
          },
        });
      });
      inFlight.push(
        answered.then(
          ({ latencies, failed }) => {
            this.latencies.push(...latencies);
            this.failed += failed;
          },
          () => {
            this.failed += count;
          },
        ),
      );
    });
    this.child.send(run);
    return { count, seconds: await sent };
  }

  /** Stops the reporter process. */
  close(): void {
    if (this.child.connected) this.child.disconnect();
    this.child.kill();
  }
}
