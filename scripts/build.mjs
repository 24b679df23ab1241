// `npm run build`: bundles the server for plain `node` with esbuild into dist/ (gitignored), one bundle
// per entry: dist/start.cjs (`npm start`: the server and a local agent; CommonJS, run through V8's code
// cache by code-cache.mjs), dist/main.js (the server alone, as the Dockerfile runs it), dist/read-thread.js
// and dist/write-thread.js (the embedded store's read and write threads, which the store starts beside the
// bundle that loads it). The sources and npm packages are bundled in, but for the few in EXTERNAL.
//
// PostgreSQL's migrations (server/src/pg/migrations/*.sql, read at run time) are copied to dist/migrations/,
// where the bundles look for them.
//
// dist/build.json records every file the bundles were built from (esbuild's metafile inputs, plus the
// manifests, tsconfig.json and this file) with its mtime and size: `isFresh()` compares them with a stat
// each — a changed, added (its importer changed) or removed source makes the build stale — and
// `ensureBuilt()` rebuilds only then. `npm start` (launch.mjs) calls it before each start. ALSO lists
// code-cache.mjs: a change to how the cache is made must not meet a cache made the old way.
//
// The entry `console` is the web console (build-console.mjs): dist/console/, served at `/` by the server.
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConsole } from './build-console.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(root, 'dist');
export const MANIFEST = join(DIST, 'build.json');
const ENTRIES = {
  start: 'scripts/start.ts',
  main: 'server/src/main.ts',
  'read-thread': 'server/src/metrics/sqlite/read-thread.ts',
  'write-thread': 'server/src/metrics/sqlite/write-thread.ts',
  console: 'console/src/main.ts',
};
const PACKAGES = ['.', 'common', 'schema', 'server', 'sdk', 'agent', 'console'].map((dir) =>
  join(dir, 'package.json'),
);
/**
 * The npm packages left as imports of node_modules; every other one is bundled in, which halves the
 * start's CPU (loading hundreds of node_modules files through Node's module loaders cost more than the
 * code itself; docs/deployment.md has the figures). graphql stays one module instance in dist/main.js
 * (see vitest.config.ts; the start bundle has it inside), better-sqlite3 loads a native addon, pino
 * starts transports from its own files, render-graphiql is 9 MB of GraphiQL loaded only when the page is
 * first asked for, postgres-migrations reads its first migration from its own folder (and pg, which it
 * imports, stays one). pg, ioredis and its yoga event target are required only when `DATABASE_URL` or
 * `REDIS_URL` is set, so a start without them does not pay for loading them.
 */
const EXTERNAL = [
  'graphql',
  'better-sqlite3',
  'pino',
  '@graphql-yoga/render-graphiql',
  'pg',
  'postgres-migrations',
  'ioredis',
  '@graphql-yoga/redis-event-target',
];
/** Files the bundles read at run time, copied beside them: source folder → folder in dist/. */
const COPIED = { 'server/src/pg/migrations': 'migrations' };
/**
 * Files that change the bundles without being one of their inputs. npm rewrites
 * node_modules/.package-lock.json on every install: it stands for the packages bundled in (stat-ing
 * their ~830 files instead made the check 10–25 ms rather than 1–3 ms).
 */
const ALSO = [
  ...PACKAGES,
  'package-lock.json',
  'node_modules/.package-lock.json',
  'tsconfig.json',
  'scripts/build.mjs',
  'scripts/build-console.mjs',
  'scripts/code-cache.mjs',
];

const stamp = (file) => {
  const stat = statSync(join(root, file));
  return [stat.mtimeMs, stat.size];
};

/** Whether dist/ was built from the files as they are now (`manifest`: the record to compare with). */
export function isFresh(manifest = MANIFEST) {
  let record;
  let files;
  try {
    record = JSON.parse(readFileSync(manifest, 'utf8'));
    files = record.files;
  } catch {
    return false; // never built, or built by an older version of this file
  }
  if (Object.keys(ENTRIES).some((name) => !record.entries?.includes(name))) return false; // a partial build
  for (const [file, [mtimeMs, size]] of Object.entries(files)) {
    let now;
    try {
      now = stamp(file);
    } catch {
      return false; // removed
    }
    if (now[0] !== mtimeMs || now[1] !== size) return false;
  }
  return true;
}

/** esbuild's options for a bundle of the server's code for Node.js, written into `outdir`. */
const nodeBundleOptions = (outdir) => ({
  absWorkingDir: root,
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // The SDK resolves to its sources, as everywhere inside the repository.
  tsconfig: join(root, 'tsconfig.json'),
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});

/** What makes a bundle ESM (dist/main.js, the threads). */
const ESM = {
  format: 'esm',
  // The CommonJS packages bundled in call require() for Node.js's modules.
  banner: {
    js: "import { createRequire as __mcRequire } from 'node:module'; const require = __mcRequire(import.meta.url);",
  },
};

/**
 * Bundles `entry` (a path, absolute or from the repository's root) as dist/main.js is bundled, with the
 * embedded store's threads beside it, into a folder of its own under `dir` (named after the entry, so that
 * bundling one entry never rewrites files a process started from another is loading). The bench runs its
 * server processes so: the code `npm start` runs rather than tsx's (which keeps every function's name, with
 * a call per closure made). Returns the bundle's path.
 */
