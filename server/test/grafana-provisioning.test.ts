import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * The Grafana provisioning (grafana/provisioning, grafana/dashboards/metrics-collector.json), parsed and
 * held to docker-compose.yml and the InfluxDB schema. (compose.test.ts runs `docker-compose config` on the
 * compose file; dashboard-queries/ runs the dashboard's queries on a real InfluxDB.)
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

describe('the Grafana provisioning', () => {
  const datasources = parse(read('grafana/provisioning/datasources/influxdb.yml'));
  const providers = parse(read('grafana/provisioning/dashboards/dashboards.yml'));
  const dashboard = JSON.parse(read('grafana/dashboards/metrics-collector.json'));
  const composeFile = parse(read('docker-compose.yml'));

  it('provisions InfluxDB as an InfluxQL data source on the bucket, with the token from the environment', () => {
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources).toHaveLength(1);
    const [source] = datasources.datasources;
    expect(source).toMatchObject({
      uid: 'influxdb',
      type: 'influxdb',
      access: 'proxy',
      url: 'http://influxdb:8086',
      jsonData: { version: 'InfluxQL', httpMode: 'POST', httpHeaderName1: 'Authorization' },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own interpolation of its environment
      secureJsonData: { httpHeaderValue1: 'Token ${INFLUX_TOKEN}' },
    });
    // The virtual DBRP mapping of InfluxDB 2.x names the database after the bucket.
    expect(source.jsonData.dbName).toBe(
      composeFile.services.influxdb.environment.DOCKER_INFLUXDB_INIT_BUCKET,
    );
    expect(Object.keys(composeFile.services.grafana.environment)).toContain('INFLUX_TOKEN');
  });

  it('loads the dashboards from the folder that docker-compose.yml mounts', () => {
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers).toHaveLength(1);
    const [provider] = providers.providers;
    expect(provider.type).toBe('file');
    expect(composeFile.services.grafana.volumes).toContain(
      `./grafana/dashboards:${provider.options.path}:ro`,
    );
  });

  it('has the dashboard with its panels, the client variable and the last 6 hours', () => {
    expect(dashboard.uid).toBe('metrics-collector');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.time).toEqual({ from: 'now-6h', to: 'now' });
    const titles: string[] = dashboard.panels.map((p: { title: string }) => p.title);
    expect(titles).toEqual([
      'CPU Loads: $client',
      '95th percentile load per client',
      'Memory used',
      'Load average',
      'CPU per core',
      'Network',
      'Disk',
    ]);
    expect(dashboard.panels[0]).toMatchObject({ type: 'timeseries', repeat: 'client' });
    expect(dashboard.panels[1]).toMatchObject({ type: 'table' });
    const [client] = dashboard.templating.list;
    expect(client).toMatchObject({
      name: 'client',
      type: 'query',
      query: 'SHOW TAG VALUES FROM "cpu" WITH KEY = "client_id"',
      multi: true,
      includeAll: true,
    });
  });

  it('queries the provisioned data source with raw InfluxQL in every panel', () => {
    const uids = new Set<string>();
    for (const panel of dashboard.panels) {
      uids.add(panel.datasource.uid);
      for (const target of panel.targets) {
        uids.add(target.datasource.uid);
        expect({ title: panel.title, rawQuery: target.rawQuery }).toEqual({
          title: panel.title,
          rawQuery: true,
        });
        expect(target.query).toMatch(/^SELECT /);
      }
    }
    uids.add(dashboard.templating.list[0].datasource.uid);
    expect([...uids]).toEqual([datasources.datasources[0].uid]);
  });
});
