import { backoffDelay, sleep } from '@metrics-collector/common/backoff';
import { type ErrorCode, SdkError } from '@metrics-collector/sdk';
import type { AgentCommand, Connection } from './connection.js';
import { errorSummary, type Logger } from './log.js';

/** The server's answer to an acknowledgement it took already (an answer lost on the way). */
const ALREADY_ACKNOWLEDGED: ErrorCode = 'COMMAND_ALREADY_ACKNOWLEDGED';

export interface CommandFollowerOptions {
  connection: Connection;
  clientId: string;
  logger: Logger;
  /** Applies a command at once; throws (a RangeError) with the reason when it cannot. */
  apply(command: AgentCommand): void;
  backoff: { minMs: number; maxMs: number };
  now: () => number;
}

/**
 * Follows the client's `agentCommands` stream for as long as the agent runs: subscribes, applies each
 * command, acknowledges it APPLIED or FAILED with the reason, and subscribes again (with backoff) whenever
 * the stream ends or fails.
 */
export class CommandFollower {
  /** Distinct commands handled. */
  handled = 0;
  private readonly seen = new Set<string>();
  private readonly stopped = new AbortController();
  private stream: AsyncIterableIterator<AgentCommand> | null = null;

  constructor(private readonly options: CommandFollowerOptions) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped.abort();
    // Not awaited: an iterator waiting for its next command may finish returning only when one comes.
    this.stream?.return?.().catch(() => undefined);
  }

  private async loop(): Promise<void> {
    const { connection, clientId, logger, backoff } = this.options;
    const signal = this.stopped.signal;
    let failures = 0;
    while (!signal.aborted) {
      const subscribedAt = Date.now();
      try {
        this.stream = connection.commands(clientId);
        for await (const command of this.stream) {
          failures = 0;
          await this.handle(command);
        }
      } catch (error) {
        if (signal.aborted) break;
        // A stream that held for a minute ended a streak of failures, if there was one.
        if (Date.now() - subscribedAt >= 60_000) failures = 0;
        // A warning for the first failure of a streak; the following ones (every retry) at debug level.
        (failures === 0 ? logger.warn : logger.debug).call(
          logger,
          { err: errorSummary(error), failuresInARow: failures + 1 },
          'the command stream failed; subscribing again',
        );
      }
      if (signal.aborted) break;
      failures += 1;
      await sleep(backoffDelay(failures, backoff), signal);
    }
  }

  /** Applies one command and acknowledges it: APPLIED, or FAILED with the reason. */
  private async handle(command: AgentCommand): Promise<void> {
    const { connection, logger } = this.options;
    if (command.status !== 'PENDING' && command.status !== 'DELIVERED') return;
    if (new Date(command.expiresAt as string).getTime() <= this.options.now()) {
      logger.warn({ command: command.id }, 'a command expired before it arrived; not applied');
      return;
    }
    let outcome: 'APPLIED' | 'FAILED' = 'APPLIED';
    let message: string | undefined;
    try {
      this.options.apply(command);
    } catch (error) {
      outcome = 'FAILED';
      message = (error as Error).message;
    }
    if (!this.seen.has(command.id)) {
      this.seen.add(command.id);
      this.handled += 1;
    }
    let acknowledged = true;
    try {
      await connection.acknowledge(command.id, outcome, message);
    } catch (error) {
      // An answer lost on the way after the server took the acknowledgement: it is taken.
      if (error instanceof SdkError && error.code === ALREADY_ACKNOWLEDGED) {
        logger.debug({ command: command.id }, 'the command was acknowledged already');
      } else {
        // Unacknowledged, it stays DELIVERED and comes again with the next subscription; applying it twice does no harm.
        acknowledged = false;
        logger.warn({ err: errorSummary(error), command: command.id }, 'acknowledging a command failed');
      }
    }
    logger.info(
      {
        command: command.id,
        type: command.type,
        intervalMs: command.intervalMs,
        outcome,
        message,
        acknowledged,
      },
      'command',
    );
  }
}
