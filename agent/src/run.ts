import { Agent } from './agent.js';
import { systemCollectors } from './collectors/index.js';
import type { AgentConfig } from './config.js';
import { type Connection, sdkConnection } from './connection.js';
import { failoverConnection } from './failover.js';
import { hostIdentity } from './identity.js';
import { intervalProblem } from './intervals.js';
import type { Logger } from './log.js';
import { serveAgentMetrics } from './metrics-endpoint.js';
import type { ReportWindow } from './report.js';
import { readIntervals, writeIntervals } from './settings.js';
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
  const intervals = keptIntervals(config, logger);
  // Bound before anything connects: a port that cannot be bound stops the start (the CLI exits 2).
  let agent: Agent | undefined;
  const metrics = config.metricsListen
    ? await serveAgentMetrics(config.metricsListen, () => (agent as Agent).numbers(), logger).catch(
        (error: unknown) => {
          spool.close();
          throw error;
        },
      )
    : null;
  const connectTo = (url: string) => () =>
    connect({ url, token: config.token, retryMaxMs: config.retryMaxMs });
  const urls = config.serverUrls;
  const connection =
    urls.length === 1
      ? connectTo(urls[0] as string)()
      : failoverConnection(urls.map(connectTo), urls, logger);
  agent = new Agent({
    identity,
    connection,
    collectors: systemCollectors(config.collectors),
    spool,
    ...intervals,
    onIntervalsChanged: (changed) => {
      try {
        writeIntervals(config.spoolDir, changed);
      } catch (error) {
        logger.warn({ err: error }, 'the intervals set by a command could not be kept for the next start');
      }
    },
    backoff: { minMs: Math.min(1_000, config.retryMaxMs), maxMs: config.retryMaxMs },
    logger,
    onFatal: options.onFatal,
  });
  agent.start();
  let stopped: Promise<number> | undefined;
  const started = agent;
  return {
    agent: started,
    stop: () => {
      stopped ??= (async () => {
        try {
          return await started.stop(config.shutdownTimeoutMs);
        } finally {
          spool.close();
          await Promise.all([connection.close(), metrics?.close()]);
        }
      })();
      return stopped;
    },
  };
}

/**
 * The intervals to start with. Those the server's commands set in an earlier run are kept in the spool
 * folder and win over the defaults; a flag or variable given now wins over them (and they are forgotten).
 */
function keptIntervals(
  config: AgentConfig,
  logger: Logger,
): { samplingIntervalMs: number; reportIntervalMs: number } {
  const kept = readIntervals(config.spoolDir);
  const keys = ['samplingIntervalMs', 'reportIntervalMs'] as const;
  const still: { samplingIntervalMs?: number; reportIntervalMs?: number } = {};
  for (const key of keys) if (kept[key] !== undefined && !config.explicit.has(key)) still[key] = kept[key];
  const chosen = {
    samplingIntervalMs: still.samplingIntervalMs ?? config.samplingIntervalMs,
    reportIntervalMs: still.reportIntervalMs ?? config.reportIntervalMs,
  };
  if (keys.some((key) => kept[key] !== still[key])) writeIntervals(config.spoolDir, still);
  if (Object.keys(still).length === 0) return chosen;
  const problem = intervalProblem(chosen.samplingIntervalMs, chosen.reportIntervalMs);
  if (problem) {
    logger.warn(
      { kept: still, problem },
      'the intervals set by an earlier command do not fit the flags; not used',
    );
    writeIntervals(config.spoolDir, {});
    return { samplingIntervalMs: config.samplingIntervalMs, reportIntervalMs: config.reportIntervalMs };
  }
  logger.info({ ...still }, "intervals set by the server's commands in an earlier run, kept");
  return chosen;
}
