// `npm start`: rebuilds dist/ when a source changed since the last build (build.mjs; the check is one
// stat per source file), then runs the bundle of scripts/start.ts in this process, with plain `node`.
import { ensureBuilt } from './build.mjs';

const ms = await ensureBuilt();
if (ms !== null) console.error(`sources changed: rebuilt dist/ in ${Math.round(ms)} ms`);
await import('../dist/start.js');
