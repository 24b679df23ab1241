// The web console's build, called by build.mjs: console/src/main.ts bundled by esbuild for browsers
// (minified, the SDK's browser entry and uPlot bundled in, CSS alongside), each asset named by the hash
// of its content; index.html from console/src/index.html naming them; every file beside its gzip and
// brotli copies, which the server chooses by Accept-Encoding (server/src/http/console-assets.ts);
// manifest.json listing what may be served.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** What the console's JavaScript may weigh once gzipped (the bound; console/test/ checks it). */
export const JS_GZIP_LIMIT = 150 * 1024;

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * Builds the console into `outdir` (a folder of its own, written whole); returns the source files it
 * was built from (for build.json) and the JavaScript's gzipped size.
 */
export async function buildConsole(root, outdir) {
  const { build } = await import('esbuild');
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { console: 'console/src/main.ts' },
    outdir,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    tsconfig: join(root, 'console/tsconfig.json'),
    metafile: true,
    logLevel: 'warning',
  });
  const names = readdirSync(outdir).filter((name) => extname(name) in TYPES);
  const script = names.find((name) => name.endsWith('.js'));
  const style = names.find((name) => name.endsWith('.css'));
  if (!script || !style) throw new Error(`console build: no script or style in ${names}`);
  const html = readFileSync(join(root, 'console/src/index.html'), 'utf8')
    .replace('{{script}}', `/assets/${script}`)
    .replace('{{style}}', `/assets/${style}`);
  writeFileSync(join(outdir, 'index.html'), html);
  const files = {};
  let jsGzipBytes = 0;
  for (const name of [...names, 'index.html']) {
    const body = readFileSync(join(outdir, name));
    const gzip = gzipSync(body, { level: 9 });
    writeFileSync(join(outdir, `${name}.gz`), gzip);
    writeFileSync(
      join(outdir, `${name}.br`),
      brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    );
    if (name.endsWith('.js')) jsGzipBytes += gzip.length;
    files[name] = { type: TYPES[extname(name)], bytes: body.length, gzipBytes: gzip.length };
  }
  writeFileSync(join(outdir, 'manifest.json'), `${JSON.stringify({ files, jsGzipBytes }, null, 1)}\n`);
  if (jsGzipBytes > JS_GZIP_LIMIT) {
    throw new Error(`console build: ${jsGzipBytes} bytes of gzipped JavaScript, over ${JS_GZIP_LIMIT}`);
  }
  const inputs = Object.keys(result.metafile.inputs).filter((file) => !file.includes('node_modules/'));
  return { inputs: [...inputs, 'console/src/index.html', 'console/tsconfig.json'], jsGzipBytes };
}
