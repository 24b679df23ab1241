import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

/**
 * common/ is the leaf everyone imports: it imports no other workspace and no npm package, only Node's
 * built-ins, and those only where a module is Node's business (signals). What the SDK bundles must run
 * in browsers too.
 */
const src = new URL('../src/', import.meta.url);
const modules = readdirSync(src).filter((f) => f.endsWith('.ts'));
const importsOf = (file: string) =>
  [
    ...readFileSync(new URL(file, src), 'utf8').matchAll(
      /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g,
    ),
  ].map(([, specifier]) => specifier as string);

it('imports nothing but its own modules and node: built-ins', () => {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  expect(manifest.dependencies ?? {}).toEqual({});
  for (const file of modules) {
    for (const specifier of importsOf(file))
      expect({ file, specifier }).toMatchObject({ specifier: /^(\.\/|node:)/ });
  }
});

it('keeps the modules the SDK bundles free of Node-only APIs', () => {
  for (const file of ['backoff.ts', 'duration.ts', 'intervals.ts', 'promise.ts', 'timer.ts']) {
    expect(modules).toContain(file);
    const text = readFileSync(new URL(file, src), 'utf8');
    expect({ file, imports: importsOf(file).filter((s) => s.startsWith('node:')) }).toEqual({
      file,
      imports: [],
    });
    expect({ file, process: /\bprocess\./.test(text) }).toEqual({ file, process: false });
  }
});
