/**
 * The "metrics-collector server" Grafana dashboard (grafana/dashboards/metrics-collector-server.json):
 * every query of every panel, its Grafana macros substituted, returns data from a real Prometheus
 * (Debian's) scraping a real server with a read token while the test drives reports, queries,
 * subscriptions, alerts and commands through it.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { prometheusBinary, promQuery, startPrometheus } from '../../../testing/prometheus.js';
import { hasBinary, type RealServer } from '../../../testing/real-servers.js';
import { cpuRule, iso } from '../alerts/cases.js';
import { SET_SAMPLING } from '../commands/cases.js';
import { graphql, ok, rawRequest, startTestServer, type TestServer } from '../helpers.js';
import { collect, waitFor, wsClient } from '../ws-helpers.js';

const dashboard = JSON.parse(
  readFileSync(new URL('../../../grafana/dashboards/metrics-collector-server.json', import.meta.url), 'utf8'),
);

/** Every panel's queries, as `title / refId`. */
const queries: { name: string; expr: string }[] = dashboard.panels.flatMap(
  (panel: { title: string; targets: { refId: string; expr: string }[] }) =>
    panel.targets.map((t) => ({ name: `${panel.title} / ${t.refId}`, expr: t.expr })),
);

/** Grafana's macros as it would fill them in for a short range at a 1 s scrape interval. */
const substitute = (expr: string) =>
  expr.replaceAll('$__rate_interval', '30s').replaceAll('$__interval', '5s').replaceAll('$__range', '5m');

const available = hasBinary(prometheusBinary);
const tokens = { admin: 'admin-token-0123456789', read: 'prometheus-read-token-0123' };
const admin = { authorization: `Bearer ${tokens.admin}` };

describe.skipIf(!available)('the server dashboard against a real Prometheus', { timeout: 240_000 }, () => {
  let srv: TestServer;
  let prometheus: RealServer;
  let hook: Server;
  let driving = true;
  let driver: Promise<void> = Promise.resolve();
  const closers: (() => unknown)[] = [];

  beforeAll(async () => {
    srv = await startTestServer({
      env: {
        API_TOKENS: `admin:admin:${tokens.admin},prometheus:read:${tokens.read}`,
        WEBHOOK_ALLOW_PRIVATE: 'true',
      },
    });
    hook = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(500).end());
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    prometheus = await startPrometheus({
      target: new URL(srv.url).host,
      scrapeInterval: '1s',
      bearer: tokens.read,
    });

    // A subscriber over graphql-ws, an alert rule whose webhook fails, a command waiting for its agent.
    const client = wsClient(srv.url, tokens.admin);
    const sub = collect(client, 'subscription OnMetricReported { metricReported { clientId } }');
    closers.push(
      () => sub.close(),
      () => client.dispose(),
    );
    await ok(
      srv.url,
      'mutation ($input: AlertRuleInput!) { createAlertRule(input: $input) { id } }',
      {
        input: cpuRule({ clientId: 'dash-host', forSeconds: 0, webhookUrl: hookUrl }),
      },
      admin,
    );
    await ok(srv.url, SET_SAMPLING, { clientId: 'dash-host', intervalMs: 5_000 }, admin);
    driver = drive(srv.url);
    // Prometheus's start is waited for up to 30 s (testing/real-servers.ts); the server and the rest too.
  }, 120_000);
  afterAll(async () => {
    driving = false;
    await driver;
    for (const close of closers) await close();
    await prometheus?.stop();
    await srv?.stop();
    hook?.closeAllConnections();
    await new Promise((resolve) => hook?.close(resolve));
  }, 60_000);

  /** Traffic of every kind the panels show, a round every 200 ms until the test ends. */
  async function drive(url: string): Promise<void> {
    for (let i = 0; driving; i += 1) {
      const cpu = i % 2 === 0 ? 0.9 : 0.1;
      const input = reportInput({
        clientId: 'dash-host',
        windowStart: iso(10 * i),
        windowEnd: iso(10 * i + 10),
        cpu: { utilization: { mean: cpu, variance: 0, min: cpu, max: cpu } },
      });
      await graphql(
        url,
        REPORT_MUTATION.replace('mutation Report(', 'mutation ReportMetrics('),
        { input },
        admin,
      );
      await graphql(url, REPORT_MUTATION, { input: reportInput({ observations: 0 }) }, admin);
      await rawRequest(`${url}/api/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...admin },
        body: JSON.stringify(originalReport),
      });
      await rawRequest(
        `${url}/api/v1/metrics/cpuLoadAvg/byUser/${originalReport.user_id}?start=1531402000000&end=1531403000000&resample_rate=15m`,
        { headers: admin },
      );
      await graphql(
        url,
        'query FleetSummary($from: DateTime!, $to: DateTime!) { fleetSummary(metric: CPU_UTILIZATION, from: $from, to: $to, aggregate: MEAN) { clientId } }',
        { from: iso(-3600), to: iso(100_000) },
        admin,
      );
      await rawRequest(`${url}/health`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('has panels, each with a PromQL query on the provisioned Prometheus data source', () => {
    expect(dashboard.uid).toBe('metrics-collector-server');
    expect(queries.length).toBeGreaterThanOrEqual(16);
    for (const panel of dashboard.panels) {
      expect({ title: panel.title, uid: panel.datasource.uid }).toEqual({
        title: panel.title,
        uid: 'prometheus',
      });
    }
  });

  it.each(queries)('$name returns data', async ({ expr }) => {
    let last: unknown = null;
    await waitFor(
      async () => {
        const result = await promQuery(prometheus.url, substitute(expr));
        last = result;
        return result.some((sample) => Number.isFinite(Number(sample.value[1])));
      },
      `${expr} to return data (last answer: ${JSON.stringify(last)})`,
      120_000,
    );
  });
});
