import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const agentDir = fileURLToPath(new URL('..', import.meta.url));
const rootVersion = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
const node = (args: string[]) =>
  spawnSync(process.execPath, args, { cwd: agentDir, encoding: 'utf8', timeout: 60_000 });

describe('the bundle (npm run build -w @metrics-collector/agent)', () => {
  it('builds, and runs with plain node: --help lists every flag, --version, a bad value or unknown flag exits 2', () => {
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
    // Usage errors exit 2 like bad values: an unknown flag, an argument.
    for (const args of [['--bogus'], ['extra']]) {
      const refused = node(['dist/metrics-agent.js', ...args]);
      expect(refused.status, args.join(' ')).toBe(2);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    }
    const bad = node(['bin/metrics-agent.js', '--sampling-interval', 'soon']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--sampling-interval: "soon" is not a duration');
  });
});
