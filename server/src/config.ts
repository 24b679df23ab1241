import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseDuration } from '@metrics-collector/schema/duration';
import * as z from 'zod';
import { type ApiToken, checkTokens, type TokenSource } from './auth.js';
import type { QueryBudget } from './graphql/use-query-limits.js';
import type { InfluxAddress } from './metrics/influx/connection.js';

/** Thrown by `loadConfig` with every problem found, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const duration = (name: string) =>
  z.string().transform((text, ctx) => {
    try {
      return parseDuration(text, name);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

/** The environment variables, their checks and defaults (`--help` reads them from here too). */
export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8888),
  HOST: z.string().min(1).default('127.0.0.1'),
  STORE: z.enum(['sqlite', 'influxdb']).default('sqlite'),
  DATA_DIR: z.string().min(1).default('./data'),
  RETENTION: z
    .string()
    .default('30d')
    .pipe(
      z.union([z.literal('off'), duration('RETENTION')], {
        error: () => 'write "off" or a duration such as 30d',
      }),
    ),
  INFLUX_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .default('http://127.0.0.1:8086'),
  INFLUX_API: z.enum(['v2', 'v1']).default('v2'),
  INFLUX_GZIP: z.enum(['auto', 'on', 'off']).default('auto'),
  INFLUX_TOKEN: z.string().optional(),
  INFLUX_ORG: z.string().optional(),
  INFLUX_BUCKET: z.string().default('metrics'),
  INFLUX_DATABASE: z.string().optional(),
  INFLUX_RETENTION_POLICY: z.string().optional(),
  INFLUX_USERNAME: z.string().optional(),
  INFLUX_PASSWORD: z.string().optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  ALLOW_SINGLE_PROCESS_STATE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  API_TOKENS: z.string().optional(),
  API_TOKENS_FILE: z.string().optional(),
  AUTH: z.enum(['on', 'off']).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  BODY_LIMIT: z.coerce.number().int().min(1024).default(1_048_576),
  GRAPHIQL: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(2).default(15),
  MAX_QUERY_COMPLEXITY: z.coerce.number().int().min(10).default(1_000),
  MAX_QUERY_TOKENS: z.coerce.number().int().min(200).default(5_000),
  MAX_QUERY_ALIASES: z.coerce.number().int().min(0).default(50),
  MAX_QUERY_DIRECTIVES: z.coerce.number().int().min(0).default(50),
  MAX_QUERY_COST: z.coerce.number().int().min(100).default(32_000),
  MAX_RESPONSE_BYTES: z.coerce.number().int().min(65_536).default(16_777_216),
  INTROSPECTION: z.enum(['scoped', 'on']).default('scoped'),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((text, ctx) => {
      const origins = text
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean);
      for (const origin of origins) {
        if (!isOrigin(origin)) {
          ctx.addIssue({
            code: 'custom',
            message: `${JSON.stringify(origin)} is not an origin; write scheme://host[:port], such as https://console.example.com`,
          });
        }
      }
      return origins;
    }),
  ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((text) =>
      text
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
    ),
  MAX_CONNECTIONS: z.coerce.number().int().min(16).optional(),
});

/**
 * Every environment variable `loadConfig` reads, in schema order. The docs tests hold the README's
 * configuration table and `.env.example` to this list.
 */
export const configVariables = Object.keys(envSchema.shape) as ConfigVariable[];
export type ConfigVariable = keyof typeof envSchema.shape;

/** Where the InfluxDB store writes and reads (`STORE=influxdb`). */
export interface InfluxConfig extends InfluxAddress {
  /** Gzip write bodies: `INFLUX_GZIP`, where `auto` means on unless InfluxDB is on loopback. */
  gzip: boolean;
}

