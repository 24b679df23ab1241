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
const listening = await listenOrExit(app, config);

stopOnSignals(app.logger, () => listening.close());
