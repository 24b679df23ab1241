// `npm run build -w @metrics-collector/agent`: bundles the agent (and the sources of the SDK and of
// @metrics-collector/common it imports) into dist/metrics-agent.js for plain `node`, which saves tsx's
// loader (about 20 MB of memory) on every host. npm packages stay imports of node_modules; the
// workspaces' packages (@metrics-collector/*) are bundled in.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const manifest = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const external = [
  ...Object.keys(manifest('./package.json').dependencies),
  ...Object.keys(manifest('../sdk/package.json').dependencies ?? {}),
  ...Object.keys(manifest('../sdk/package.json').peerDependencies ?? {}),
].filter((name) => !name.startsWith('@metrics-collector/'));

await build({
  entryPoints: [new URL('./src/cli.ts', import.meta.url).pathname],
  outfile: new URL('./dist/metrics-agent.js', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  // The SDK resolves to its sources, as everywhere inside the repository.
  tsconfig: new URL('../tsconfig.json', import.meta.url).pathname,
  sourcemap: true,
  logLevel: 'warning',
});
