import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const agentDir = fileURLToPath(new URL('..', import.meta.url));
const rootVersion = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
const node = (args: string[]) =>
  spawnSync(process.execPath, args, { cwd: agentDir, encoding: 'utf8', timeout: 60_000 });

describe('the bundle (npm run build -w @metrics-collector/agent)', () => {
  it('builds, and runs with plain node: --help lists every flag, a bad value exits 2 naming it', () => {
    const built = node(['build.mjs']);
    expect(built.status, built.stderr).toBe(0);
    expect(existsSync(`${agentDir}dist/metrics-agent.js`)).toBe(true);
    const help = node(['dist/metrics-agent.js', '--help']);
    expect(help.status).toBe(0);
    for (const flag of [
      '--server',
      '--token',
      '--client-id',
      '--sampling-interval',
      '--report-interval',
      '--spool-dir',
    ])
      expect(help.stdout).toContain(flag);
    // The version is the root package.json's, carried inside the bundle.
    const version = node(['dist/metrics-agent.js', '--version']);
    expect(version.status).toBe(0);
    expect(version.stdout).toBe(`${rootVersion}\n`);
    const bad = node(['bin/metrics-agent.js', '--sampling-interval', 'soon']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--sampling-interval: "soon" is not a duration');
  });
});
