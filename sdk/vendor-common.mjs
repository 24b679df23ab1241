// The last step of `npm run build -w @metrics-collector/sdk`, after tsc: the SDK's sources import
// `@metrics-collector/common/*` (backoff, sleep), a private workspace package that is never published.
// This copies each module they use into dist/common/ (compiled, with a source map holding its source)
// and points the imports in dist/ at those copies, so that the packed SDK depends on nothing but its
// declared dependencies. The declarations never name common: tsc would keep such an import in a .d.ts,
// and `sdk/test/package.test.ts` (a consumer type-checking against the tarball) would fail.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const sdkDir = fileURLToPath(new URL('.', import.meta.url));
const dist = join(sdkDir, 'dist');
const commonSrc = fileURLToPath(new URL('../common/src/', import.meta.url));
const PACKAGE = '@metrics-collector/common/';
const specifiers = /(from\s+|import\s*\(\s*|import\s+)(['"])(@metrics-collector\/common\/[\w./-]+)\2/g;

const { config } = ts.readConfigFile(join(sdkDir, 'tsconfig.build.json'), ts.sys.readFile);
const { options } = ts.parseJsonConfigFileContent(config, ts.sys, sdkDir);
// ESM, as tsc writes the SDK's own files (transpileModule alone cannot tell that common is `type: module`).
const compilerOptions = {
  ...options,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  declaration: false,
  declarationMap: false,
  sourceMap: true,
};

/** Every .js file under `dir`. */
function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return jsFiles(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

const vendored = new Set();

/** Compiles common/src/<name>.ts to dist/common/<name>.js, and the common modules it imports in turn. */
function vendor(name) {
  if (vendored.has(name)) return;
  vendored.add(name);
  const source = join(commonSrc, `${name}.ts`);
  const text = readFileSync(source, 'utf8');
  for (const [, , , specifier] of text.matchAll(/(from\s+)(['"])(\.\/[\w./-]+)\.js\2/g)) {
    vendor(posix.join(posix.dirname(name), specifier));
  }
  for (const [, , , specifier] of text.matchAll(/(from\s+|import\s+)(['"])([^'"]+)\2/g)) {
    if (!specifier.startsWith('./') && !specifier.startsWith('../'))
      throw new Error(`common/src/${name}.ts imports ${specifier}: common must stay a leaf to be vendored`);
  }
  const out = join(dist, 'common', `${name}.js`);
  const { outputText, sourceMapText } = ts.transpileModule(text, {
    compilerOptions,
    fileName: source,
    reportDiagnostics: false,
  });
  const map = JSON.parse(sourceMapText ?? '{}');
  map.file = `${posix.basename(name)}.js`;
  map.sources = [`${posix.basename(name)}.ts`];
  map.sourcesContent = [text];
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    outputText.replace(/\/\/# sourceMappingURL=.*$/m, `//# sourceMappingURL=${posix.basename(name)}.js.map`),
  );
  writeFileSync(`${out}.map`, JSON.stringify(map));
}

for (const file of jsFiles(dist)) {
  if (file.startsWith(join(dist, 'common'))) continue;
  const text = readFileSync(file, 'utf8');
  const next = text.replace(specifiers, (_, before, quote, specifier) => {
    const name = specifier.slice(PACKAGE.length).replace(/\.(js|ts)$/, '');
    vendor(name);
    let path = relative(dirname(file), join(dist, 'common', `${name}.js`))
      .split('\\')
      .join('/');
    if (!path.startsWith('.')) path = `./${path}`;
    return `${before}${quote}${path}${quote}`;
  });
  if (next !== text) writeFileSync(file, next);
}
for (const file of readdirSync(dist, { recursive: true }).map(String)) {
  if (!file.endsWith('.d.ts')) continue;
  if (readFileSync(join(dist, file), 'utf8').includes(PACKAGE))
    throw new Error(
      `dist/${file} names ${PACKAGE}: keep common's types out of the SDK's public declarations`,
    );
}
