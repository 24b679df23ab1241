import { Agent } from './agent.js';
import { systemCollectors } from './collectors/index.js';
import type { AgentConfig } from './config.js';
import { type Connection, sdkConnection } from './connection.js';
import { hostIdentity } from './identity.js';
import type { Logger } from './log.js';
import type { ReportWindow } from './report.js';
import { Spool } from './spool.js';

export interface RunningAgent {
  agent: Agent;
  /** Stops as `Agent.stop` does within the configured shutdown timeout, then closes the spool and the connection. */
  stop(): Promise<number>;
}

/** Starts an agent for this host as configured: identity, spool, collectors, the SDK connection. */
export async function runAgent(
  config: AgentConfig,
  logger: Logger,
  options: {
    connect?: (options: { url: string; token?: string | undefined; retryMaxMs: number }) => Connection;
    onFatal?: (error: unknown) => void;
  } = {},
): Promise<RunningAgent> {
  const connect = options.connect ?? sdkConnection;
  const identity = await hostIdentity({ clientId: config.clientId });
  const spool = new Spool<ReportWindow>({
    dir: config.spoolDir,
    maxBytes: config.spoolMaxBytes,
    maxAgeMs: config.spoolMaxAgeMs,
  });
  const connection = connect({ url: config.serverUrl, token: config.token, retryMaxMs: config.retryMaxMs });
  const agent = new Agent({
    identity,
    connection,
    collectors: systemCollectors(config.collectors),
    spool,
    samplingIntervalMs: config.samplingIntervalMs,
    reportIntervalMs: config.reportIntervalMs,
    backoff: { minMs: Math.min(1_000, config.retryMaxMs), maxMs: config.retryMaxMs },
    logger,
    onFatal: options.onFatal,
  });
  agent.start();
  let stopped: Promise<number> | undefined;
  return {
    agent,
    stop: () => {
      stopped ??= (async () => {
        try {
          return await agent.stop(config.shutdownTimeoutMs);
        } finally {
          spool.close();
          await connection.close();
        }
      })();
      return stopped;
    },
  };
}
