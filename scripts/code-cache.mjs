// Runs a CommonJS bundle (dist/start.cjs, `npm start`'s) with V8's code cache: the first start saves the
// code V8 compiled for it (a few seconds in, so the functions the start ran are in it), and later starts
// hand that back to V8 instead of parsing and compiling megabytes of JavaScript again. Node.js 22 does
// this by itself (`module.enableCompileCache()`); Node.js 20 has only `vm.Script`'s `cachedData`, and
// only for scripts, hence a CommonJS bundle. docs/deployment.md has the figures.
import { isAscii } from 'node:buffer';
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import vm from 'node:vm';

/**
 * Where the cache of `file` as it is now lives: beside it, its size and mtime in the name. V8 checks only
 * that a cache was made for a source of the same length, so a rebuilt bundle must never meet an old one.
 */
export function cachePath(file) {
  const { size, mtimeMs } = statSync(file);
  return join(dirname(file), `.${basename(file)}-${size}-${Math.round(mtimeMs)}.v8-cache`);
}

/**
 * Loads and runs `file` as Node.js runs a CommonJS module, with the code cache when there is one that V8
 * accepts. Without one, it saves a new one `saveAfterMs` later, or when the process exits if that comes
 * first, and removes the bundle's older caches. Returns what happened to the cache: `used`, `rejected` (made by
 * another Node.js or with other V8 flags) or `none`.
 */
export function runWithCodeCache(file, { saveAfterMs = 3_000 } = {}) {
  const cacheFile = cachePath(file);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined; // none yet
  }
  // An ASCII file (build.mjs makes the bundle one) is Latin-1 too, and Node.js turns a large Latin-1
  // buffer into a string without copying it, where UTF-8 would be decoded.
  const bytes = readFileSync(file);
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  // No import() in the bundle (build.mjs refuses one): Node.js 20 loses its loader when V8 takes the
  // code from the cache (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), even with importModuleDynamically set.
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) { ${source}\n})`,
    {
      filename: file,
      cachedData,
    },
  );
  const module = new Module(file);
  module.filename = file;
  module.paths = Module._nodeModulePaths(dirname(file));
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  const outcome = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  if (outcome !== 'used') {
    let saved = false;
    const saveOnce = () => {
      if (saved) return;
      saved = true;
      save(script, file, cacheFile);
    };
    setTimeout(saveOnce, saveAfterMs).unref();
    process.once('exit', saveOnce); // a start stopped sooner
  }
  return outcome;
}

/** Writes the cache whole or not at all (two starts may save at once), then drops the older ones. */
function save(script, file, cacheFile) {
  try {
    const partial = `${cacheFile}.${process.pid}`;
    writeFileSync(partial, script.createCachedData());
    renameSync(partial, cacheFile);
    const prefix = `.${basename(file)}-`;
    for (const name of readdirSync(dirname(file))) {
      const other = join(dirname(file), name);
      if (name.startsWith(prefix) && name.endsWith('.v8-cache') && other !== cacheFile)
        rmSync(other, { force: true });
    }
  } catch {
    // A folder the server may not write to (or a bundle rebuilt meanwhile): the next start compiles again.
  }
}
