import { stopOnSignals } from '@metrics-collector/common/signals';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const app = buildApp(config);
await app.start();

stopOnSignals(app.logger, () => app.stop());