/** The server's configuration, parsed once from the environment by `loadConfig`. */
export interface Config {
  port: number;
  host: string;
  store: 'sqlite' | 'influxdb';
  /** Set exactly when `store` is `influxdb`. */
  influx: InfluxConfig | null;
  /** Folder of state.db, and of metrics.db with the embedded store. */
  dataDir: string;
  /** Live events go through Redis when set, so that replicas share them. */
  redisUrl: string | null;
  /** PostgreSQL for the state replicas share (registry, alerts, commands, leases); `null`: SQLite files. */
  databaseUrl: string | null;
  /** Windows older than this behind the newest stored window are deleted; `null` keeps everything. */
  retention: number | null;
  /** Empty when auth is off. */
  tokens: ApiToken[];
  authEnabled: boolean;
  /** Whether `AUTH=off` switched auth off explicitly (rather than no token being configured). */
  authSwitchedOff: boolean;
  logLevel: string;
  /** `auto`: pretty when stdout is a terminal, JSON otherwise (`createLogger` decides). */
  logFormat: 'auto' | 'json' | 'pretty';
  bodyLimit: number;
  graphiql: boolean;
  /** Whether alert webhooks may point at loopback, private and other non-public addresses. */
  webhookAllowPrivate: boolean;
  /** What one GraphQL operation may cost a caller with a valid token (or anyone, with auth off). */
  queryLimits: QueryBudget;
  /** Largest GraphQL answer, bytes, over HTTP and WebSocket. */
  maxResponseBytes: number;
  /** `scoped`: introspection needs scope `read`; `on`: anyone may introspect. */
  introspection: 'scoped' | 'on';
  /** Origins (`https://console.example.com`) whose pages may call the API; none by default. */
  corsOrigins: string[];
  /** Host names served with auth off besides loopback names and `host` (a proxy's public name). */
  allowedHosts: string[];
  /** Open connections (HTTP and WebSocket) at most; beyond it idle ones are closed first. */
  maxConnections: number;
}

const LOOPBACK_NAMES = new Set(['localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
}

/** `scheme://host[:port]` and nothing more, as browsers send it in `Origin`. */
function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
  } catch {
    return false;
  }
}

/** File descriptors kept free for the stores, logs and outgoing connections when the cap is derived. */
const RESERVED_FILES = 1_024;

/**
 * `MAX_CONNECTIONS` unset: the process's open-file limit (from `/proc/self/limits`) less
 * `RESERVED_FILES`, so that connections alone can never exhaust it; 4096 where the limit cannot be read.
 */
export function defaultMaxConnections(limitsFile = '/proc/self/limits'): number {
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    if (Number.isSafeInteger(soft) && soft > RESERVED_FILES + 64) return soft - RESERVED_FILES;
  } catch {
    // Not Linux, or /proc is not mounted.
  }
  return 4_096;
}

/**
 * `REDIS_URL` means replicas: each must see what the others stored, so the state must be in PostgreSQL
 * and the metrics in InfluxDB, not in files of this process's `DATA_DIR` — unless
 * `ALLOW_SINGLE_PROCESS_STATE=true` says that one server uses Redis alone.
 */
function replicaProblems(env: Record<string, string>): string[] {
  if (env.REDIS_URL === undefined || env.ALLOW_SINGLE_PROCESS_STATE === 'true') return [];
  const missing = [
    ...(env.DATABASE_URL === undefined ? ['DATABASE_URL (PostgreSQL, for the shared state)'] : []),
    ...(env.STORE !== 'influxdb' ? ['STORE=influxdb (a metric store every replica reads)'] : []),
  ];
  return missing.length === 0
    ? []
    : [
        `REDIS_URL: replicas need shared state, but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set; set ${missing.length > 1 ? 'them' : 'it'}, or ALLOW_SINGLE_PROCESS_STATE=true to run one server with Redis`,
      ];
}

