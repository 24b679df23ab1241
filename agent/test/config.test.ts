import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AgentConfigError, agentConfig, agentSettings, parseAgentArgs, parseBytes } from '../src/config.js';

const argv = (...args: string[]) => ['node', 'metrics-agent', ...args];

describe('the agent configuration', () => {
  it('has defaults for everything', () => {
    const config = parseAgentArgs(argv(), { HOME: '/home/u' });
    expect(config).toEqual({
      serverUrls: ['http://127.0.0.1:8888/graphql'],
      token: undefined,
      clientId: undefined,
      samplingIntervalMs: 1_000,
      reportIntervalMs: 10_000,
      collectors: ['cpu', 'memory', 'load', 'network', 'disk'],
      spoolDir: expect.stringMatching(/\/\.local\/state\/metrics-agent$/),
      spoolMaxBytes: 100 * 1024 * 1024,
      spoolMaxAgeMs: 7 * 86_400_000,
      shutdownTimeoutMs: 5_000,
      retryMaxMs: 30_000,
      logLevel: 'info',
      explicit: new Set(),
    });
    expect(parseAgentArgs(argv(), { XDG_STATE_HOME: '/state' }).spoolDir).toBe('/state/metrics-agent');
  });

  it('takes several servers, comma-separated, in order and without repeats; refuses a bad one by name', () => {
    const config = parseAgentArgs(
      argv('--server', 'http://a:8888/graphql, http://b:8888/graphql,http://a:8888/graphql'),
      {},
    );
    expect(config.serverUrls).toEqual(['http://a:8888/graphql', 'http://b:8888/graphql']);
    expect(() => parseAgentArgs(argv('--server', 'http://a:8888/graphql,ftp://b'), {})).toThrow(
      /--server.*ftp:\/\/b/s,
    );
    expect(() => parseAgentArgs(argv(), { AGENT_SERVER_URL: ' , ' })).toThrow(
      /AGENT_SERVER_URL.*at least one URL/s,
    );
  });

  it("reproduces the original's cadence with flags, and a flag wins over its variable", () => {
    const config = parseAgentArgs(
      argv(
        '--sampling-interval',
        '50ms',
        '--report-interval',
        '5s',
        '--collectors',
        'cpu,load',
        '--server',
        'https://m.example/graphql',
      ),
      { AGENT_SAMPLING_INTERVAL: '2s', AGENT_CLIENT_ID: 'web-1', AGENT_SPOOL_MAX_BYTES: '1GiB' },
    );
    expect(config).toMatchObject({
      samplingIntervalMs: 50,
      reportIntervalMs: 5_000,
      collectors: ['cpu', 'load'],
      serverUrls: ['https://m.example/graphql'],
      clientId: 'web-1',
      spoolMaxBytes: 1024 ** 3,
      explicit: new Set([
        'serverUrls',
        'clientId',
        'samplingIntervalMs',
        'reportIntervalMs',
        'collectors',
        'spoolMaxBytes',
      ]),
    });
  });

  it('names every bad value by its flag or variable', () => {
    let problems: string[] = [];
    try {
      agentConfig(
        { samplingInterval: '5 minutes', collectors: 'cpu,gpu' },
        { AGENT_SERVER_URL: 'ftp://x', AGENT_LOG_LEVEL: 'loud', AGENT_SPOOL_MAX_BYTES: '0' },
      );
    } catch (error) {
      expect(error).toBeInstanceOf(AgentConfigError);
      problems = (error as AgentConfigError).problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^AGENT_SERVER_URL: .*http:\/\/ or https:\/\//),
      expect.stringMatching(/^--sampling-interval: "5 minutes" is not a duration/),
      expect.stringMatching(/^--collectors: .*choose from cpu, memory, load, network, disk/),
      expect.stringMatching(/^AGENT_SPOOL_MAX_BYTES: /),
      expect.stringMatching(/^AGENT_LOG_LEVEL: /),
    ]);
    expect(() => agentConfig({ samplingInterval: '20ms' }, {})).toThrow(/outside 50\.\.3600000 ms/);
    expect(() => agentConfig({ samplingInterval: '20s' }, {})).toThrow(/longer than the report interval/);
  });

  it('reads sizes', () => {
    expect([parseBytes('1048576'), parseBytes('512KiB'), parseBytes('100MiB')]).toEqual([
      1048576, 524288, 104857600,
    ]);
    expect(() => parseBytes('1.5GB')).toThrow(/not a size/);
  });

  it('is documented in the README, variable by variable', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const s of agentSettings) {
      expect(readme, s.env).toContain(`\`${s.env}\``);
      expect(readme, s.flag).toContain(`\`${s.flag.split(' ')[0]}\``);
    }
    expect(readme).toContain('`LOCAL_AGENT`');
  });
});
