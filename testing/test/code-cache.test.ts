import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DIST, ensureBuilt } from '../../scripts/build.mjs';
import { cachePath } from '../../scripts/code-cache.mjs';

// How `npm start` runs its CommonJS bundle (scripts/code-cache.mjs), on small bundles in a new folder.
const codeCache = fileURLToPath(new URL('../../scripts/code-cache.mjs', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function bundle(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mc-code-cache-'));
  dirs.push(dir);
  const file = join(dir, 'bundle.cjs');
  writeFileSync(file, source);
  return file;
}

/** Runs `file` through runWithCodeCache in a new node; returns its stdout lines, the cache's fate last. */
function run(file: string, nodeArgs: string[] = []): string[] {
  const script = `import(${JSON.stringify(codeCache)}).then((m) => console.log('cache:' + m.runWithCodeCache(${JSON.stringify(file)}, { saveAfterMs: 60000 })));`;
  return execFileSync(process.execPath, [...nodeArgs, '-e', script], { encoding: 'utf8' })
    .trim()
    .split('\n');
}

const caches = (file: string) => readdirSync(join(file, '..')).filter((name) => name.endsWith('.v8-cache'));

const MODULE = `
const { join } = require('node:path');
console.log('run', join('a', 'b'), __filename.endsWith('bundle.cjs'), typeof module.exports, '\u00b0');
`;

describe('the code cache of npm start', () => {
  it('runs a CommonJS bundle as Node.js would, saves its cache at exit, and uses it the next time', () => {
    const file = bundle(MODULE);
    const first = run(file);
    expect(first).toEqual(['run a/b true object \u00b0', 'cache:none']);
    expect(existsSync(cachePath(file))).toBe(true);
    expect(run(file)).toEqual(['run a/b true object \u00b0', 'cache:used']);
  });

  it('never hands V8 the cache of an older bundle of the same length (V8 checks only the length)', () => {
    const file = bundle(`console.log('AAAA');`);
    expect(run(file)).toEqual(['AAAA', 'cache:none']);
    const old = cachePath(file);
    writeFileSync(file, `console.log('BBBB');`);
    utimesSync(file, new Date(), new Date(Date.now() + 5_000)); // a rebuild in the same millisecond
    expect(run(file)).toEqual(['BBBB', 'cache:none']);
    expect(run(file)).toEqual(['BBBB', 'cache:used']);
    // The old bundle's cache was removed when the new one was saved.
    expect(caches(file)).toEqual([cachePath(file).split('/').at(-1)]);
    expect(existsSync(old)).toBe(false);
  });

  it('replaces a cache V8 rejects (other V8 flags), and still runs the bundle', () => {
    const file = bundle(MODULE);
    run(file);
    const lines = run(file, ['--no-opt']);
    expect(lines).toContain('cache:rejected');
    expect(lines).toContain('run a/b true object \u00b0');
    expect(run(file, ['--no-opt'])).toContain('cache:used');
  });

  it('runs the bundle all the same when the cache can be neither read nor written', () => {
    const file = bundle(MODULE);
    mkdirSync(join(cachePath(file), 'in-the-way'), { recursive: true }); // a folder where the cache goes
    expect(run(file)).toEqual(['run a/b true object \u00b0', 'cache:none']);
    expect(run(file)).toContain('cache:none');
  });
});

describe('the npm start bundle', () => {
  it('is ASCII, so that it is read without decoding (build.mjs escapes the rest)', async () => {
    await ensureBuilt();
    const bytes = readFileSync(join(DIST, 'start.cjs'));
    expect(bytes.findIndex((byte) => byte > 0x7f)).toBe(-1);
  });
});
