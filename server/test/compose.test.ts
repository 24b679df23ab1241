import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { hasBinary } from '../../testing/real-servers.js';
import { START_FLAGS } from '../../testing/start-flags.js';
import { loadConfig } from '../src/config.js';

/**
 * docker-compose.yml and the Dockerfiles, checked without a Docker engine: `docker-compose config`
 * (Debian's docker-compose 1.29) validates and resolves the compose file (grafana-provisioning.test.ts
 * checks the Grafana files, load-balancer.test.ts runs deploy/nginx.conf).
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

const dockerCompose = { name: 'docker-compose', debianPackage: 'docker-compose' };
const composeInstalled = hasBinary(dockerCompose);
if (!composeInstalled) {
  console.warn(
    `compose.test.ts: skipping the docker-compose checks, ${dockerCompose.name} is not installed (Debian package ${dockerCompose.debianPackage})`,
  );
}

/** An empty env file, read instead of a developer's `.env`. */
const envDir = mkdtempSync(join(tmpdir(), 'mc-compose-'));
const emptyEnvFile = join(envDir, 'empty.env');
writeFileSync(emptyEnvFile, '');
afterAll(() => rmSync(envDir, { recursive: true, force: true }));

/**
 * Runs docker-compose on the repository's compose file with only `env` (no `.env` file, none of this
 * process's variables), so that the checks see what `docker compose up` does on a fresh clone.
 */
function compose(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(
    'docker-compose',
    ['--env-file', emptyEnvFile, '--file', `${root}docker-compose.yml`, ...args],
    {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      timeout: 20_000,
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, error: result.error };
}

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  ports?: (string | { host_ip?: string; published?: number | string; target?: number })[];
  volumes?: (string | { source?: string; target?: string; read_only?: boolean })[];
  healthcheck?: { test?: string[] | string };
  depends_on?: Record<string, { condition?: string }> | string[];
}

type Resolved = { services: Record<string, Service> };
const REPLICAS = ['server-1', 'server-2'];
let defaults: Resolved | undefined;

/** `docker-compose config`, parsed; with no variables set, run once. */
function resolvedConfig(env?: Record<string, string>): Resolved {
  if (!env && defaults) return defaults;
  const { status, stdout, stderr, error } = compose(['config'], env);
  expect(error).toBeUndefined();
  expect(status, stderr).toBe(0);
  const resolved: Resolved = parse(stdout);
  if (!env) defaults = resolved;
  return resolved;
}

const serviceOf = (config: { services: Record<string, Service> }, name: string) => {
  const service = config.services[name];
  if (!service) throw new Error(`no service ${name} in docker-compose.yml`);
  return service;
};

