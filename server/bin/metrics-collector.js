#!/usr/bin/env node
// `metrics-collector` (`npx metrics-collector` after `npm install`): the server alone, as server/src/main.ts.
// Runs dist/main.js when it was built from the sources as they are now (scripts/build.mjs, one stat per
// source), else the TypeScript sources through tsx; it never builds, so `--help` answers at once.
import { isFresh } from '../../scripts/build.mjs';

if (isFresh()) {
  await import('../../dist/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
