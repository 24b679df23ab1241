/** The GraphQL operations on alert rules and alerts, and the steps several of the alert tests take. */
import { expect } from 'vitest';
import { REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { graphql, type TestServer } from '../helpers.js';
import { collect, waitFor, wsClient } from '../ws-helpers.js';

const RULE_FIELDS =
  'id name kind metric comparator threshold recoveryThreshold forSeconds clientId severity webhookUrl';
export const CREATE = `mutation ($input: AlertRuleInput!) { createAlertRule(input: $input) { ${RULE_FIELDS} } }`;
export const UPDATE = `mutation ($id: ID!, $input: AlertRuleInput!) { updateAlertRule(id: $id, input: $input) { ${RULE_FIELDS} } }`;
export const DELETE = 'mutation ($id: ID!) { deleteAlertRule(id: $id) { id name } }';
export const RULES = `{ alertRules { ${RULE_FIELDS} states { clientId state since value } } }`;
export const ALERTS = `query ($state: AlertState, $clientId: ID, $ruleId: ID, $from: DateTime, $to: DateTime) {
  alerts(state: $state, clientId: $clientId, ruleId: $ruleId, from: $from, to: $to) {
    ruleId ruleName severity clientId state previous value threshold at message
  }
}`;
export const ALERT_EVENTS = `subscription ($clientId: ID) {
  alertEvents(clientId: $clientId) { ruleId ruleName clientId state previous value at }
}`;

// Yesterday, on the hour: alert history older than its retention (90 days) is pruned by the server's timer,
// so a fixed date would age out of the test.
export const BASE = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 86_400_000;
export const iso = (seconds: number) => new Date(BASE + seconds * 1_000).toISOString();

/** A report of `clientId` for the 10 s window ending `end` seconds after BASE, CPU utilisation `cpu`. */
export async function report(srv: TestServer, clientId: string, end: number, cpu: number, headers = {}) {
  const input = reportInput({
    clientId,
    windowStart: iso(end - 10),
    windowEnd: iso(end),
    cpu: { utilization: { mean: cpu, variance: 0, min: cpu, max: cpu } },
  });
  const res = await graphql(srv.url, REPORT_MUTATION, { input }, headers);
  expect(res.body.errors).toBeUndefined();
  return res;
}

export async function createRule(srv: TestServer, input: Record<string, unknown>, headers = {}) {
  const res = await graphql(srv.url, CREATE, { input }, headers);
  expect(res.body.errors).toBeUndefined();
  return res.body.data.createAlertRule as { id: string } & Record<string, unknown>;
}

/** The states of the rule's alerts, newest first (`Query.alerts`). */
export async function alertStates(srv: TestServer, ruleId: string): Promise<string[]> {
  const history = await graphql(srv.url, ALERTS, { ruleId });
  return history.body.data.alerts.map((e: { state: string }) => e.state);
}

export const cpuRule = (overrides: Record<string, unknown> = {}) => ({
  name: 'CPU hot',
  metric: 'CPU_UTILIZATION',
  comparator: 'ABOVE',
  threshold: 0.8,
  recoveryThreshold: 0.6,
  forSeconds: 10,
  severity: 'CRITICAL',
  ...overrides,
});

/**
 * Subscribes to every `alertEvents` and returns once the subscription is registered: a probe rule fires
 * on every other report of client `probe` until the subscriber has seen one of its events.
 */
export async function subscribeAlerts(srv: TestServer, token?: string) {
  const client = wsClient(srv.url, token);
  const sub = collect(client, ALERT_EVENTS);
  const probe = await createRule(srv, {
    name: 'probe',
    metric: 'CPU_UTILIZATION',
    comparator: 'ABOVE',
    threshold: 0.5,
    forSeconds: 0,
    clientId: 'probe',
  });
  for (let i = 1; sub.events.length === 0; i += 1) {
    if (i > 100 || sub.errors.length > 0) throw new Error(`alertEvents not registered: ${sub.errors}`);
    await report(srv, 'probe', i * 10, i % 2 === 1 ? 0.9 : 0.1);
    await waitFor(() => sub.events.length > 0, 'a probe event', 200).catch(() => {});
  }
  await graphql(srv.url, DELETE, { id: probe.id });
  const of = (clientId: string) =>
    sub.events.map((e) => e.alertEvents).filter((e: { clientId: string }) => e.clientId === clientId);
  return {
    sub,
    of,
    close: async () => {
      sub.close();
      await client.dispose();
    },
  };
}
