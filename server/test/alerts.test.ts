import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MUTATION, reportInput } from '../../testing/fixtures.js';
import { hasBinary, type RealServer, redisBinary, startRedis } from '../../testing/real-servers.js';
import { createAlerting } from '../src/alerts/index.js';
import { RedisLease } from '../src/alerts/lease.js';
import { createLive } from '../src/live/index.js';
import { createLogger } from '../src/logger.js';
import { graphql, startTestServer, type TestServer } from './helpers.js';
import { collect, waitFor, wsClient } from './ws-helpers.js';

const RULE_FIELDS =
  'id name kind metric comparator threshold recoveryThreshold forSeconds clientId severity webhookUrl';
const CREATE = `mutation ($input: AlertRuleInput!) { createAlertRule(input: $input) { ${RULE_FIELDS} } }`;
const UPDATE = `mutation ($id: ID!, $input: AlertRuleInput!) { updateAlertRule(id: $id, input: $input) { ${RULE_FIELDS} } }`;
const DELETE = 'mutation ($id: ID!) { deleteAlertRule(id: $id) { id name } }';
const RULES = `{ alertRules { ${RULE_FIELDS} states { clientId state since value } } }`;
const ALERTS = `query ($state: AlertState, $clientId: ID, $ruleId: ID, $from: DateTime, $to: DateTime) {
  alerts(state: $state, clientId: $clientId, ruleId: $ruleId, from: $from, to: $to) {
    ruleId ruleName severity clientId state previous value threshold at message
  }
}`;
const ALERT_EVENTS = `subscription ($clientId: ID) {
  alertEvents(clientId: $clientId) { ruleId ruleName clientId state previous value at }
}`;

// Yesterday, on the hour: alert history older than its retention (90 days) is pruned by the server's timer,
// so a fixed date would age out of the test.
const BASE = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 86_400_000;
const iso = (seconds: number) => new Date(BASE + seconds * 1_000).toISOString();

