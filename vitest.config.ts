import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'schema', root: './schema', include: ['test/**/*.test.ts'] } },
      {
        test: {
          name: 'server',
          root: './server',
          include: ['test/**/*.test.ts'],
          // Each file starts its own servers on free ports; keep the two cores for them.
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
