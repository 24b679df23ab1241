/**
 * `GET /metrics` on a real server: a run of reports (REST, GraphQL over HTTP, graphql-ws), queries and
 * subscriptions moves each family of docs/metrics.md, and the text passes `promtool check metrics`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { promtoolBinary, promtoolCheckMetrics } from '../../../testing/prometheus.js';
import { hasBinary } from '../../../testing/real-servers.js';
import { cpuRule, createRule, iso } from '../alerts/cases.js';
import { SET_SAMPLING } from '../commands/cases.js';
import { graphql, ok, rawRequest, startTestServer, type TestServer } from '../helpers.js';
import { collect, waitFor, wsClient } from '../ws-helpers.js';
import { type Scrape, scrape } from './scrape.js';

const M = 'metrics_collector_';
const REPORTED = `subscription OnMetricReported { metricReported { clientId windowEnd } }`;

describe('GET /metrics', { timeout: 120_000 }, () => {
  let srv: TestServer;
  let hook: Server;
  let hookUrl: string;
  let before: Scrape;

  beforeAll(async () => {
    srv = await startTestServer({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    // A webhook receiver that always fails: every transition is attempted, fails and is retried.
    hook = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(500).end());
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    before = await scrape(srv.url);
  });
  afterAll(async () => {
    await srv?.stop();
    hook?.closeAllConnections();
    await new Promise((resolve) => hook?.close(resolve));
  });

  /** Polls until `name` (with `labels`) went up by at least `by` since the first scrape. */
  async function moved(name: string, labels: Record<string, string> = {}, by = 1): Promise<Scrape> {
    let last = await scrape(srv.url);
    await waitFor(
      async () => {
        last = await scrape(srv.url);
        return last.value(name, labels) - before.value(name, labels) >= by;
      },
      `${name} ${JSON.stringify(labels)} to move by ${by}`,
      30_000,
    );
    return last;
  }

  it('counts reports and points by transport and outcome, store writes, history and operations', async () => {
    const rest = await rawRequest(`${srv.url}/api/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(originalReport),
    });
    expect(rest.status).toBe(200);
    await moved(`${M}reports_total`, { transport: 'rest', outcome: 'stored' });
    await moved(`${M}points_total`, { transport: 'rest', outcome: 'stored' }, 5);

    const named = REPORT_MUTATION.replace('mutation Report(', 'mutation ReportMetrics(');
    await ok(srv.url, named, { input: reportInput() });
    const bad = await graphql(srv.url, named, { input: reportInput({ observations: 0 }) });
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await moved(`${M}reports_total`, { transport: 'graphql-http', outcome: 'stored' });
    await moved(`${M}reports_total`, { transport: 'graphql-http', outcome: 'BAD_USER_INPUT' });
    await moved(`${M}graphql_operations_total`, {
      operation: 'ReportMetrics',
      type: 'mutation',
      code: 'none',
    });
    await moved(`${M}graphql_operations_total`, { operation: 'ReportMetrics', code: 'BAD_USER_INPUT' });
    await moved(`${M}store_write_seconds_count`, { store: 'sqlite' }, 2);
    await moved(`${M}sqlite_group_commit_seconds_count`);
    await moved(`${M}sqlite_group_reports_count`);
    await moved(`${M}sqlite_group_points_sum`, {}, 5);

    // Names outside the schema's, and documents that do not validate, get fixed labels.
    await graphql(srv.url, 'query Whatever1234 { metrics { metric } }', {});
    await graphql(srv.url, '{ noSuchField }', {});
    // Refused by the query budget, ahead of this plugin's own hooks in the chain.
    const deep =
      '{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }';
    expect((await graphql(srv.url, deep, {})).body.errors?.[0]?.extensions?.code).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );
    await graphql(srv.url, 'query Client($c: ID!) { client(id: $c) { id } }', { c: 1.5 });
    await moved(`${M}graphql_operations_total`, { operation: 'other', type: 'query', code: 'none' });
    await moved(`${M}graphql_operations_total`, {
      operation: 'anonymous',
      code: 'GRAPHQL_VALIDATION_FAILED',
    });
    await moved(
      `${M}graphql_operations_total`,
      {
        operation: 'anonymous',
        code: 'GRAPHQL_VALIDATION_FAILED',
      },
      2,
    );
    await moved(`${M}graphql_operations_total`, { operation: 'Client', code: 'BAD_USER_INPUT' });

    const history = await rawRequest(
      `${srv.url}/api/v1/metrics/cpuLoadAvg/byUser/${originalReport.user_id}?start=1531402000000&end=1531403000000&resample_rate=15m`,
    );
    expect(history.status).toBe(200);
    await graphql(
      srv.url,
      'query FleetSummary($from: DateTime!, $to: DateTime!) { fleetSummary(metric: CPU_UTILIZATION, from: $from, to: $to, aggregate: MEAN) { clientId value } }',
      { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' },
    );
    await moved(`${M}history_query_seconds_count`, { store: 'sqlite', kind: 'history' });
    await moved(`${M}history_query_seconds_count`, { store: 'sqlite', kind: 'summary' });
    const after = await moved(`${M}http_requests_total`, {
      route: '/api/v1/metrics/:metric/byUser/:userId',
      status: '200',
    });
    expect(
      after.value(`${M}http_request_duration_seconds_count`, { route: '/api/v1/metrics' }),
    ).toBeGreaterThan(0);
  });

  it('counts WebSocket connections, subscriptions by field, deliveries and reports over graphql-ws', async () => {
    const client = wsClient(srv.url);
    const sub = collect(client, REPORTED);
    const running = await moved(`${M}subscriptions`, { field: 'metricReported' });
    expect(running.value(`${M}ws_connections`)).toBeGreaterThanOrEqual(1);
    expect(running.value(`${M}ws_connections_opened_total`)).toBeGreaterThanOrEqual(1);
    expect(
      running.value(`${M}subscriptions_started_total`, { field: 'metricReported' }),
    ).toBeGreaterThanOrEqual(1);
    const acked = await new Promise((resolve, reject) => {
      client.subscribe(
        { query: REPORT_MUTATION, variables: { input: reportInput({ clientId: 'host-ws' }) } },
        { next: resolve, error: reject, complete: () => {} },
      );
    });
    expect(acked).toMatchObject({ data: { reportMetrics: { clientId: 'host-ws' } } });
    await sub.until(1);
    await moved(`${M}reports_total`, { transport: 'graphql-ws', outcome: 'stored' });
    await moved(`${M}ws_deliveries_total`);
    await moved(`${M}graphql_operations_total`, { operation: 'OnMetricReported', type: 'subscription' });
    sub.close();
    await client.dispose();
    await waitFor(
      async () => {
        const now = await scrape(srv.url);
        return (
          now.value(`${M}subscriptions`, { field: 'metricReported' }) === 0 &&
          now.value(`${M}ws_connections`) === 0
        );
      },
      'the subscription and the connection to end',
      30_000,
    );
  });

  it('counts alert evaluations and transitions, webhook attempts and failures, commands by state', async () => {
    await createRule(srv, cpuRule({ clientId: 'host-alert', forSeconds: 0, webhookUrl: hookUrl }));
    const input = reportInput({
      clientId: 'host-alert',
      windowStart: iso(0),
      windowEnd: iso(10),
      cpu: { utilization: { mean: 0.9, variance: 0, min: 0.9, max: 0.9 } },
    });
    await ok(srv.url, REPORT_MUTATION, { input });
    await moved(`${M}alert_evaluations_total`, { trigger: 'report' });
    await moved(`${M}alert_evaluations_total`, { trigger: 'no_data_check' });
    await moved(`${M}alert_transitions_total`, { state: 'FIRING' });
    await moved(`${M}webhook_attempts_total`, {}, 2);
    await moved(`${M}webhook_failures_total`, { final: 'false' });

    await ok(srv.url, SET_SAMPLING, { clientId: 'host-alert', intervalMs: 5_000 });
    await moved(`${M}commands`, { state: 'PENDING' });
  });

  it('counts HTTP requests by route and status, has the process metrics, and passes promtool', async () => {
    expect((await rawRequest(`${srv.url}/health`)).status).toBe(200);
    expect((await rawRequest(`${srv.url}/no/such/path/${'x'.repeat(10)}`)).status).toBe(404);
    await moved(`${M}http_requests_total`, { route: '/health', status: '200' });
    const last = await moved(`${M}http_requests_total`, { route: 'other', status: '404' });
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect({ name, present: last.has(name) }).toEqual({ name, present: true });
    }
    if (!hasBinary(promtoolBinary)) return;
    expect(promtoolCheckMetrics(last.text)).toEqual({ status: 0, output: '' });
  });

  it('answers only GET and HEAD', async () => {
    const res = await rawRequest(`${srv.url}/metrics`, { method: 'POST', body: '' });
    expect([res.status, res.headers.allow]).toEqual([405, 'GET']);
  });
});

describe('GET /metrics with auth on', () => {
  let srv: TestServer;
  const tokens = {
    read: 'reader-token-0123456789',
    ingest: 'ingest-token-0123456789',
  };
  beforeAll(async () => {
    srv = await startTestServer({
      env: { API_TOKENS: `r:read:${tokens.read},i:ingest:${tokens.ingest}` },
    });
  });
  afterAll(() => srv?.stop());

  it('needs the read scope', async () => {
    const none = await rawRequest(`${srv.url}/metrics`);
    expect(none.status).toBe(401);
    const ingest = await rawRequest(`${srv.url}/metrics`, {
      headers: { authorization: `Bearer ${tokens.ingest}` },
    });
    expect(ingest.status).toBe(403);
    const read = await scrape(srv.url, { authorization: `Bearer ${tokens.read}` });
    expect(read.has(`${M}reports_total`) || read.text.includes(`# TYPE ${M}reports_total counter`)).toBe(
      true,
    );
  });
});
