import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src/', import.meta.url));

/** Every module specifier the files reachable from `entry` import, following relative imports. */
function reachableImports(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (files.includes(file)) continue;
    files.push(file);
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)) {
      if (!specifier) continue;
      if (specifier.startsWith('.')) queue.push(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else packages.add(specifier);
    }
  }
  return { files: files.map((f) => relative(src, f)), packages };
}

it('the main entry imports nothing Node-only, so it runs in browsers', () => {
  const { files, packages } = reachableImports(join(src, 'index.ts'));
  expect(files).toContain('client.ts');
  expect([...packages].sort()).toEqual([
    '@graphql-typed-document-node/core',
    // Bundled into dist/common by the build (vendor-common.mjs); common/test/leaf.test.ts keeps it browser-safe.
    '@metrics-collector/common/backoff',
    'graphql',
    'graphql-request',
    'graphql-ws/client',
  ]);
});

it('the node entry adds ws', () => {
  const { packages } = reachableImports(join(src, 'node.ts'));
  expect(packages.has('ws')).toBe(true);
});