export async function bundleForNode(entry, dir) {
  const { build: esbuild } = await import('esbuild');
  const name = basename(entry).replace(/\.[cm]?[jt]s$/, '');
  const outdir = join(dir, name);
  const threads = Object.fromEntries(
    ['read-thread', 'write-thread'].map((thread) => [thread, ENTRIES[thread]]),
  );
  await esbuild({
    ...nodeBundleOptions(outdir),
    ...ESM,
    metafile: false,
    entryPoints: { [name]: entry, ...threads },
  });
  return join(outdir, `${name}.js`);
}

/** Builds dist/ now (`names`: only those of ENTRIES); returns how long it took in milliseconds. */
export async function build(names = Object.keys(ENTRIES)) {
  const started = performance.now();
  const { build: esbuild } = await import('esbuild');
  // Each build writes into a folder of its own, then moves the files into dist/ one by one (a rename
  // each): two starts building at once never leave a half-written bundle for the other to load.
  const staging = join(DIST, `.build-${process.pid}`);
  mkdirSync(staging, { recursive: true });
  try {
    const bundles = names.filter((name) => name !== 'console');
    const console = names.includes('console')
      ? buildConsole(root, join(staging, 'console'))
      : Promise.resolve({ inputs: [], jsGzipBytes: 0 });
    const common = nodeBundleOptions(staging);
    const esm = bundles.filter((name) => name !== 'start');
    const [esmResult, startResult] = await Promise.all([
      esm.length === 0
        ? null
        : esbuild({
            ...common,
            ...ESM,
            entryPoints: Object.fromEntries(esm.map((name) => [name, ENTRIES[name]])),
          }),
      // `npm start`'s bundle is CommonJS, so that V8 can cache its compiled code (code-cache.mjs).
      !bundles.includes('start')
        ? null
        : esbuild({
            ...common,
            entryPoints: { start: ENTRIES.start },
            format: 'cjs',
            // graphql too, so that its code is in the cache (no external package of this bundle imports
            // it, so it stays one instance): 10-60 ms sooner to /health.
            external: EXTERNAL.filter((name) => name !== 'graphql'),
            outExtension: { '.js': '.cjs' },
            define: { 'import.meta.url': '__mcImportMetaUrl' },
            banner: { js: "const __mcImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
          }),
    ]);
    if (bundles.includes('start')) {
      noDynamicImport(startResult.metafile);
      asciiOnly(join(staging, 'start.cjs'));
    }
    const built = await console;
    if (built.jsGzipBytes)
      process.stderr.write(`console: ${(built.jsGzipBytes / 1024).toFixed(1)} kB of JavaScript gzipped\n`);
    const files = {};
    const inputs = [esmResult, startResult]
      .flatMap((result) => (result ? Object.keys(result.metafile.inputs) : []))
      .filter((file) => !file.includes('node_modules/'));
    const copied = Object.entries(COPIED).flatMap(([from, to]) => {
      cpSync(join(root, from), join(staging, to), { recursive: true });
      // The folder too: its mtime changes when a file is added or removed.
      return [from, ...readdirSync(join(root, from)).map((name) => `${from}/${name}`)];
    });
    const all = new Set([
      ...inputs,
      ...built.inputs,
      ...copied,
      ...ALSO.filter((f) => existsSync(join(root, f))),
    ]);
    for (const file of [...all].sort()) files[file] = stamp(file);
    for (const name of readdirSync(staging)) {
      // A folder (console/, migrations/) replaces the old one: the old is moved aside first, then removed.
      if (statSync(join(staging, name)).isDirectory() && existsSync(join(DIST, name))) {
        const old = join(DIST, `.old-${name}-${process.pid}`);
        renameSync(join(DIST, name), old);
        rmSync(old, { recursive: true, force: true });
      }
      renameSync(join(staging, name), join(DIST, name));
    }
    const record = JSON.stringify({ built: new Date().toISOString(), entries: names, files }, null, 1);
    writeFileSync(join(staging, 'build.json'), `${record}\n`);
    renameSync(join(staging, 'build.json'), MANIFEST);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return performance.now() - started;
}

/** The start bundle runs from V8's code cache, where Node.js 20 cannot import() (code-cache.mjs). */
function noDynamicImport(metafile) {
  for (const [output, { imports }] of Object.entries(metafile.outputs)) {
    const dynamic = imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path);
    if (dynamic.length > 0)
      throw new Error(
        `${output}: import() of ${dynamic.join(', ')}; use require() (see scripts/code-cache.mjs)`,
      );
  }
}

/**
 * Escapes the few characters above ASCII that esbuild leaves (in comments and in a regular expression
 * literal) as `\uXXXX`, which means the same there: an ASCII file is read into a string without decoding
 * it (code-cache.mjs), 30-40 ms sooner than megabytes of UTF-8.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  const escaped = text.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  if (escaped !== text) writeFileSync(file, escaped);
}

/** Builds dist/ unless it is fresh; returns the build's milliseconds, or null when none was needed. */
export async function ensureBuilt() {
  return isFresh() ? null : await build();
}

if (process.argv[1] && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  // `node scripts/build.mjs main read-thread write-thread`: the server alone (the Dockerfile, without the agent's sources).
  const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(ENTRIES);
  for (const name of names)
    if (!(name in ENTRIES)) throw new Error(`no entry ${name}: one of ${Object.keys(ENTRIES)}`);
  const ms = await build(names);
  console.error(`built ${names.join(', ')} into dist/ in ${Math.round(ms)} ms`);
}
