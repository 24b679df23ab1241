import { SdkError } from '@metrics-collector/sdk';
import type { AgentCommand, Connection } from './connection.js';
import type { Logger } from './log.js';

/**
 * The connection to several servers (`--server a,b,...`: replicas that share their stores). Everything goes
 * to one of them at a time, the first to start with; a report or acknowledgement that fails with a
 * retryable error (no answer, 502/503/504, `STORE_UNAVAILABLE`) moves the agent to the next server in the
 * list, for the sender's next attempt. It stays there while that one answers: replicas are equal, and going
 * back would only move the command stream again.
 *
 * Nothing changes for the spool: a window leaves it only once a server stored it, so a window in flight
 * when its server died is sent again to the next one (every store keeps one window per client and start).
 * Moving closes the old server's connection, which ends its command stream; the command follower
 * subscribes again, on the new server.
 */
export function failoverConnection(
  connectors: readonly (() => Connection)[],
  urls: readonly string[],
  logger: Logger,
): Connection {
  if (connectors.length === 0) throw new Error('failoverConnection: no server');
  let index = 0;
  let current: Connection | null = null;
  let closed = false;
  const connection = (): Connection => {
    if (closed) throw new Error('the connection is closed');
    current ??= (connectors[index] as () => Connection)();
    return current;
  };
  /** Moves to the next server after `failed` failed with `error`, unless another call moved already. */
  const moveOn = (failed: Connection, error: unknown): void => {
    if (failed !== current || closed || !(error instanceof SdkError) || !error.retryable) return;
    const from = urls[index];
    index = (index + 1) % connectors.length;
    current = null;
    logger.warn({ from, to: urls[index], err: error.message }, 'the server failed; moving to the next one');
    failed.close().catch(() => undefined);
  };
  const call = async <T>(work: (c: Connection) => Promise<T>): Promise<T> => {
    const c = connection();
    try {
      return await work(c);
    } catch (error) {
      moveOn(c, error);
      throw error;
    }
  };
  return {
    get viaWebSocket() {
      return current?.viaWebSocket ?? false;
    },
    report: (report) => call((c) => c.report(report)),
    acknowledge: (id, status, message) => call((c) => c.acknowledge(id, status, message)),
    commands: (clientId): AsyncIterableIterator<AgentCommand> => connection().commands(clientId),
    close: async () => {
      closed = true;
      await current?.close();
      current = null;
    },
  };
}
