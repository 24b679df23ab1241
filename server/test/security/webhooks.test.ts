import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPublicAddress, isPublicHostname } from '@metrics-collector/schema/network';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { PrivateAddressError, type ResolveHost, sendWebhook } from '../../src/alerts/webhook.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { listen } from '../../src/listen.js';
import { createLogger } from '../../src/logger.js';
import { graphql, startTestServer, type TestServer } from '../helpers.js';
import { waitFor } from '../ws-helpers.js';

const CREATE = 'mutation ($input: AlertRuleInput!) { createAlertRule(input: $input) { id webhookUrl } }';
const UPDATE =
  'mutation ($id: ID!, $input: AlertRuleInput!) { updateAlertRule(id: $id, input: $input) { id webhookUrl } }';
const RULES = '{ alertRules { id webhookUrl } }';

const cpuRule = (overrides: Record<string, unknown> = {}) => ({
  name: 'CPU hot',
  metric: 'CPU_UTILIZATION',
  comparator: 'ABOVE',
  threshold: 0.8,
  forSeconds: 0,
  ...overrides,
});

/** A report of `clientId` whose CPU utilisation breaches `cpuRule` (PENDING and FIRING at once). */
async function breach(url: string, clientId: string) {
  const cpu = { utilization: { mean: 0.9, variance: 0, min: 0.9, max: 0.9 } };
  const res = await graphql(url, REPORT_MUTATION, { input: reportInput({ clientId, cpu }) });
  expect(res.body.errors).toBeUndefined();
}

