import { builder } from './builder.js';
import './scalars.js';
import './metrics.js';
import './clients.js';
import './history.js';
import './live.js';
import './commands.js';
import './alerts.js';

/** The executable schema: the builder plus every domain file. */
export const schema = builder.toSchema({ sortSchema: true });
