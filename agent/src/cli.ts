#!/usr/bin/env node
/**
 * `metrics-agent` (also `npm run agent -- --server URL`): runs the agent until SIGINT or SIGTERM, then
 * closes the current window, spools it and sends what it can within the shutdown timeout.
 */
import { stopOnSignals } from '@metrics-collector/common/signals';
import { AgentConfigError, parseAgentArgs } from './config.js';
import { createLogger } from './log.js';
import { MetricsListenError } from './metrics-endpoint.js';
import { runAgent } from './run.js';
import { SpoolLockedError } from './spool.js';

let config: ReturnType<typeof parseAgentArgs>;
try {
  config = parseAgentArgs(process.argv, process.env);
} catch (error) {
  if (!(error instanceof AgentConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const logger = createLogger(config.logLevel);
// Sampling or sending broke beyond repair: exit non-zero, so that the supervisor starts the agent again.
const running = runAgent(config, logger, { onFatal: () => process.exit(1) });
// The handlers go in before `agent started` is logged: a SIGTERM sent on reading that line must stop
// the agent cleanly, not find Node's default action (exit at once) still in place.
stopOnSignals(logger, async () => (await running).stop());
try {
  await running;
} catch (error) {
  if (!(error instanceof SpoolLockedError || error instanceof MetricsListenError)) throw error;
  console.error(error.message);
  process.exit(error instanceof MetricsListenError ? 2 : 1);
}