interface Receiver {
  url: string;
  port: number;
  /** Every request, in order. */
  received: { path: string; body: string; headers: Record<string, unknown> }[];
  /** TCP connections accepted, whether or not a request followed. */
  connections: number;
  close(): Promise<void>;
}

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** An HTTP server on loopback that records what reaches it and answers with `answer` (204 by default). */
async function startReceiver(answer: (res: ServerResponse) => void = (res) => res.writeHead(204).end()) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      receiver.received.push({
        path: req.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        headers: req.headers,
      });
      answer(res);
    });
  });
  server.on('connection', () => {
    receiver.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}`,
    port,
    received: [],
    connections: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  receivers.push(receiver);
  return receiver;
}

/** A server like `startTestServer`'s whose log lines (level `warn` and above) are kept in `logs`. */
async function startLoggedServer(env: Record<string, string>) {
  const logs: Record<string, any>[] = [];
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', ...env });
  const app = buildApp(config, {
    logger: createLogger('warn', { write: (line: string) => void logs.push(JSON.parse(line)) }),
  });
  const { url, close } = await listen(app, config);
  return { app, url, logs, stop: close };
}

/** A resolver stub that records the names asked and answers `addresses` for each. */
function stubLookup(addresses: { address: string; family: number }[]) {
  const asked: string[] = [];
  const lookup: ResolveHost = async (hostname) => {
    asked.push(hostname);
    return addresses;
  };
  return { asked, lookup };
}

const timeout = () => AbortSignal.timeout(10_000);

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '0.0.0.0',
    '10.1.2.3',
    '100.64.0.1',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '192.0.2.1',
    '198.18.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '::7f00:1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '2001:db8::1',
    '2002:7f00:1::1',
    '2001::1',
    'not an address',
  ])('says %s is not public', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('says %s is public', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });

  it('refuses localhost names and non-public IP literals as URL hostnames, and leaves other names to the lookup', () => {
    for (const url of [
      'http://localhost/',
      'http://LOCALHOST./',
      'http://a.b.localhost/',
      'http://0x7f.1/',
    ]) {
      expect({ url, public: isPublicHostname(new URL(url).hostname) }).toEqual({ url, public: false });
    }
    for (const url of ['http://hooks.example.com/', 'http://[2606:4700:4700::1111]/', 'http://8.8.8.8/']) {
      expect({ url, public: isPublicHostname(new URL(url).hostname) }).toEqual({ url, public: true });
    }
  });
});

const PRIVATE_URLS = [
  'http://127.0.0.1:1/x',
  'http://[::1]/',
  'http://10.0.0.1/',
  'http://169.254.169.254/latest/meta-data',
  'http://192.168.1.1/',
  'http://[::ffff:127.0.0.1]/',
  'http://2130706433/',
  'http://0x7f.1/',
  'http://localhost:8080/',
  'http://hooks.localhost/',
  'http://100.64.0.1/',
  'http://0.0.0.0/',
  'http://[fd00::1]/',
  'http://[fe80::1]/',
  'https://224.0.0.1/',
];

describe('creating a rule with a private webhook address, by default', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv.stop());

  it.each(PRIVATE_URLS)('refuses %s as BAD_USER_INPUT naming input.webhookUrl', async (webhookUrl) => {
    const res = await graphql(srv.url, CREATE, { input: cpuRule({ webhookUrl }) });
    expect(res.status).toBe(400);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.webhookUrl',
    });
    expect(res.body.errors?.[0]?.message).toContain('WEBHOOK_ALLOW_PRIVATE=true');
  });

  it('stored none of them', async () => {
    const rules = await graphql(srv.url, RULES);
    expect(rules.body).toEqual({ data: { alertRules: [] } });
  });
});

describe('updating a rule to a private webhook address, by default', () => {
  it('accepts a public https URL and refuses each private one, keeping the rule as it was', async () => {
    const srv = await startTestServer();
    try {
      const created = await graphql(srv.url, CREATE, {
        input: cpuRule({ webhookUrl: 'https://hooks.example.com/x' }),
      });
      expect(created.body.errors).toBeUndefined();
      const rule = created.body.data.createAlertRule;
      expect(rule.webhookUrl).toBe('https://hooks.example.com/x');
      for (const webhookUrl of PRIVATE_URLS) {
        const res = await graphql(srv.url, UPDATE, { id: rule.id, input: cpuRule({ webhookUrl }) });
        expect({ webhookUrl, extensions: res.body.errors?.[0]?.extensions }).toMatchObject({
          webhookUrl,
          extensions: { code: 'BAD_USER_INPUT', field: 'input.webhookUrl' },
        });
      }
      const rules = await graphql(srv.url, RULES);
      expect(rules.body.data.alertRules).toEqual([
        { id: rule.id, webhookUrl: 'https://hooks.example.com/x' },
      ]);
    } finally {
      await srv.stop();
    }
  });
});

describe('WEBHOOK_ALLOW_PRIVATE=true', () => {
  it('accepts private webhook addresses', async () => {
    const srv = await startTestServer({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    try {
      for (const webhookUrl of ['http://127.0.0.1:1/x', 'http://localhost:8080/', 'http://[::1]/']) {
        const res = await graphql(srv.url, CREATE, { input: cpuRule({ webhookUrl }) });
        expect(res.body).toMatchObject({ data: { createAlertRule: { webhookUrl } } });
      }
    } finally {
      await srv.stop();
    }
  });
});

describe('sendWebhook, on the address it connects to', () => {
  it('refuses a name that resolves to loopback when sent, without connecting', async () => {
    const receiver = await startReceiver();
    const { asked, lookup } = stubLookup([{ address: '127.0.0.1', family: 4 }]);
    const sent = sendWebhook(`http://hooks.example.com:${receiver.port}/x`, '{}', {
      signal: timeout(),
      lookup,
    });
    await expect(sent).rejects.toBeInstanceOf(PrivateAddressError);
    await expect(sent).rejects.toMatchObject({ hostname: 'hooks.example.com', address: '127.0.0.1' });
    expect(asked).toEqual(['hooks.example.com']);
    expect(receiver.connections).toBe(0);
  });

  it('connects to the address the lookup gave when private addresses are allowed', async () => {
    // The same stub and receiver as above: the refusal is what kept the request away.
    const receiver = await startReceiver();
    const { lookup } = stubLookup([{ address: '127.0.0.1', family: 4 }]);
    const status = await sendWebhook(`http://hooks.example.com:${receiver.port}/x`, '{"state":"FIRING"}', {
      signal: timeout(),
      lookup,
      allowPrivate: true,
    });
    expect(status).toBe(204);
    expect(receiver.received).toMatchObject([
      {
        path: '/x',
        body: '{"state":"FIRING"}',
        headers: { 'content-type': 'application/json', 'user-agent': 'metrics-collector' },
      },
    ]);
  });

  it.each([
    [[{ address: '::ffff:127.0.0.1', family: 6 }], '::ffff:127.0.0.1'],
    [
      [
        { address: '93.184.215.14', family: 4 },
        { address: '10.0.0.7', family: 4 },
      ],
      '10.0.0.7',
    ],
    [[{ address: '::1', family: 6 }], '::1'],
  ])('refuses a name that resolves to %j', async (addresses, address) => {
    const receiver = await startReceiver();
    const { lookup } = stubLookup(addresses);
    const sent = sendWebhook(`http://hooks.example.com:${receiver.port}/x`, '{}', {
      signal: timeout(),
      lookup,
    });
    await expect(sent).rejects.toMatchObject({ name: 'PrivateAddressError', address });
    expect(receiver.connections).toBe(0);
  });

  it.each([
    (port: number) => `http://127.0.0.1:${port}/x`,
    (port: number) => `http://[::ffff:127.0.0.1]:${port}/x`,
    (port: number) => `http://2130706433:${port}/x`,
    (port: number) => `http://localhost:${port}/x`,
  ])('refuses the literal host of %s before connecting', async (urlFor) => {
    const receiver = await startReceiver();
    const { asked, lookup } = stubLookup([{ address: '93.184.215.14', family: 4 }]);
    await expect(
      sendWebhook(urlFor(receiver.port), '{}', { signal: timeout(), lookup }),
    ).rejects.toBeInstanceOf(PrivateAddressError);
    expect(asked).toEqual([]);
    expect(receiver.connections).toBe(0);
  });

  it('does not follow a redirect', async () => {
    const target = await startReceiver();
    const redirecting = await startReceiver((res) =>
      res.writeHead(302, { location: `${target.url}/internal` }).end(),
    );
    const status = await sendWebhook(`${redirecting.url}/hook`, '{}', {
      signal: timeout(),
      allowPrivate: true,
    });
    expect(status).toBe(302);
    expect(redirecting.received).toHaveLength(1);
    expect(target.connections).toBe(0);
  });
});

