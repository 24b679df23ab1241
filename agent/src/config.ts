import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDurationMs } from '@metrics-collector/common/duration';
import { version } from '@metrics-collector/common/version';
import { Command, InvalidArgumentError, Option } from 'commander';
import { type CollectorName, collectorNames } from './collectors/index.js';
import { intervalProblem } from './intervals.js';
import { type LogLevel, logLevels } from './log.js';

/** Everything the agent is configured with; `parseAgentArgs` builds it from flags and `AGENT_*` variables. */
export interface AgentConfig {
  /** The server's GraphQL endpoints: one, or several replicas tried in turn (failover.ts). */
  serverUrls: string[];
  token: string | undefined;
  /** `undefined`: the MAC address of the first non-internal interface. */
  clientId: string | undefined;
  samplingIntervalMs: number;
  reportIntervalMs: number;
  collectors: CollectorName[];
  spoolDir: string;
  spoolMaxBytes: number;
  spoolMaxAgeMs: number;
  shutdownTimeoutMs: number;
  /** Longest wait between attempts to send after failures (the backoff doubles from 1 s up to it). */
  retryMaxMs: number;
  logLevel: LogLevel;
  /** Where to serve the agent's own numbers for Prometheus (`GET /metrics`); `undefined`: nowhere. */
  metricsListen: ListenAddress | undefined;
  /** The settings given by a flag or a variable (the others are defaults). */
  explicit: ReadonlySet<keyof AgentConfig>;
}

/** A host and port to listen on. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:9101`, `[::1]:9101`, `0.0.0.0:9101` → host and port (0: one the system picks). */
export function parseListen(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65_535) {
    throw new InvalidArgumentError(`"${text}" is not a host:port such as 127.0.0.1:9101`);
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

/** Thrown with every problem of the configuration, each naming its flag and variable. */
export class AgentConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid agent configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'AgentConfigError';
  }
}

/**
 * `500ms`, `1s`, `15m`, `1h`, `7d`, `2w`, `1h30m` → milliseconds: the server's duration grammar
 * (`@metrics-collector/common/duration`), around which spaces are ignored. Each setting bounds it itself.
 */
export function parseDuration(text: string): number {
  const ms = parseDurationMs(text.trim());
  if (ms === undefined)
    throw new InvalidArgumentError(`"${text}" is not a duration such as 500ms, 10s, 15m, 1h or 7d`);
  return ms;
}

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** `1048576`, `512KiB`, `100MiB`, `1GiB` → bytes. */
export function parseBytes(text: string): number {
  const match = /^(\d+)\s*(B|KiB|MiB|GiB)?$/.exec(text.trim());
  if (!match || Number(match[1]) <= 0)
    throw new InvalidArgumentError(`"${text}" is not a size such as 104857600, 512KiB, 100MiB or 1GiB`);
  return Number(match[1]) * (SIZE_UNITS[match[2] ?? ''] as number);
}

function parseCollectors(text: string): CollectorName[] {
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(collectorNames as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new InvalidArgumentError(`"${text}": choose from ${collectorNames.join(', ')} (comma-separated)`);
  }
  return [...new Set(names)] as CollectorName[];
}

function parseLogLevel(text: string): LogLevel {
  if (!(logLevels as readonly string[]).includes(text))
    throw new InvalidArgumentError(`"${text}": choose from ${logLevels.join(', ')}`);
  return text as LogLevel;
}

function parseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`"${text}" is not a URL such as http://127.0.0.1:8888/graphql`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError(`"${text}" must be an http:// or https:// URL`);
  return text;
}

/** `http://a/graphql,http://b/graphql` → the URLs, each checked, in order, without repeats. */
function parseUrls(text: string): string[] {
  const urls = text
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (urls.length === 0)
    throw new InvalidArgumentError('give at least one URL such as http://127.0.0.1:8888/graphql');
  return [...new Set(urls.map(parseUrl))];
}

/** The default spool folder: `$XDG_STATE_HOME/metrics-agent`, else `~/.local/state/metrics-agent`. */
export function defaultSpoolDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'metrics-agent');
}

interface Setting<K extends keyof AgentConfig> {
  key: K;
  flag: string;
  env: string;
  description: string;
  parse: (text: string) => AgentConfig[K];
  default: (env: NodeJS.ProcessEnv) => AgentConfig[K];
  /** How the default reads in `--help` and the README. */
  shown: string;
}

const setting = <K extends keyof AgentConfig>(s: Setting<K>) => s;

