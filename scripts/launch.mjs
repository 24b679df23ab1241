// `npm start`: rebuilds dist/ when a source changed since the last build (build.mjs; the check is one
// stat per source file), then runs the bundle of scripts/start.ts in this process, with plain `node`,
// through V8's code cache (code-cache.mjs).
import { join } from 'node:path';
import { DIST, ensureBuilt } from './build.mjs';
import { runWithCodeCache } from './code-cache.mjs';

const ms = await ensureBuilt();
if (ms !== null) console.error(`sources changed: rebuilt dist/ in ${Math.round(ms)} ms`);
runWithCodeCache(join(DIST, 'start.cjs'));
