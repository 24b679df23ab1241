import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// graphql ships both ESM and CommonJS builds; Pothos and yoga must see the same one, or graphql's
// instanceof checks fail ("Cannot use GraphQLEnumType from another module or realm").
const graphql = createRequire(import.meta.url).resolve('graphql');

export default defineConfig({
  resolve: {
    alias: {
      graphql,
      // Inside the repository the SDK resolves to its sources (as in tsconfig.json's paths).
      '@metrics-collector/sdk/node': fileURLToPath(new URL('./sdk/src/node.ts', import.meta.url)),
      '@metrics-collector/sdk': fileURLToPath(new URL('./sdk/src/index.ts', import.meta.url)),
    },
  },
  test: {
    projects: [
      { extends: true, test: { name: 'common', root: './common', include: ['test/**/*.test.ts'] } },
      // The repository's shape: file lengths, import cycles, references outside it.
      { extends: true, test: { name: 'repo', root: './testing', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'schema', root: './schema', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'agent',
          root: './agent',
          include: ['test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'server',
          root: './server',
          include: ['test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'sdk',
          root: './sdk',
          include: ['test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          // The web console in Debian's Chromium against servers started as `npm start` starts them.
          name: 'console',
          root: './console',
          include: ['test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          // Runs each example as a child process against a real server.
          name: 'examples',
          root: './examples',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
