import { sleep } from '@metrics-collector/common/backoff';
import { WindowAggregator } from './aggregator.js';
import { CollectorHealth } from './collector-health.js';
import type { Collector } from './collectors/collector.js';
import { sample } from './collectors/index.js';
import { CommandFollower } from './commands.js';
import type { Connection } from './connection.js';
import { intervalProblem } from './intervals.js';
import type { Logger } from './log.js';
import { type Identity, type ReportWindow, toReport } from './report.js';
import { Sender } from './sender.js';
import type { Spool } from './spool.js';
import { summaryLog } from './summary.js';

export interface AgentOptions {
  identity: Identity;
  connection: Connection;
  collectors: readonly Collector[];
  spool: Spool<ReportWindow>;
  /** @default 1 s */
  samplingIntervalMs?: number;
  /** @default 10 s */
  reportIntervalMs?: number;
  logger: Logger;
  /** Backoff of the sender and of the command stream. @default 1 s to 30 s */
  backoff?: { minMs: number; maxMs: number };
  now?: () => number;
  /**
   * Called when sampling or sending stopped on an error it cannot handle (a bug, a broken disk), after it
   * is logged. `metrics-agent` exits with status 1, so that its supervisor starts it again (the spool
   * keeps what was closed); `npm start` keeps serving. @default nothing more
   */
  onFatal?: (error: unknown) => void;
  /** Called after a command changed an interval, with both intervals now in force. */
  onIntervalsChanged?: (intervals: { samplingIntervalMs: number; reportIntervalMs: number }) => void;
  /** Time between two `summary` log lines. @default 5 minutes */
  summaryIntervalMs?: number;
}

/** What the agent has done since it started. */
export interface AgentStats {
  samples: number;
  windows: number;
  /** Windows the server acknowledged. */
  sent: number;
  /** Windows the server refused as invalid (dropped). */
  refused: number;
  /** Windows dropped by the spool's size or age bound. */
  dropped: number;
  /** Closed windows that could not be spooled (a disk error); lost. */
  lost: number;
  commands: number;
}

/** What `--metrics-listen` serves (metrics-endpoint.ts): the stats as of now and the spool's depth. */
export interface AgentNumbers extends AgentStats {
  /** Attempts to send a window that failed (it stayed in the spool). */
  failures: number;
  spoolWindows: number;
  spoolBytes: number;
  /** Failures per collector since the start. */
  collectorErrors: ReadonlyMap<string, number>;
}

/**
 * The agent: samples at each multiple of `samplingIntervalMs` into a window, closes the window at each
 * multiple of `reportIntervalMs` (epoch-aligned, so every host's windows line up), appends it to the spool (fsync),
 * and lets the sender deliver it. Follows the server's commands to change either interval at once.
 */
export class Agent {
  readonly stats: AgentStats = {
    samples: 0,
    windows: 0,
    sent: 0,
    refused: 0,
    dropped: 0,
    lost: 0,
    commands: 0,
  };
  private samplingMs: number;
  private reportMs: number;
  private readonly now: () => number;
  private readonly aggregator = new WindowAggregator();
  private readonly sender: Sender;
  private readonly stopping = new AbortController();
  private windowStart = 0;
  private windowEnd = 0;
  private nextSample = 0;
  /** When the last sample was taken, by the clock: a later reading below it means the clock went back. */
  private lastSampleAt = 0;
  private wakeLoop: (() => void) | null = null;
  private sampling: Promise<void> | null = null;
  private readonly commands: CommandFollower;
  private readonly health: CollectorHealth;
  private spoolDropped: number;
  private readonly summary: ReturnType<typeof summaryLog>;

