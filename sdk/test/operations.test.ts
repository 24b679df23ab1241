import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../../server/test/helpers.js';
import { type Client, createClient } from '../src/index.js';
import { createClient as createNodeClient } from '../src/node.js';
import { nextMatching, report } from './helpers.js';

let srv: TestServer;
let sdk: Client;

beforeAll(async () => {
  srv = await startTestServer();
  sdk = createClient({ url: `${srv.url}/graphql`, webSocketImpl: WebSocket });
});

afterAll(async () => {
  await sdk?.close();
  await srv?.stop();
});

describe('every operation through its typed method', () => {
  it('reports, then reads history, fleet summary, clients, one client and the catalogue', async () => {
    const ack = await sdk.reportMetrics(report({ clientId: 'ops-a' }));
    expect(ack).toEqual({
      clientId: 'ops-a',
      windowStart: '2026-01-01T00:00:00.000Z',
      windowEnd: '2026-01-01T00:00:10.000Z',
      points: expect.any(Number),
    });
    // DateTime inputs also take a Date or epoch ms.
    await sdk.reportMetrics(
      report({
        clientId: 'ops-a',
        windowStart: new Date('2026-01-01T00:00:10.000Z'),
        windowEnd: Date.parse('2026-01-01T00:00:20.000Z'),
        cpu: { utilization: { mean: 0.7, variance: 0.01, min: 0.6, max: 0.8 } },
      }),
    );

    const history = await sdk.metricHistory({
      metric: 'CPU_UTILIZATION',
      clientId: 'ops-a',
      from: '2026-01-01T00:00:00Z',
      to: '2026-01-01T00:01:00Z',
      resample: '10s',
      aggregate: 'MAX',
    });
    expect(history).toMatchObject({ metric: 'CPU_UTILIZATION', clientId: 'ops-a', resample: '10s' });
    expect(history.points.map((p) => [p.time, p.value])).toEqual([
      ['2026-01-01T00:00:00.000Z', 0.7],
      ['2026-01-01T00:00:10.000Z', 0.8],
    ]);

    const fleet = await sdk.fleetSummary({
      metric: 'CPU_UTILIZATION',
      from: '2026-01-01T00:00:00Z',
      to: '2026-01-01T00:01:00Z',
      aggregate: 'MAX',
    });
    expect(fleet).toEqual([expect.objectContaining({ clientId: 'ops-a', value: 0.8, count: 20 })]);
    expect(fleet[0]?.client?.hostname).toBe('sdk.example');

    expect((await sdk.clients()).map((c) => c.id)).toContain('ops-a');
    expect(await sdk.client('ops-a')).toMatchObject({ id: 'ops-a', coreCount: 2, osType: 'Linux' });
    expect(await sdk.client('nobody')).toBeNull();

    const catalogue = await sdk.metrics();
    expect(catalogue.find((m) => m.metric === 'CPU_UTILIZATION')).toMatchObject({
      kind: 'cpu',
      perCore: false,
    });
  });

  it('creates, reads, updates and deletes an alert rule; its transitions are in alerts and on alertEvents', async () => {
    const events = sdk.subscriptions.alertEvents({ clientId: 'ops-alert' });
    const rule = await sdk.createAlertRule({
      name: 'CPU busy',
      metric: 'CPU_UTILIZATION',
      comparator: 'ABOVE',
      threshold: 0.8,
      forSeconds: 0,
      clientId: 'ops-alert',
    });
    expect(rule).toMatchObject({ name: 'CPU busy', kind: 'THRESHOLD', severity: 'WARNING', states: [] });
    expect(await sdk.alertRule(rule.id)).toEqual(rule);
    expect((await sdk.alertRules()).map((r) => r.id)).toContain(rule.id);

    // Until the subscription is registered, a transition can come before it: busy and calm windows take
    // turns, so that the rule fires again until the subscriber sees it. (Reporting one busy window again
    // fired nothing more: the rule was already FIRING, and on a busy machine the one event was missed.)
    // Windows of the last hour: a transition is stamped with its window's end, and the server prunes
    // transitions older than its alert history retention (90 days) on its first check, a second after it
    // starts, so windows of long ago could vanish between the event and the query below.
    const base = Math.floor(Date.now() / 10_000) * 10_000 - 3_600_000;
    let window = 0;
    const firing = await nextMatching(
      events,
      () => {
        const start = base + window * 10_000;
        const mean = window % 2 === 0 ? 0.9 : 0.1;
        window += 1;
        return sdk.reportMetrics(
          report({
            clientId: 'ops-alert',
            windowStart: new Date(start).toISOString(),
            windowEnd: new Date(start + 10_000).toISOString(),
            cpu: { utilization: { mean, variance: 0, min: mean, max: mean } },
          }),
        );
      },
      (e) => e.state === 'FIRING',
    );
    expect(firing).toMatchObject({
      ruleId: rule.id,
      clientId: 'ops-alert',
      value: 0.9,
      metric: 'CPU_UTILIZATION',
    });
    await events.return?.();

    const history = await sdk.alerts({ ruleId: rule.id, state: 'FIRING' });
    expect(history).toContainEqual(
      expect.objectContaining({ id: firing.id, state: 'FIRING', ruleName: 'CPU busy' }),
    );

    const updated = await sdk.updateAlertRule(rule.id, {
      name: 'CPU very busy',
      metric: 'CPU_UTILIZATION',
      comparator: 'ABOVE',
      threshold: 0.95,
      forSeconds: 0,
      clientId: 'ops-alert',
      severity: 'CRITICAL',
    });
    expect(updated).toMatchObject({
      id: rule.id,
      name: 'CPU very busy',
      threshold: 0.95,
      severity: 'CRITICAL',
    });
    expect(await sdk.deleteAlertRule(rule.id)).toMatchObject({ id: rule.id });
    expect(await sdk.alertRule(rule.id)).toBeNull();
  });

  it('sends commands, delivers them on agentCommands, acknowledges and lists them', async () => {
    const sent = await sdk.sendAgentCommand('ops-agent', { type: 'SET_REPORT_INTERVAL', intervalMs: 5_000 });
    expect(sent).toMatchObject({ clientId: 'ops-agent', type: 'SET_REPORT_INTERVAL', status: 'PENDING' });
    const sampling = await sdk.setSamplingInterval({
      clientId: 'ops-agent',
      intervalMs: 500,
      ttlSeconds: 60,
    });
    expect(sampling).toMatchObject({ type: 'SET_SAMPLING_INTERVAL', intervalMs: 500, status: 'PENDING' });

    const commands = sdk.subscriptions.agentCommands({ clientId: 'ops-agent' });
    const first = await commands.next();
    const second = await commands.next();
    await commands.return?.();
    expect([first.value?.id, second.value?.id]).toEqual([sent.id, sampling.id]);
    expect(first.value?.status).toBe('DELIVERED');

    expect(await sdk.acknowledgeAgentCommand({ id: sent.id, status: 'APPLIED' })).toMatchObject({
      id: sent.id,
      status: 'APPLIED',
    });
    const failed = await sdk.acknowledgeAgentCommand({
      id: sampling.id,
      status: 'FAILED',
      message: 'too fast',
    });
    expect(failed).toMatchObject({ status: 'FAILED', message: 'too fast' });

    const listed = await sdk.agentCommands({ clientId: 'ops-agent' });
    expect(listed.map((c) => [c.id, c.status])).toEqual([
      [sampling.id, 'FAILED'],
      [sent.id, 'APPLIED'],
    ]);
    expect(await sdk.agentCommands({ clientId: 'ops-agent', status: 'APPLIED', limit: 1 })).toHaveLength(1);
  });

  it('streams metricReported and clientStatusChanged', async () => {
    const reports = sdk.subscriptions.metricReported({ clientId: 'ops-live' });
    const event = await nextMatching(
      reports,
      () => sdk.reportMetrics(report({ clientId: 'ops-live' })),
      () => true,
    );
    await reports.return?.();
    expect(event).toMatchObject({
      clientId: 'ops-live',
      observations: 10,
      windowEnd: '2026-01-01T00:00:10.000Z',
    });
    expect(event.stats.find((s) => s.metric === 'CPU_UTILIZATION' && s.core === null)?.mean).toBe(0.5);

    // The first report of a client not seen since the server started makes it ONLINE. The subscription is
    // registered some time after it is opened, so each poke reports a new client until one is seen.
    const statuses = sdk.subscriptions.clientStatusChanged();
    let poked = 0;
    const status = await nextMatching(
      statuses,
      () => sdk.reportMetrics(report({ clientId: `ops-status-${++poked}` })),
      (changed) => changed.clientId.startsWith('ops-status-'),
    );
    await statuses.return?.();
    expect(status).toMatchObject({ status: 'ONLINE' });
  });

  it("sends mutations and queries over the WebSocket with transport: 'ws' (node entry: ws by default)", async () => {
    const overWs = createNodeClient({ url: `${srv.url}/graphql`, transport: 'ws' });
    try {
      expect(await overWs.reportMetrics(report({ clientId: 'ops-ws' }))).toMatchObject({
        clientId: 'ops-ws',
      });
      expect(await overWs.client('ops-ws')).toMatchObject({ id: 'ops-ws' });
      const range = { metric: 'CPU_UTILIZATION', clientId: 'ops-ws', from: '2026-01-01T00:00:00Z' } as const;
      expect((await overWs.metricHistory({ ...range, to: '2026-01-01T00:01:00Z' })).points).toHaveLength(1);
      await expect(overWs.metricHistory({ ...range, to: '2025-01-01T00:00:00Z' })).rejects.toMatchObject({
        name: 'SdkError',
        kind: 'graphql',
        code: 'INVALID_TIME_RANGE',
      });
    } finally {
      await overWs.close();
    }
  });
});