/** Every setting: its flag, its variable, its default. The README's agent table is held to this list. */
export const agentSettings = [
  setting({
    key: 'serverUrls',
    flag: '--server <urls>',
    env: 'AGENT_SERVER_URL',
    description:
      "the server's GraphQL endpoint; several, comma-separated, are replicas: on failure the agent moves to the next",
    parse: parseUrls,
    default: () => ['http://127.0.0.1:8888/graphql'],
    shown: 'http://127.0.0.1:8888/graphql',
  }),
  setting({
    key: 'token',
    flag: '--token <token>',
    env: 'AGENT_TOKEN',
    description: 'API token with scope ingest (needed when the server has auth on)',
    parse: (t) => t,
    default: () => undefined,
    shown: 'none',
  }),
  setting({
    key: 'clientId',
    flag: '--client-id <id>',
    env: 'AGENT_CLIENT_ID',
    description: 'client id of this host',
    parse: (t) => t,
    default: () => undefined,
    shown: 'MAC address of the first non-internal interface',
  }),
  setting({
    key: 'samplingIntervalMs',
    flag: '--sampling-interval <duration>',
    env: 'AGENT_SAMPLING_INTERVAL',
    description: 'time between samples, at least 50ms',
    parse: parseDuration,
    default: () => 1_000,
    shown: '1s',
  }),
  setting({
    key: 'reportIntervalMs',
    flag: '--report-interval <duration>',
    env: 'AGENT_REPORT_INTERVAL',
    description: 'window length: one report per window, at least 1s',
    parse: parseDuration,
    default: () => 10_000,
    shown: '10s',
  }),
  setting({
    key: 'collectors',
    flag: '--collectors <list>',
    env: 'AGENT_COLLECTORS',
    description: `collectors to run, comma-separated: ${collectorNames.join(', ')}`,
    parse: parseCollectors,
    default: () => [...collectorNames],
    shown: collectorNames.join(','),
  }),
  setting({
    key: 'spoolDir',
    flag: '--spool-dir <dir>',
    env: 'AGENT_SPOOL_DIR',
    description: 'folder of the spool of windows not yet acknowledged',
    parse: (t) => t,
    default: defaultSpoolDir,
    shown: '$XDG_STATE_HOME/metrics-agent or ~/.local/state/metrics-agent',
  }),
  setting({
    key: 'spoolMaxBytes',
    flag: '--spool-max-bytes <size>',
    env: 'AGENT_SPOOL_MAX_BYTES',
    description: 'most bytes the spool keeps; the oldest windows are dropped beyond it',
    parse: parseBytes,
    default: () => 100 * 1024 ** 2,
    shown: '100MiB',
  }),
  setting({
    key: 'spoolMaxAgeMs',
    flag: '--spool-max-age <duration>',
    env: 'AGENT_SPOOL_MAX_AGE',
    description: 'windows older than this are dropped from the spool',
    parse: parseDuration,
    default: () => 7 * 86_400_000,
    shown: '7d',
  }),
  setting({
    key: 'shutdownTimeoutMs',
    flag: '--shutdown-timeout <duration>',
    env: 'AGENT_SHUTDOWN_TIMEOUT',
    description: 'on SIGINT/SIGTERM, how long to try sending what is spooled before exiting',
    parse: parseDuration,
    default: () => 5_000,
    shown: '5s',
  }),
  setting({
    key: 'retryMaxMs',
    flag: '--retry-max <duration>',
    env: 'AGENT_RETRY_MAX',
    description: 'longest wait between attempts to send after failures (doubling from 1s, with jitter)',
    parse: parseDuration,
    default: () => 30_000,
    shown: '30s',
  }),
  setting({
    key: 'logLevel',
    flag: '--log-level <level>',
    env: 'AGENT_LOG_LEVEL',
    description: `one of ${logLevels.join(', ')}`,
    parse: parseLogLevel,
    default: () => 'info' as LogLevel,
    shown: 'info',
  }),
  setting({
    key: 'metricsListen',
    flag: '--metrics-listen <host:port>',
    env: 'AGENT_METRICS_LISTEN',
    description: "serve the agent's own numbers for Prometheus at http://<host:port>/metrics",
    parse: parseListen,
    default: () => undefined,
    shown: 'off',
  }),
];

/** The `metrics-agent` command line: flags, each with its variable; a flag wins over its variable. */
export function agentCommand(): Command {
  const command = new Command('metrics-agent')
    .description(
      'Samples this host, aggregates each window (count, mean, variance, min, max) and reports it to a metrics-collector server.\n' +
        "The original agent's cadence (50 ms × 100 samples) is --sampling-interval 50ms --report-interval 5s.",
    )
    .version(version, '-V, --version', 'print the version and exit')
    .allowExcessArguments(false)
    // A usage error (an unknown flag, an argument) exits 2, as a bad value does; --help and --version 0.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  for (const s of agentSettings) {
    command.addOption(new Option(s.flag, `${s.description} (env ${s.env}; default ${s.shown})`));
  }
  return command;
}

/** Builds the configuration from parsed flags and the environment; throws `AgentConfigError` naming each bad value. */
export function agentConfig(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv): AgentConfig {
  const problems: string[] = [];
  const config: Partial<Record<keyof AgentConfig, unknown>> = {};
  const explicit = new Set<keyof AgentConfig>();
  for (const s of agentSettings) {
    const name = s.flag.split(' ')[0] as string;
    const attribute = name.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const fromFlag = flags[attribute];
    const text = fromFlag ?? (env[s.env] === '' ? undefined : env[s.env]);
    if (text === undefined) {
      config[s.key] = s.default(env);
      continue;
    }
    explicit.add(s.key);
    try {
      config[s.key] = s.parse(text);
    } catch (error) {
      problems.push(`${fromFlag === undefined ? s.env : name}: ${(error as Error).message}`);
    }
  }
  const result = { ...config, explicit } as AgentConfig;
  if (problems.length === 0) {
    const problem = intervalProblem(result.samplingIntervalMs, result.reportIntervalMs);
    if (problem) problems.push(`--sampling-interval/--report-interval: ${problem}`);
  }
  if (problems.length > 0) throw new AgentConfigError(problems);
  return result;
}

/** Parses `argv` (as `process.argv`) and the environment. */
export function parseAgentArgs(argv: readonly string[], env: NodeJS.ProcessEnv): AgentConfig {
  const command = agentCommand();
  command.parse(argv);
  return agentConfig(command.opts<Record<string, string | undefined>>(), env);
}