  constructor(private readonly options: AgentOptions) {
    this.samplingMs = options.samplingIntervalMs ?? 1_000;
    this.reportMs = options.reportIntervalMs ?? 10_000;
    const problem = intervalProblem(this.samplingMs, this.reportMs);
    if (problem) throw new RangeError(problem);
    this.now = options.now ?? Date.now;
    this.health = new CollectorHealth(options.logger, this.now);
    this.spoolDropped = options.spool.dropped;
    this.commands = new CommandFollower({
      connection: options.connection,
      clientId: options.identity.clientId,
      logger: options.logger,
      backoff: options.backoff ?? { minMs: 1_000, maxMs: 30_000 },
      now: this.now,
      apply: (command) => {
        if (command.type === 'SET_SAMPLING_INTERVAL') this.setSamplingInterval(command.intervalMs);
        else if (command.type === 'SET_REPORT_INTERVAL') this.setReportInterval(command.intervalMs);
        else throw new RangeError(`unknown command type ${String(command.type)}`);
        options.onIntervalsChanged?.({
          samplingIntervalMs: this.samplingMs,
          reportIntervalMs: this.reportMs,
        });
      },
    });
    this.sender = new Sender({
      spool: options.spool,
      send: (report) => options.connection.report(report),
      onFatal: (error) => this.fatal(error),
      logger: options.logger,
      backoff: options.backoff,
    });
    this.summary = summaryLog({
      logger: options.logger,
      intervalMs: options.summaryIntervalMs,
      counts: () => {
        this.collectStats();
        const { windows, sent, refused, dropped, lost } = this.stats;
        return { windows, sent, failed: this.sender.stats.failures, refused, dropped, lost };
      },
      spool: () => ({ spooled: options.spool.size, spooledBytes: options.spool.bytes }),
    });
  }

  get samplingIntervalMs(): number {
    return this.samplingMs;
  }

  get reportIntervalMs(): number {
    return this.reportMs;
  }

  /** Starts sampling, sending (the spool's backlog first) and listening for commands. */
  start(): void {
    if (this.sampling) return;
    const { identity, spool, logger } = this.options;
    logger.info(
      {
        clientId: identity.clientId,
        samplingIntervalMs: this.samplingMs,
        reportIntervalMs: this.reportMs,
        collectors: this.options.collectors.map((c) => c.name),
        spooled: spool.size,
        tornRecords: spool.torn,
      },
      'agent started',
    );
    if (spool.torn > 0)
      logger.warn({ tornRecords: spool.torn }, 'the spool ended in a torn record (a crash); cut off');
    this.sender.start();
    this.sampling = this.sampleLoop().catch((error: unknown) => this.fatal(error));
    this.commands.start();
    this.summary.start();
  }

  /**
   * Stops: ends sampling, closes and spools the current window, then sends what the spool holds until
   * `timeoutMs` has passed. What is left stays in the spool for the next start. Resolves with that count.
   */
  async stop(timeoutMs = 5_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    this.stopping.abort();
    this.wakeLoop?.();
    this.commands.stop();
    this.summary.stop();
    await this.sampling;
    if (this.windowStart > 0) this.closeWindow(Math.max(this.windowStart, this.now()));
    const left = await this.sender.stop(deadline);
    this.collectStats();
    this.options.logger.info({ ...this.stats, leftInSpool: left }, 'agent stopped');
    return left;
  }

  private fatal(error: unknown): void {
    this.options.logger.error({ err: error }, 'the agent stopped working');
    this.options.onFatal?.(error);
  }

  /** Changes the sampling interval from now on; throws a RangeError saying why it cannot. */
  setSamplingInterval(ms: number): void {
    const problem = intervalProblem(ms, this.reportMs);
    if (problem) throw new RangeError(problem);
    this.samplingMs = ms;
    this.nextSample = this.alignedSample(this.now());
    this.wakeLoop?.();
  }

  /** Changes the report interval from now on: the current window closes at the next multiple of the new one. */
  setReportInterval(ms: number): void {
    const problem = intervalProblem(this.samplingMs, ms);
    if (problem) throw new RangeError(problem);
    this.reportMs = ms;
    this.windowEnd = this.alignedEnd(Math.max(this.now(), this.windowStart));
    this.wakeLoop?.();
  }

  /** The first multiple of the report interval after `t`. */
  private alignedEnd(t: number): number {
    return (Math.floor(t / this.reportMs) + 1) * this.reportMs;
  }

  /** The first multiple of the sampling interval at or after `t`: samples are epoch-aligned too. */
  private alignedSample(t: number): number {
    return Math.ceil(t / this.samplingMs) * this.samplingMs;
  }

