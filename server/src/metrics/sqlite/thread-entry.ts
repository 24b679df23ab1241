import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The script of a worker thread of the embedded store (`read-thread`, `write-thread`). Inside a bundle of
 * scripts/build.mjs (dist/*.js) it is the bundle `dist/<name>.js` beside it. From the sources (tests, tsx)
 * the thread's TypeScript is bundled here with esbuild (a development dependency), once per process, into
 * `node_modules/.cache/metrics-collector/`: a thread registering tsx itself took about a second to start,
 * paid by every test that opened a store, where the bundle starts in about a tenth of that.
 */
export function threadScript(name: 'read-thread' | 'write-thread'): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL(`./${name}.js`, import.meta.url);
  let script = bundled.get(name);
  if (!script) {
    script = bundle(name);
    bundled.set(name, script);
  }
  return script;
}

const bundled = new Map<string, URL>();

function bundle(name: string): URL {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({
    entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3'],
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
  });
  const code = (result.outputFiles[0] as { text: string }).text;
  const hash = createHash('sha1').update(code).digest('hex').slice(0, 16);
  // Inside the repository, so that the bundle's `better-sqlite3` resolves from its node_modules.
  const dir = fileURLToPath(new URL('../../../../node_modules/.cache/metrics-collector/', import.meta.url));
  const file = join(dir, `${name}-${hash}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, code);
    renameSync(temporary, file);
  }
  return pathToFileURL(file);
}
