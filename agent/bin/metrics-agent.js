#!/usr/bin/env node
// `metrics-agent`: runs the TypeScript sources through tsx (the agent is not compiled ahead of time).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