/** A report of `clientId` for the 10 s window ending `end` seconds after BASE, CPU utilisation `cpu`. */
async function report(srv: TestServer, clientId: string, end: number, cpu: number, headers = {}) {
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

async function createRule(srv: TestServer, input: Record<string, unknown>, headers = {}) {
  const res = await graphql(srv.url, CREATE, { input }, headers);
  expect(res.body.errors).toBeUndefined();
  return res.body.data.createAlertRule as { id: string } & Record<string, unknown>;
}

const cpuRule = (overrides: Record<string, unknown> = {}) => ({
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
async function subscribeAlerts(srv: TestServer, token?: string) {
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

describe('a THRESHOLD rule', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv.stop());

  it('goes PENDING, FIRING after forSeconds of report time, stays FIRING above the recovery threshold, then RESOLVED; on alertEvents and in Query.alerts', async () => {
    const alerts = await subscribeAlerts(srv);
    const rule = await createRule(srv, cpuRule({ clientId: 'host-1' }));
    expect(rule).toMatchObject({
      kind: 'THRESHOLD',
      recoveryThreshold: 0.6,
      clientId: 'host-1',
      webhookUrl: null,
    });

    await report(srv, 'host-1', 10, 0.9); // breach starts at 10 s: PENDING
    await report(srv, 'host-2', 20, 0.95); // another client: not this rule's
    await report(srv, 'host-1', 20, 0.9); // 20 ≥ 10 + 10: FIRING
    await report(srv, 'host-1', 30, 0.7); // above the recovery threshold 0.6: still FIRING
    await report(srv, 'host-1', 40, 0.5); // RESOLVED
    await report(srv, 'host-1', 50, 0.5); // stays RESOLVED, no event
    await waitFor(() => alerts.of('host-1').length >= 3, 'three transitions');

    const expected = [
      { state: 'PENDING', previous: 'OK', value: 0.9, at: iso(10) },
      { state: 'FIRING', previous: 'PENDING', value: 0.9, at: iso(20) },
      { state: 'RESOLVED', previous: 'FIRING', value: 0.5, at: iso(40) },
    ];
    expect(alerts.of('host-1')).toEqual(
      expected.map((e) => ({ ...e, ruleId: rule.id, ruleName: 'CPU hot', clientId: 'host-1' })),
    );
    expect(alerts.of('host-2')).toEqual([]);

    const history = await graphql(srv.url, ALERTS, { clientId: 'host-1', ruleId: rule.id });
    expect(history.body.errors).toBeUndefined();
    expect(history.body.data.alerts).toMatchObject(
      [...expected].reverse().map((e) => ({ ...e, ruleId: rule.id, severity: 'CRITICAL', threshold: 0.8 })),
    );
    const firing = await graphql(srv.url, ALERTS, { state: 'FIRING', ruleId: rule.id });
    expect(firing.body.data.alerts.map((e: { at: string }) => e.at)).toEqual([iso(20)]);
    const range = await graphql(srv.url, ALERTS, { ruleId: rule.id, from: iso(15), to: iso(40) });
    expect(range.body.data.alerts.map((e: { state: string }) => e.state)).toEqual(['FIRING']);

    const rules = await graphql(srv.url, RULES);
    const listed = rules.body.data.alertRules.find((r: { id: string }) => r.id === rule.id);
    expect(listed.states).toEqual([{ clientId: 'host-1', state: 'RESOLVED', since: iso(40), value: 0.5 }]);
    await alerts.close();
  });

  it('goes back to OK when the breach ends before forSeconds; RESOLVED behaves as OK; late reports are skipped', async () => {
    const rule = await createRule(srv, cpuRule({ clientId: 'host-3', forSeconds: 30 }));
    await report(srv, 'host-3', 10, 0.9); // PENDING
    await report(srv, 'host-3', 20, 0.5); // OK
    await report(srv, 'host-3', 30, 0.9); // PENDING again, breach from 30
    await report(srv, 'host-3', 50, 0.9); // 50 < 60: still PENDING
    await report(srv, 'host-3', 40, 0.1); // older than the newest evaluated window: skipped
    await report(srv, 'host-3', 60, 0.9); // FIRING
    const history = await graphql(srv.url, ALERTS, { ruleId: rule.id });
    expect(
      history.body.data.alerts.map((e: { state: string; at: string }) => [e.state, e.at]).reverse(),
    ).toEqual([
      ['PENDING', iso(10)],
      ['OK', iso(20)],
      ['PENDING', iso(30)],
      ['FIRING', iso(60)],
    ]);
  });

  it('compares the busiest core for CPU_CORE_UTILIZATION', async () => {
    const rule = await createRule(srv, {
      name: 'a core is hot',
      metric: 'CPU_CORE_UTILIZATION',
      comparator: 'ABOVE',
      threshold: 0.85,
      forSeconds: 0,
      clientId: 'host-4',
    });
    const input = reportInput({
      clientId: 'host-4',
      cpu: {
        utilization: { mean: 0.5, variance: 0, min: 0.5, max: 0.5 },
        cores: [
          { mean: 0.1, variance: 0, min: 0.1, max: 0.1 },
          { mean: 0.9, variance: 0, min: 0.9, max: 0.9 },
        ],
      },
    });
    expect((await graphql(srv.url, REPORT_MUTATION, { input })).body.errors).toBeUndefined();
    const history = await graphql(srv.url, ALERTS, { ruleId: rule.id });
    expect(history.body.data.alerts.map((e: { state: string; value: number }) => [e.state, e.value])).toEqual(
      [
        ['FIRING', 0.9],
        ['PENDING', 0.9],
      ],
    );
  });

  it('updates and deletes rules; unknown ids are NOT_FOUND', async () => {
    const rule = await createRule(srv, cpuRule({ name: 'to change' }));
    const updated = await graphql(srv.url, UPDATE, {
      id: rule.id,
      input: cpuRule({ name: 'changed', threshold: 0.9 }),
    });
    expect(updated.body.errors).toBeUndefined();
    expect(updated.body.data.updateAlertRule).toMatchObject({ id: rule.id, name: 'changed', threshold: 0.9 });
    const deleted = await graphql(srv.url, DELETE, { id: rule.id });
    expect(deleted.body.data.deleteAlertRule).toEqual({ id: rule.id, name: 'changed' });
    const rules = await graphql(srv.url, RULES);
    expect(rules.body.data.alertRules.map((r: { id: string }) => r.id)).not.toContain(rule.id);

    for (const [query, variables] of [
      [UPDATE, { id: rule.id, input: cpuRule() }],
      [DELETE, { id: rule.id }],
    ] as const) {
      const res = await graphql(srv.url, query, variables);
      expect(res.status).not.toBe(500);
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    }
  });

  it.each([
    ['an empty name', { name: '  ' }, 'input.name'],
    ['a name too long', { name: 'x'.repeat(201) }, 'input.name'],
    ['an unknown comparator', { comparator: 'SIDEWAYS' }, 'input.comparator'],
    ['no threshold', { threshold: null }, 'input.threshold'],
    ['a string threshold', { threshold: 'NaN' }, 'input.threshold'],
    ['a negative forSeconds', { forSeconds: -1 }, 'input.forSeconds'],
    ['a webhook that is not http(s)', { webhookUrl: 'ftp://example.com/hook' }, 'input.webhookUrl'],
    ['a webhook that is not a URL', { webhookUrl: 'not a url' }, 'input.webhookUrl'],
    ['a recovery threshold past the threshold', { recoveryThreshold: 0.9 }, 'input.recoveryThreshold'],
    ['a NO_DATA rule with a threshold', { kind: 'NO_DATA' }, 'input.metric'],
    ['an unknown metric', { metric: 'NOPE' }, 'input.metric'],
  ])('rejects %s as BAD_USER_INPUT naming the field', async (_what, overrides, field) => {
    const res = await graphql(srv.url, CREATE, { input: cpuRule(overrides) });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});

describe('alerts across a restart', () => {
  it('keeps the rule and a FIRING alert, which a later report resolves', async () => {
    const first = await startTestServer();
    const rule = await createRule(first, cpuRule({ clientId: 'host-r' }));
    await report(first, 'host-r', 10, 0.9);
    await report(first, 'host-r', 20, 0.9);
    await first.stop({ keepData: true });

    const srv = await startTestServer({ dataDir: first.dataDir });
    try {
      const rules = await graphql(srv.url, RULES);
      expect(rules.body.data.alertRules).toEqual([
        expect.objectContaining({
          id: rule.id,
          name: 'CPU hot',
          states: [{ clientId: 'host-r', state: 'FIRING', since: iso(20), value: 0.9 }],
        }),
      ]);
      await report(srv, 'host-r', 30, 0.7); // above recovery: still FIRING
      await report(srv, 'host-r', 40, 0.5);
      const history = await graphql(srv.url, ALERTS, { ruleId: rule.id });
      expect(history.body.data.alerts.map((e: { state: string }) => e.state)).toEqual([
        'RESOLVED',
        'FIRING',
        'PENDING',
      ]);
    } finally {
      await srv.stop();
    }
  });
});

describe('a NO_DATA rule', () => {
  const clock = { time: BASE + 60_000, now: () => clock.time };
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ clock });
  });
  afterAll(() => srv.stop());

  it('fires for a client silent for forSeconds (server clock) and resolves when it reports', async () => {
    const alerts = await subscribeAlerts(srv);
    const rule = await createRule(srv, {
      name: 'silent',
      kind: 'NO_DATA',
      forSeconds: 60,
      severity: 'WARNING',
    });
    expect(rule).toMatchObject({ kind: 'NO_DATA', metric: null, comparator: null, threshold: null });
    await report(srv, 'quiet', 10, 0.2);
    await report(srv, 'busy', 10, 0.2);

    clock.time += 30_000;
    srv.app.alerting.check();
    await report(srv, 'busy', 20, 0.2);
    clock.time += 31_000; // quiet: 61 s without a report; busy: 31 s
    srv.app.alerting.check();
    await waitFor(() => alerts.of('quiet').length >= 1, 'NO_DATA firing');
    const firedAt = new Date(clock.time).toISOString();
    expect(alerts.of('quiet')).toEqual([
      {
        ruleId: rule.id,
        ruleName: 'silent',
        clientId: 'quiet',
        state: 'FIRING',
        previous: 'OK',
        value: null,
        at: firedAt,
      },
    ]);
    srv.app.alerting.check(); // still silent: no second event

    await report(srv, 'quiet', 80, 0.2);
    await waitFor(() => alerts.of('quiet').length >= 2, 'NO_DATA resolved');
    expect(alerts.of('quiet').map((e: { state: string }) => e.state)).toEqual(['FIRING', 'RESOLVED']);
    expect(alerts.of('busy')).toEqual([]);
    const history = await graphql(srv.url, ALERTS, { ruleId: rule.id, state: 'FIRING', clientId: 'quiet' });
    expect(history.body.data.alerts).toMatchObject([
      { clientId: 'quiet', state: 'FIRING', value: null, message: 'quiet: no report for 60 s' },
    ]);
    await alerts.close();
  });
});

