/**
 * The Prometheus service of docker-compose.yml and its configuration (grafana/prometheus/prometheus.yml):
 * it scrapes the server's `/metrics` with the read token the compose file gives the server, and
 * `promtool check config` accepts the file. (compose.test.ts runs `docker-compose config` on the whole.)
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { promtoolBinary } from '../../../testing/prometheus.js';
import { hasBinary } from '../../../testing/real-servers.js';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const compose = parse(read('docker-compose.yml'));
const scrapeConfig = parse(read('grafana/prometheus/prometheus.yml'));

describe('the Prometheus service of docker-compose.yml', () => {
  const prometheus = compose.services.prometheus;

  it("scrapes each replica's /metrics with a read token that the replicas are given", () => {
    expect(prometheus.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(prometheus.depends_on).toEqual({
      'server-1': { condition: 'service_healthy' },
      'server-2': { condition: 'service_healthy' },
    });
    expect(prometheus.volumes).toContain(
      './grafana/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
    expect(prometheus.ports).toEqual(['127.0.0.1:9090:9090']);
    const [job] = scrapeConfig.scrape_configs;
    expect(job).toMatchObject({
      metrics_path: '/metrics',
      static_configs: [{ targets: ['server-1:8888', 'server-2:8888'] }],
      authorization: { credentials_file: '/prometheus/metrics-read-token' },
    });
    // The token the server holds with scope read is the one Prometheus writes to that file before starting.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation of a variable
    const token = '${METRICS_READ_TOKEN:-change-me-read-token-0123456789}';
    for (const name of ['server-1', 'server-2']) {
      expect(compose.services[name].environment.API_TOKENS).toContain(`prometheus:read:${token}`);
    }
    expect(prometheus.environment.METRICS_READ_TOKEN).toBe(token);
    const entrypoint = prometheus.entrypoint.join(' ');
    expect(entrypoint).toContain(`"$$METRICS_READ_TOKEN" > ${job.authorization.credentials_file} &&`);
    expect(entrypoint).toContain('exec /bin/prometheus --config.file=/etc/prometheus/prometheus.yml');
  });

  it.runIf(hasBinary(promtoolBinary))('has a configuration that promtool accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-prometheus-config-'));
    try {
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, 'a-read-token-0123456789');
      const config = join(dir, 'prometheus.yml');
      writeFileSync(
        config,
        read('grafana/prometheus/prometheus.yml').replace('/prometheus/metrics-read-token', tokenFile),
      );
      const run = spawnSync('promtool', ['check', 'config', config], { encoding: 'utf8' });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Prometheus data source', () => {
  it('points Grafana at the prometheus service, as the server dashboard expects', () => {
    const { datasources } = parse(read('grafana/provisioning/datasources/prometheus.yml'));
    expect(datasources).toEqual([
      expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
  });
});
