#!/usr/bin/env node
// `metrics-agent`: runs the bundle that `npm run build -w @metrics-collector/agent` writes (plain node,
// the least memory) when there is one, else the TypeScript sources through tsx.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/metrics-agent.js', import.meta.url);
if (existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