  /**
   * Takes each sample in its slot's window (a sample that runs late still counts where it was due), so that
   * a window of R ms sampled every S ms holds R/S samples. Slots missed by more than one interval (a
   * suspended host) are not caught up on.
   */
  private async sampleLoop(): Promise<void> {
    const { collectors, logger } = this.options;
    // A first reading that is not kept: CPU load would be the average since boot, rates have no previous
    // counters yet, and systeminformation's first call is slow (it loads and probes).
    await Promise.allSettled(collectors.map((c) => c.collect()));
    const start = this.now();
    this.windowStart = start;
    this.nextSample = this.alignedSample(start);
    // The first window holds one sample: the server hears from a new agent (Query.clients, dashboards)
    // within a sampling interval or two of its start, not a whole report interval later. The next window
    // runs to the report interval's boundary; from there on windows are whole and aligned.
    this.windowEnd = Math.min(this.alignedEnd(start), this.nextSample + this.samplingMs);
    while (!this.stopping.signal.aborted) {
      const now = this.now();
      if (now < this.lastSampleAt) {
        // The clock went back (NTP, a VM restored): the current window would not end until the clock
        // caught up again. Close it where its last sample was taken, and go on from now.
        logger.warn({ byMs: this.lastSampleAt - now }, 'the clock went back; windows start again from now');
        this.closeWindow(Math.max(this.windowStart, this.lastSampleAt));
        this.windowStart = now;
        this.windowEnd = this.alignedEnd(now);
        this.nextSample = this.alignedSample(now);
        this.lastSampleAt = now;
        continue;
      }
      if (this.nextSample <= now && this.nextSample < this.windowEnd) {
        this.lastSampleAt = now;
        const failed = new Set<string>();
        await sample(collectors, this.aggregator, (collector, error) => {
          failed.add(collector);
          this.health.failed(collector, error);
        });
        for (const c of collectors) if (!failed.has(c.name)) this.health.worked(c.name);
        this.stats.samples += 1;
        this.nextSample += this.samplingMs;
        const after = this.now();
        if (this.nextSample + this.samplingMs <= after)
          this.nextSample = Math.floor(after / this.samplingMs) * this.samplingMs;
        continue;
      }
      if (now >= this.windowEnd) {
        this.closeWindow(this.windowEnd);
        continue;
      }
      const due = Math.min(this.nextSample, this.windowEnd);
      const wake = new AbortController();
      this.wakeLoop = () => wake.abort();
      // At most a sampling interval: a clock that jumps is noticed at the next sample at the latest.
      await sleep(Math.min(due - now, this.samplingMs), wake.signal);
      this.wakeLoop = null;
    }
  }

  /** Ends the current window at `end`, spools its report and starts the next window. */
  private closeWindow(end: number): void {
    const start = this.windowStart;
    const report = toReport(this.options.identity, { start, end }, this.aggregator.close());
    this.windowStart = end;
    this.windowEnd = this.alignedEnd(end);
    if (!report) return;
    this.stats.windows += 1;
    try {
      const id = this.options.spool.append(report);
      this.options.logger.debug(
        { id, windowStart: start, windowEnd: end, observations: report.observations },
        'window spooled',
      );
    } catch (error) {
      this.stats.lost += 1;
      this.options.logger.error(
        { err: error, windowStart: start, lost: this.stats.lost },
        'a window could not be spooled; lost',
      );
      return;
    }
    this.collectStats();
    this.sender.kick();
  }

  /** The numbers as of now, read when scraped: nothing is counted for them on the agent's own paths. */
  numbers(): AgentNumbers {
    const { spool } = this.options;
    const { sent, refused, failures } = this.sender.stats;
    return {
      ...this.stats,
      sent,
      refused,
      failures,
      dropped: spool.dropped,
      commands: this.commands.handled,
      spoolWindows: spool.size,
      spoolBytes: spool.bytes,
      collectorErrors: this.health.errors,
    };
  }

  private collectStats(): void {
    const { spool, logger } = this.options;
    if (spool.dropped > this.spoolDropped) {
      logger.warn(
        {
          dropped: spool.dropped - this.spoolDropped,
          droppedTotal: spool.dropped,
          spooledBytes: spool.bytes,
        },
        'the spool is full or its oldest windows too old: the oldest were dropped',
      );
      this.spoolDropped = spool.dropped;
    }
    this.stats.dropped = spool.dropped;
    this.stats.sent = this.sender.stats.sent;
    this.stats.refused = this.sender.stats.refused;
    this.stats.commands = this.commands.handled;
  }
}