describe('alert scopes', () => {
  const tokens = {
    admin: 'admin-secret-0123456789',
    reader: 'reader-secret-0123456789',
    agent: 'agent-secret-0123456789',
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({
      env: {
        API_TOKENS: `admin:admin:${tokens.admin},reader:read:${tokens.reader},agent:ingest:${tokens.agent}`,
      },
    });
  });
  afterAll(() => srv.stop());

  it('lets only admin change rules, read (and admin) read them; ingest reads nothing', async () => {
    const rule = await createRule(srv, cpuRule(), bearer(tokens.admin));
    for (const [query, variables] of [
      [CREATE, { input: cpuRule() }],
      [UPDATE, { id: rule.id, input: cpuRule() }],
      [DELETE, { id: rule.id }],
    ] as const) {
      const res = await graphql(srv.url, query, variables, bearer(tokens.reader));
      expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    for (const query of [RULES, ALERTS]) {
      const read = await graphql(srv.url, query, {}, bearer(tokens.reader));
      expect(read.body.errors).toBeUndefined();
      const ingest = await graphql(srv.url, query, {}, bearer(tokens.agent));
      expect(ingest.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const anonymous = await graphql(srv.url, query, {});
      expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    const client = wsClient(srv.url, tokens.agent);
    const sub = collect(client, ALERT_EVENTS);
    await sub.until(1);
    expect(sub.errors).toMatchObject([{ extensions: { code: 'FORBIDDEN' } }]);
    await client.dispose();
  });
});

describe('alert webhooks', () => {
  let srv: TestServer;
  let hook: Server;
  let hookUrl: string;
  /** Every request the webhook received, with the status it answered (once it answered). */
  const received: { body: any; contentType: string | undefined; status?: number }[] = [];
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });

  beforeAll(async () => {
    // The receiver is on loopback, which webhooks may reach only when allowed.
    srv = await startTestServer({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    // The first request is held until the test releases it, then answered 500; later ones get 204.
    hook = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const entry: (typeof received)[number] = {
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          contentType: req.headers['content-type'],
        };
        received.push(entry);
        const status = received.length === 1 ? 500 : 204;
        if (received.length === 1) await held;
        entry.status = status;
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    release();
    await srv.stop();
    hook.closeAllConnections();
    await new Promise((resolve) => hook.close(resolve));
  });

  it('POSTs each transition as JSON, in order, retrying a failure; a held webhook does not delay the report', async () => {
    const rule = await createRule(srv, cpuRule({ clientId: 'host-w', forSeconds: 0, webhookUrl: hookUrl }));
    // PENDING and FIRING at once; the report is answered while the webhook holds the first delivery.
    await report(srv, 'host-w', 10, 0.9);
    expect(received.filter((r) => r.status !== undefined)).toEqual([]);
    await waitFor(() => received.length === 1, 'the first delivery to arrive');
    release();
    // 500, then retried after 1 s: PENDING again (204), then FIRING (204).
    await waitFor(
      () => received.length === 3 && received[2]?.status !== undefined,
      'the retry and the next event',
    );
    expect(received.map((r) => [r.body.state, r.status])).toEqual([
      ['PENDING', 500],
      ['PENDING', 204],
      ['FIRING', 204],
    ]);
    expect(received[0]?.contentType).toBe('application/json');
    expect(received[2]?.body).toMatchObject({
      ruleId: rule.id,
      ruleName: 'CPU hot',
      severity: 'CRITICAL',
      clientId: 'host-w',
      state: 'FIRING',
      previous: 'PENDING',
      value: 0.9,
      threshold: 0.8,
      at: iso(10),
    });
    expect(received[0]?.body.id).toBe(received[1]?.body.id);
  });
});

describe('two servers sharing DATA_DIR', () => {
  it("see each other's rules and states", async () => {
    const a = await startTestServer();
    const b = await startTestServer({ dataDir: a.dataDir });
    try {
      const rule = await createRule(a, cpuRule({ clientId: 'host-s', forSeconds: 0 }));
      await report(b, 'host-s', 10, 0.9); // evaluated by b, which did not create the rule
      const rules = await graphql(a.url, RULES);
      expect(rules.body.data.alertRules).toEqual([
        expect.objectContaining({ id: rule.id, states: [expect.objectContaining({ state: 'FIRING' })] }),
      ]);
      await report(a, 'host-s', 20, 0.1); // a knows of b's FIRING
      const history = await graphql(b.url, ALERTS, { ruleId: rule.id });
      expect(history.body.data.alerts.map((e: { state: string }) => e.state)).toEqual([
        'RESOLVED',
        'FIRING',
        'PENDING',
      ]);
    } finally {
      await b.stop({ keepData: true });
      await a.stop();
    }
  });
});

describe.skipIf(!hasBinary(redisBinary))('the NO_DATA lease with REDIS_URL', () => {
  let redis: RealServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('lets one replica check at a time, and another take over once it stops', async () => {
    const logger = createLogger('silent');
    const clock = { now: () => Date.now() };
    const replicas = [0, 1].map(() => {
      const live = createLive({ redisUrl: redis.url, logger });
      const dataDir = mkdtempSync(join(tmpdir(), 'mc-alerts-'));
      const lease = live.redis && new RedisLease(live.redis, 'test-lease');
      return {
        live,
        dataDir,
        alerting: createAlerting({ dataDir, live, clock, logger, lease }),
      };
    });
    const [first, second] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    try {
      expect(await first.alerting.tick()).toBe(true);
      expect(await second.alerting.tick()).toBe(false);
      expect(await first.alerting.tick()).toBe(true); // renewed
      await first.alerting.stop(); // releases the lease
      expect(await second.alerting.tick()).toBe(true);
    } finally {
      for (const r of replicas) {
        await r.alerting.stop();
        await r.live.close();
        rmSync(r.dataDir, { recursive: true, force: true });
      }
    }
  });
});