/**
 * Validates the environment and returns the configuration. Reports every problem at once as a
 * `ConfigError`. Only `main.ts` passes `process.env`.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned: Record<string, string> = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
  const parsed = envSchema.safeParse(cleaned);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  // Tokens and the address are checked from the raw values even when other variables are invalid, so that
  // one start reports every problem.
  const sources: TokenSource[] = [{ source: 'API_TOKENS', text: cleaned.API_TOKENS ?? '' }];
  const tokenFile = cleaned.API_TOKENS_FILE;
  if (tokenFile) {
    try {
      sources.push({ source: tokenFile, text: readFileSync(tokenFile, 'utf8') });
    } catch (error) {
      problems.push(`API_TOKENS_FILE: cannot read ${tokenFile} (${(error as Error).message})`);
    }
  }
  const checked = checkTokens(sources);
  problems.push(...checked.problems);
  const { tokens } = checked;
  const auth = cleaned.AUTH;
  const host = cleaned.HOST ?? '127.0.0.1';
  const authEnabled = auth === 'off' ? false : tokens.length > 0;
  // With malformed entries the problem is those entries, not a missing token.
  const tokensMissing = tokens.length === 0 && checked.problems.length === 0;
  if (auth === 'on' && tokensMissing) {
    problems.push('AUTH: is "on" but no token is configured in API_TOKENS or API_TOKENS_FILE');
  }
  if (auth !== 'off' && tokensMissing && !isLoopback(host)) {
    problems.push(
      `HOST: ${host} is not a loopback address and no API token is configured; set API_TOKENS, or AUTH=off to serve without auth`,
    );
  }
  const api = cleaned.INFLUX_API ?? 'v2';
  const onlyFor = { v1: ['INFLUX_USERNAME', 'INFLUX_PASSWORD'], v2: ['INFLUX_TOKEN', 'INFLUX_ORG'] } as const;
  for (const [other, names] of Object.entries(onlyFor)) {
    if (other === api) continue;
    for (const name of names) {
      if (cleaned[name] !== undefined) problems.push(`${name}: only applies with INFLUX_API=${other}`);
    }
  }
  if (cleaned.INFLUX_PASSWORD !== undefined && cleaned.INFLUX_USERNAME === undefined) {
    problems.push('INFLUX_PASSWORD: is set but INFLUX_USERNAME is not');
  }
  problems.push(...replicaProblems(cleaned));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const influx: InfluxConfig | null =
    e.STORE !== 'influxdb'
      ? null
      : {
          url: e.INFLUX_URL,
          api: e.INFLUX_API,
          token: e.INFLUX_TOKEN,
          org: e.INFLUX_ORG,
          bucket: e.INFLUX_API === 'v2' ? e.INFLUX_BUCKET : undefined,
          database: e.INFLUX_DATABASE ?? (e.INFLUX_API === 'v2' ? e.INFLUX_BUCKET : 'metrics'),
          retentionPolicy: e.INFLUX_RETENTION_POLICY,
          username: e.INFLUX_USERNAME,
          password: e.INFLUX_PASSWORD,
          gzip:
            e.INFLUX_GZIP === 'auto' ? !isLoopback(new URL(e.INFLUX_URL).hostname) : e.INFLUX_GZIP === 'on',
        };
  return {
    port: e.PORT,
    host: e.HOST,
    store: e.STORE,
    influx,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL ?? null,
    databaseUrl: e.DATABASE_URL ?? null,
    retention: e.RETENTION === 'off' ? null : e.RETENTION,
    tokens: authEnabled ? tokens : [],
    authEnabled,
    authSwitchedOff: auth === 'off',
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    bodyLimit: e.BODY_LIMIT,
    graphiql: e.GRAPHIQL,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
    queryLimits: {
      maxTokens: e.MAX_QUERY_TOKENS,
      maxDepth: e.MAX_QUERY_DEPTH,
      maxFields: e.MAX_QUERY_COMPLEXITY,
      maxAliases: e.MAX_QUERY_ALIASES,
      maxDirectives: e.MAX_QUERY_DIRECTIVES,
      maxCost: e.MAX_QUERY_COST,
    },
    maxResponseBytes: e.MAX_RESPONSE_BYTES,
    introspection: e.INTROSPECTION,
    corsOrigins: e.CORS_ORIGINS,
    allowedHosts: e.ALLOWED_HOSTS,
    maxConnections: e.MAX_CONNECTIONS ?? defaultMaxConnections(),
  };
}
