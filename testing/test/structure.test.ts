/**
 * The shape of the repository, checked like behaviour: source files stay short enough to read, modules
 * import each other without cycles, and nothing points at files outside the repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAX_LINES = 350;
const SOURCE = /\.(ts|mts|mjs|js)$/;
/** Written by tools, not by people: GraphQL Code Generator's output and the SDK's build. */
const GENERATED = [/^sdk\/src\/generated\//, /\/dist\//];

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((path) => path !== '' && existsSync(join(root, path)));
}

const sources = trackedFiles().filter((path) => SOURCE.test(path) && !GENERATED.some((g) => g.test(path)));
const text = (path: string) => readFileSync(join(root, path), 'utf8');

/** Where a workspace package's subpath resolves (`@metrics-collector/schema/metrics/types` and the like). */
const packages: Record<string, (subpath: string) => string> = {
  common: (sub) => `common/src/${sub}.ts`,
  schema: (sub) => (sub === '' ? 'schema/src/index.ts' : `schema/src/${sub}.ts`),
  server: (sub) => `server/src/${sub}.ts`,
  agent: (sub) => `agent/src/${sub}.ts`,
  sdk: (sub) => (sub === 'node' ? 'sdk/src/node.ts' : 'sdk/src/index.ts'),
};

/** Which workspaces each workspace's sources may import (docs/architecture.md, "Packages and layering"). */
const LAYERS: Record<string, readonly string[]> = {
  common: [],
  schema: ['common'],
  server: ['schema', 'common'],
  sdk: ['common'],
  agent: ['sdk', 'common'],
  examples: ['sdk'],
  console: ['sdk', 'common'],
};

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The repository files a module imports (type-only imports included: they tie modules together too). */
function importsOf(path: string): string[] {
  const found: string[] = [];
  for (const match of text(path).matchAll(IMPORT)) {
    const specifier = (match[1] ?? match[2]) as string;
    let target: string | null = null;
    if (specifier.startsWith('.')) {
      target = join(dirname(path), specifier).replace(/\.js$/, '.ts');
      if (!existsSync(join(root, target)) && existsSync(join(root, target.replace(/\.ts$/, '.mjs'))))
        target = target.replace(/\.ts$/, '.mjs');
    } else {
      const workspace = /^@metrics-collector\/([\w-]+)(?:\/(.+))?$/.exec(specifier);
      const resolveIn = workspace && packages[workspace[1] as string];
      if (resolveIn) target = resolveIn(workspace?.[2] ?? '');
    }
    if (target && existsSync(join(root, target))) found.push(target);
  }
  return found;
}

/** Strongly connected components of more than one module (or a module importing itself): the cycles. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indexOf.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indexOf.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, indexOf.get(next) as number));
      }
    }
    if (low.get(node) === indexOf.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indexOf.has(node)) visit(node);
  return found;
}

describe('the repository', () => {
  it(`has no hand-written source file over ${MAX_LINES} lines`, () => {
    const long = sources
      .map((path) => ({ path, lines: text(path).split('\n').length - 1 }))
      .filter((file) => file.lines > MAX_LINES);
    expect(long).toEqual([]);
    expect(sources.length).toBeGreaterThan(100);
  });

  it('has no import cycle', () => {
    const graph = new Map(sources.map((path) => [path, importsOf(path)]));
    // The check itself finds cycles: a module that imports itself is one.
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['a']],
          ['c', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b']]);
    expect([...graph.values()].flat().length).toBeGreaterThan(500);
    expect(cycles(graph)).toEqual([]);
  });

  it('keeps each workspace to the layers it may import', () => {
    const crossings: string[] = [];
    for (const path of sources) {
      const from = path.split('/')[0] as string;
      const allowed = LAYERS[from];
      if (!allowed || !path.startsWith(`${from}/src/`)) continue;
      for (const target of importsOf(path)) {
        const to = target.split('/')[0] as string;
        // The root package.json is data (the release's version, common/src/version.ts), not a layer.
        if (target === 'package.json') continue;
        if (to !== from && !allowed.includes(to)) crossings.push(`${path} -> ${target}`);
      }
    }
    expect(crossings).toEqual([]);
    // The check itself sees imports across workspaces.
    expect(importsOf('console/src/api.ts')).toContain('sdk/src/index.ts');
  });

  it('points at nothing outside itself', () => {
    // Spelled in pieces so that this file does not match itself.
    const outside = [`${'..'}/shared`, `${'DESIGN'}.md`];
    const textFiles = trackedFiles().filter((path) =>
      /\.(ts|mts|mjs|js|md|json|ya?ml|graphql|sh)$|^\.ci\//.test(path),
    );
    const hits = textFiles.filter((path) => outside.some((needle) => text(path).includes(needle)));
    expect(hits).toEqual([]);
  });
});
