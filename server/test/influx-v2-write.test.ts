import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../testing/fixtures.js';
import {
  hasBinary,
  type RealServer,
  startVictoriaMetrics,
  victoriaMetricsBinary,
} from '../../testing/real-servers.js';
import { graphql, rawRequest, startTestServer, type TestServer } from './helpers.js';

/**
 * The v2 write path (`INFLUX_API=v2`, `/api/v2/write`, token, org, bucket, gzip) against a real server:
 * VictoriaMetrics accepts InfluxDB's v2 write API and exports what it stored, one series per
 * `<measurement>_<field>`.
 */
describe.skipIf(!hasBinary(victoriaMetricsBinary))(
  'INFLUX_API=v2 writes to /api/v2/write (VictoriaMetrics)',
  () => {
    let vm: RealServer;
    let srv: TestServer;
    let proxy: Server;
    /** Every request the store made, seen by a pass-through proxy in front of VictoriaMetrics. */
    const seen: { method: string; path: string; encoding?: string; authorization?: string }[] = [];

    beforeAll(async () => {
      vm = await startVictoriaMetrics();
      const target = new URL(vm.url);
      proxy = createServer((req, res) => {
        seen.push({
          method: req.method ?? '',
          path: req.url ?? '',
          encoding: req.headers['content-encoding'],
          authorization: req.headers.authorization,
        });
        const upstream = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        req.pipe(upstream);
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      srv = await startTestServer({
        env: {
          STORE: 'influxdb',
          INFLUX_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
          INFLUX_API: 'v2',
          INFLUX_TOKEN: 'test-token',
          INFLUX_ORG: 'metrics-collector',
          INFLUX_BUCKET: 'metrics',
          // The proxy is on loopback, where `auto` leaves gzip off.
          INFLUX_GZIP: 'on',
        },
      });
    });
    afterAll(async () => {
      await srv?.stop();
      await new Promise((resolve) => proxy?.close(resolve));
      await vm?.stop();
    });

    interface Exported {
      metric: Record<string, string>;
      values: number[];
      timestamps: number[];
    }
    const exported = async (): Promise<Exported[]> => {
      await fetch(`${vm.url}/internal/force_flush`);
      const text = await (
        await fetch(`${vm.url}/api/v1/export?match[]={__name__=~"(cpu|memory|load)_.*"}`)
      ).text();
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Exported);
    };
    const series = (all: Exported[], name: string, labels: Record<string, string>) =>
      all.filter(
        (s) =>
          s.metric.__name__ === name &&
          Object.entries(labels).every(([k, v]) => s.metric[k] === v) &&
          (labels.core !== undefined || s.metric.core === undefined),
      );

    it('stores every statistic of GraphQL and REST reports, gzip-compressed ones too, at the window start', async () => {
      const cores = Array.from({ length: 64 }, (_, i) => ({
        mean: i / 100,
        variance: 0.001,
        min: 0,
        max: (i + 1) / 100,
      }));
      const windows = [0, 10_000, 20_000].map((offset) => Date.UTC(2026, 0, 1) + offset);
      for (const [i, start] of windows.entries()) {
        const input = reportInput({
          clientId: 'v2 host,a=b',
          windowStart: new Date(start).toISOString(),
          windowEnd: new Date(start + 10_000).toISOString(),
          observations: 10 + i,
          cpu: { utilization: { mean: 0.5 + i / 10, variance: 0.01, min: 0.2, max: 0.9 }, cores },
        });
        const res = await graphql(srv.url, REPORT_MUTATION, { input });
        expect(res.body.errors).toBeUndefined();
      }
      const rest = await rawRequest(`${srv.url}/api/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(originalReport),
      });
      expect(rest.status).toBe(200);

      const all = await exported();
      const client = { client_id: 'v2 host,a=b' };
      const [mean] = series(all, 'cpu_utilization_mean', client);
      expect(mean?.timestamps).toEqual(windows);
      expect(mean?.values).toEqual([0.5, 0.6, 0.7]);
      expect(series(all, 'cpu_utilization_count', client)[0]?.values).toEqual([10, 11, 12]);
      expect(series(all, 'cpu_utilization_variance', client)[0]?.values).toEqual([0.01, 0.01, 0.01]);
      expect(series(all, 'memory_used_mean', client)[0]?.values).toEqual([4e9, 4e9, 4e9]);
      expect(series(all, 'load_load1_max', client)[0]?.values).toEqual([2, 2, 2]);
      // 64 per-core series, each with the core's own numbers.
      const core63 = series(all, 'cpu_utilization_max', { ...client, core: '63' });
      expect(core63[0]?.values).toEqual([0.64, 0.64, 0.64]);
      expect(all.filter((s) => s.metric.__name__ === 'cpu_utilization_mean' && s.metric.core)).toHaveLength(
        64 + 4,
      );

      // The original report: the user's CPU mean and its busiest core, stored at its start_timestamp.
      const user = { client_id: originalReport.user_id };
      const original = series(all, 'cpu_utilization_mean', user)[0];
      expect(original?.timestamps).toEqual([originalReport.start_timestamp]);
      // VictoriaMetrics keeps 12 significant decimal digits of a value (its documented precision).
      const digits12 = (values: number[] | undefined) => values?.map((v) => Number(v.toPrecision(12)));
      expect(digits12(original?.values)).toEqual([0.214863164298]);
      expect(digits12(series(all, 'cpu_core_utilization_max_mean', user)[0]?.values)).toEqual([
        0.248483600305,
      ]);

      // Through the v2 API with token, org and bucket; the large reports gzip-compressed.
      const writes = seen.filter((r) => r.method === 'POST');
      expect(writes.length).toBeGreaterThanOrEqual(4);
      for (const write of writes) {
        expect(write.path).toBe('/api/v2/write?org=metrics-collector&bucket=metrics&precision=ms');
        expect(write.authorization).toBe('Token test-token');
      }
      expect(writes.filter((w) => w.encoding === 'gzip').length).toBeGreaterThanOrEqual(3);
    });

    it('is ready while the server answers /ping', async () => {
      expect((await rawRequest(`${srv.url}/ready`)).status).toBe(200);
    });
  },
);
