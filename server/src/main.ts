import { stopOnSignals } from '@metrics-collector/common/signals';
import { parseCommandLine } from './cli.js';
import { ConfigError, loadConfig } from './config.js';

// `--help`, `--version` and refused arguments answer before anything is loaded, opened or created.
const command = parseCommandLine(process.argv.slice(2));
if (command.action === 'exit') {
  if (command.stdout) process.stdout.write(command.stdout);
  if (command.stderr) process.stderr.write(command.stderr);
  process.exit(command.code);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const { buildApp } = await import('./app.js');
const { listenOrExit } = await import('./listen.js');
const app = buildApp(config);
const listening = listenOrExit(app, config);
// The handlers go in before `listening` is logged: a SIGTERM sent on reading that line must stop the
// server cleanly, not find Node's default action (exit at once) still in place.
stopOnSignals(app.logger, async () => (await listening).close());
await listening;