describe('webhook deliveries', () => {
  it('refuses, without retrying, a stored rule whose webhook became private (created while allowed)', async () => {
    const receiver = await startReceiver();
    const first = await startTestServer({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    const created = await graphql(first.url, CREATE, {
      input: cpuRule({ clientId: 'host-p', webhookUrl: `${receiver.url}/hook` }),
    });
    expect(created.body.errors).toBeUndefined();
    await first.stop({ keepData: true });

    // The same rule, now served with the default WEBHOOK_ALLOW_PRIVATE=false.
    const srv = await startLoggedServer({ DATA_DIR: first.dataDir });
    try {
      await breach(srv.url, 'host-p'); // PENDING and FIRING: two deliveries
      const refusals = () => srv.logs.filter((l) => l.msg === 'webhook refused: private address');
      await waitFor(() => refusals().length === 2, 'both deliveries refused', 20_000);
      expect(refusals()).toMatchObject([
        { level: 50, url: `${receiver.url}/hook`, address: '127.0.0.1' },
        { level: 50, url: `${receiver.url}/hook`, address: '127.0.0.1' },
      ]);
      // Not retried: the second delivery waits in the queue behind the first one's retries.
      expect(srv.logs.filter((l) => String(l.msg).startsWith('webhook failed'))).toEqual([]);
      expect(receiver.connections).toBe(0);
    } finally {
      await srv.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });

  it('does not follow a 302 and does not retry it (WEBHOOK_ALLOW_PRIVATE=true)', async () => {
    const target = await startReceiver();
    const redirecting = await startReceiver((res) =>
      res.writeHead(302, { location: `${target.url}/internal` }).end(),
    );
    const dataDir = mkdtempSync(join(tmpdir(), 'mc-webhook-redirect-'));
    const srv = await startLoggedServer({ DATA_DIR: dataDir, WEBHOOK_ALLOW_PRIVATE: 'true' });
    try {
      const created = await graphql(srv.url, CREATE, {
        input: cpuRule({ clientId: 'host-r', webhookUrl: `${redirecting.url}/hook` }),
      });
      expect(created.body.errors).toBeUndefined();
      await breach(srv.url, 'host-r');
      const givenUp = () => srv.logs.filter((l) => l.msg === 'webhook failed: giving up');
      await waitFor(() => givenUp().length === 2, 'both deliveries given up', 20_000);
      expect(givenUp()).toMatchObject([
        { attempt: 1, err: 'HTTP 302: redirect not followed' },
        { attempt: 1, err: 'HTTP 302: redirect not followed' },
      ]);
      // One attempt each, in order: a retry of PENDING would come before FIRING.
      expect(redirecting.received.map((r) => JSON.parse(r.body).state)).toEqual(['PENDING', 'FIRING']);
      expect(target.connections).toBe(0);
    } finally {
      await srv.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
