/**
 * `npm start`: the server, and one agent reporting this machine to it, in one process — so that a new
 * user sees live data at once. `LOCAL_AGENT=off` runs the server alone (as `server/src/main.ts` does).
 * The local agent reads the agent's `AGENT_*` variables (intervals, collectors, client id, token); its
 * spool lives in `DATA_DIR/agent-spool` unless `AGENT_SPOOL_DIR` says otherwise.
 */
import { join } from 'node:path';
import { AgentConfigError, agentConfig } from '@metrics-collector/agent/config';
import { type RunningAgent, runAgent } from '@metrics-collector/agent/run';
import { SpoolLockedError } from '@metrics-collector/agent/spool';
import { stopOnSignals } from '@metrics-collector/common/signals';
import { buildApp } from '@metrics-collector/server/app';
import { ConfigError, loadConfig } from '@metrics-collector/server/config';
import { listenOrExit } from '@metrics-collector/server/listen';
import type { Logger } from '@metrics-collector/server/logger';

// One function rather than top-level await: the bundle is CommonJS (scripts/build.mjs says why).
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  let localAgent: ReturnType<typeof agentConfig> | null = null;
  try {
    config = loadConfig(process.env);
    const setting = process.env.LOCAL_AGENT ?? 'on';
    if (setting !== 'on' && setting !== 'off')
      throw new ConfigError([`LOCAL_AGENT: write "on" or "off", not "${setting}"`]);
    if (setting === 'on') {
      localAgent = agentConfig(
        {},
        {
          AGENT_SPOOL_DIR: join(config.dataDir, 'agent-spool'),
          AGENT_LOG_LEVEL: config.logLevel,
          ...process.env,
        },
      );
    }
  } catch (error) {
    if (!(error instanceof ConfigError) && !(error instanceof AgentConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }

  const app = buildApp(config);
  const listening = listenOrExit(app, config);
  const agent = listening.then((server) =>
    localAgent
      ? startLocalAgent(app.logger, config.authEnabled, {
          ...localAgent,
          serverUrls: [`${server.url}/graphql`],
        })
      : null,
  );
  // The handlers go in before `listening` is logged: a SIGTERM sent on reading that line must stop
  // cleanly, not find Node's default action (exit at once) still in place.
  stopOnSignals(app.logger, async () => {
    await (await agent)?.stop();
    await (await listening).close();
  });
  await agent;
}

/** The local agent, reporting to this server; null (with the reason logged) when it cannot start. */
async function startLocalAgent(
  logger: Logger,
  authEnabled: boolean,
  config: ReturnType<typeof agentConfig>,
): Promise<RunningAgent | null> {
  if (authEnabled && !config.token) {
    logger.warn(
      'the local agent needs a token with scope ingest when auth is on: set AGENT_TOKEN; not started',
    );
    return null;
  }
  try {
    return await runAgent(config, logger.child({ component: 'agent' }));
  } catch (error) {
    if (!(error instanceof SpoolLockedError)) throw error;
    logger.error({ err: error }, 'the local agent was not started');
    return null;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
