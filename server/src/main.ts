import { stopOnSignals } from '@metrics-collector/common/signals';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { listen } from './listen.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const app = buildApp(config);
const listening = await listen(app, config);

stopOnSignals(app.logger, () => listening.close());