describe.skipIf(!composeInstalled)('docker-compose.yml, resolved by docker-compose config', () => {
  it('is valid for docker-compose 1.29 (config -q exits 0)', () => {
    const { status, stderr, error } = compose(['config', '-q']);
    expect(error).toBeUndefined();
    expect(status, stderr).toBe(0);
  });

  it('has two server replicas on InfluxDB, PostgreSQL and Redis behind a load balancer, with Grafana, Prometheus and an agent', () => {
    const config = resolvedConfig();
    expect(Object.keys(config.services).sort()).toEqual([
      'agent',
      'grafana',
      'influxdb',
      'lb',
      'postgres',
      'prometheus',
      'redis',
      'server-1',
      'server-2',
    ]);
    expect(serviceOf(config, 'influxdb').image).toBe('influxdb:2.7');
    expect(serviceOf(config, 'grafana').image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    expect(serviceOf(config, 'postgres').image).toMatch(/^postgres:16\.\d+-bookworm$/);
    expect(serviceOf(config, 'redis').image).toMatch(/^redis:7\.\d+-bookworm$/);
    for (const name of REPLICAS) {
      const server = serviceOf(config, name);
      expect(server.build, name).toBeDefined();
      expect(server.environment, name).toMatchObject({
        STORE: 'influxdb',
        INFLUX_URL: 'http://influxdb:8086',
        INFLUX_API: 'v2',
        REDIS_URL: 'redis://redis:6379',
        HOST: '0.0.0.0',
        PORT: '8888',
      });
    }
    // The replicas are one service twice: nothing tells them apart but their name.
    expect(serviceOf(config, 'server-2')).toEqual(serviceOf(config, 'server-1'));
  });

  it('balances over both replicas with deploy/nginx.conf, once both are healthy', () => {
    const lb = serviceOf(resolvedConfig(), 'lb');
    expect(lb.image).toMatch(/^nginx:\d+\.\d+-alpine$/);
    expect(lb.volumes).toEqual([`${root}deploy/nginx.conf:/etc/nginx/nginx.conf:ro`]);
    expect(lb.depends_on).toEqual({
      'server-1': { condition: 'service_healthy' },
      'server-2': { condition: 'service_healthy' },
    });
    const conf = read('deploy/nginx.conf');
    for (const name of REPLICAS) expect(conf).toContain(`server ${name}:8888`);
    expect(conf).toContain('listen 8888;');
  });

  it("gives the replicas PostgreSQL's database, user and password", () => {
    const config = resolvedConfig({ POSTGRES_PASSWORD: 'pg-password-from-env' });
    expect(serviceOf(config, 'postgres').environment).toEqual({
      POSTGRES_USER: 'metrics',
      POSTGRES_PASSWORD: 'pg-password-from-env',
      POSTGRES_DB: 'metrics',
    });
    for (const name of REPLICAS) {
      expect(serviceOf(config, name).environment?.DATABASE_URL).toBe(
        'postgres://metrics:pg-password-from-env@postgres:5432/metrics',
      );
    }
    const fallback = serviceOf(resolvedConfig(), 'postgres').environment?.POSTGRES_PASSWORD ?? '';
    // The password goes into the URL unescaped.
    expect(fallback).toMatch(/^[\w.~-]{8,}$/);
  });

  it('publishes every port on 127.0.0.1 only', () => {
    const config = resolvedConfig();
    const ports = Object.entries(config.services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => ({ name, port })),
    );
    expect(ports.map((p) => p.name).sort()).toEqual(['grafana', 'influxdb', 'lb', 'prometheus']);
    for (const { name, port } of ports) {
      const hostIp = typeof port === 'string' ? port.split(':')[0] : port.host_ip;
      expect({ name, port, hostIp }).toEqual({ name, port, hostIp: '127.0.0.1' });
    }
  });

  it("runs the agent in the host's namespaces, reporting through the load balancer with the ingest token once it is healthy", () => {
    const config = resolvedConfig({ METRICS_AGENT_TOKEN: 'agent-secret-from-env-0123' });
    const agent = serviceOf(config, 'agent') as Service & { network_mode?: string; pid?: string };
    expect(agent.build).toMatchObject({ dockerfile: 'agent/Dockerfile' });
    expect([agent.network_mode, agent.pid]).toEqual(['host', 'host']);
    expect(agent.environment).toEqual({
      AGENT_SERVER_URL: 'http://127.0.0.1:8888/graphql',
      AGENT_TOKEN: 'agent-secret-from-env-0123',
    });
    // The host network reaches the load balancer where it is published: on the host's loopback, port 8888.
    expect(serviceOf(config, 'lb').ports).toEqual(['127.0.0.1:8888:8888/tcp']);
    for (const name of REPLICAS) {
      expect(serviceOf(config, name).environment?.API_TOKENS).toContain(
        'agent:ingest:agent-secret-from-env-0123',
      );
    }
    expect(agent.depends_on).toEqual({ lb: expect.objectContaining({ condition: 'service_healthy' }) });
    expect(agent.volumes).toEqual(['agent-spool:/spool:rw']);
  });

  it('sets InfluxDB up with an infinite retention, and hands its org, bucket and token to the others', () => {
    const config = resolvedConfig();
    const init = serviceOf(config, 'influxdb').environment ?? {};
    expect(init).toMatchObject({
      DOCKER_INFLUXDB_INIT_MODE: 'setup',
      DOCKER_INFLUXDB_INIT_ORG: 'metrics-collector',
      DOCKER_INFLUXDB_INIT_BUCKET: 'metrics',
    });
    for (const name of ['USERNAME', 'PASSWORD', 'ADMIN_TOKEN']) {
      expect(init[`DOCKER_INFLUXDB_INIT_${name}`], name).toBeTruthy();
    }
    // InfluxDB refuses passwords shorter than 8 characters.
    expect((init.DOCKER_INFLUXDB_INIT_PASSWORD ?? '').length).toBeGreaterThanOrEqual(8);
    expect(['0', '0s', undefined]).toContain(init.DOCKER_INFLUXDB_INIT_RETENTION);
    const server = serviceOf(config, 'server-1').environment ?? {};
    expect(server.INFLUX_ORG).toBe(init.DOCKER_INFLUXDB_INIT_ORG);
    expect(server.INFLUX_BUCKET).toBe(init.DOCKER_INFLUXDB_INIT_BUCKET);
    expect(server.INFLUX_TOKEN).toBe(init.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN);
    expect(serviceOf(config, 'grafana').environment?.INFLUX_TOKEN).toBe(
      init.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN,
    );
  });

  it('takes the secrets from variables, the same token everywhere', () => {
    const config = resolvedConfig({
      INFLUX_TOKEN: 'token-from-env-file-0123456789',
      INFLUX_ADMIN_PASSWORD: 'password-from-env',
      GRAFANA_ADMIN_PASSWORD: 'grafana-from-env',
      METRICS_ADMIN_TOKEN: 'admin-secret-from-env-0123',
      METRICS_AGENT_TOKEN: 'agent-secret-from-env-0123',
      METRICS_READ_TOKEN: 'read-secret-from-env-01234',
    });
    const env = (name: string) => serviceOf(config, name).environment ?? {};
    expect(env('influxdb').DOCKER_INFLUXDB_INIT_ADMIN_TOKEN).toBe('token-from-env-file-0123456789');
    expect(env('influxdb').DOCKER_INFLUXDB_INIT_PASSWORD).toBe('password-from-env');
    expect(env('grafana').INFLUX_TOKEN).toBe('token-from-env-file-0123456789');
    expect(env('grafana').GF_SECURITY_ADMIN_PASSWORD).toBe('grafana-from-env');
    expect(env('server-1').INFLUX_TOKEN).toBe('token-from-env-file-0123456789');
    expect(env('server-1').API_TOKENS).toBe(
      'admin:admin:admin-secret-from-env-0123,agent:ingest:agent-secret-from-env-0123,prometheus:read:read-secret-from-env-01234',
    );
    expect(env('prometheus').METRICS_READ_TOKEN).toBe('read-secret-from-env-01234');
  });

  it('gives the replicas a configuration they accept: the InfluxDB store, PostgreSQL, Redis, and API tokens for HOST 0.0.0.0', () => {
    const environment = serviceOf(resolvedConfig(), 'server-1').environment ?? {};
    const config = loadConfig(environment);
    expect(config).toMatchObject({ store: 'influxdb', host: '0.0.0.0', port: 8888, authEnabled: true });
    expect(config.databaseUrl).toBe(environment.DATABASE_URL);
    expect(config.redisUrl).toBe('redis://redis:6379');
    expect(config.influx).toMatchObject({
      url: 'http://influxdb:8086',
      api: 'v2',
      org: 'metrics-collector',
      bucket: 'metrics',
      // What the server reads with InfluxQL, as Grafana's data source does (dbName).
      database: 'metrics',
    });
    expect(config.tokens.map((t) => [t.name, [...t.scopes].sort()])).toEqual([
      ['admin', ['admin']],
      ['agent', ['ingest']],
      ['prometheus', ['read']],
    ]);
  });

  it('starts grafana once InfluxDB is healthy, the replicas once InfluxDB, PostgreSQL and Redis are; each has a healthcheck', () => {
    const config = resolvedConfig();
    expect(serviceOf(config, 'grafana').depends_on).toEqual({ influxdb: { condition: 'service_healthy' } });
    for (const name of REPLICAS) {
      expect(serviceOf(config, name).depends_on, name).toEqual({
        influxdb: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    }
    for (const name of ['postgres', 'redis', 'lb'])
      expect(serviceOf(config, name).healthcheck?.test, name).toBeDefined();
    expect(serviceOf(config, 'influxdb').healthcheck?.test).toEqual([
      'CMD',
      'influx',
      'ping',
      '--host',
      'http://localhost:8086',
    ]);
    const serverCheck = serviceOf(config, 'server-1').healthcheck?.test;
    expect(serverCheck?.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(serverCheck?.[3]).toContain("fetch('http://127.0.0.1:8888/ready')");
  });

  it('mounts the Grafana provisioning and dashboards read-only', () => {
    const grafana = serviceOf(resolvedConfig(), 'grafana');
    const volumes = (grafana.volumes ?? []).map((v) =>
      typeof v === 'string' ? v : `${v.source}:${v.target}${v.read_only ? ':ro' : ''}`,
    );
    expect(volumes).toContain(`${root}grafana/provisioning:/etc/grafana/provisioning:ro`);
    expect(volumes).toContain(`${root}grafana/dashboards:/var/lib/grafana/dashboards:ro`);
  });
});

describe.each([
  // With `npm start`'s Node.js flags (package.json), so that the image's server has the same heap settings.
  {
    file: 'Dockerfile',
    copies: 'server/',
    cmd: JSON.stringify(['node', ...START_FLAGS, 'dist/main.js']).replaceAll(',', ', '),
  },
  { file: 'agent/Dockerfile', copies: 'agent/', cmd: '["node", "agent/dist/metrics-agent.js"]' },
])('$file', ({ file, copies, cmd }) => {
  const dockerfile = read(file);
  const ignored = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('builds on Node 20 and runs with plain node', () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim AS build$/m);
    expect(dockerfile).toContain(`CMD ${cmd}`);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) =>
      (m[1] as string).split(/\s+/).slice(0, -1),
    );
    expect(sources).toContain('package-lock.json');
    expect(sources).toContain(copies);
    for (const source of sources) {
      expect({ source, exists: existsSync(`${root}${source}`) }).toEqual({ source, exists: true });
      expect(ignored).not.toContain(source.replace(/\/$/, ''));
    }
    expect(ignored).toContain('**/node_modules');
    expect(ignored).toContain('data');
  });
});
