import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPORT_MUTATION, reportInput } from '../../../../testing/fixtures.js';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { listen } from '../../../src/listen.js';
import { createLogger } from '../../../src/logger.js';
import { graphql, startTestServer } from '../../helpers.js';
import { waitFor } from '../../ws-helpers.js';
import { CREATE, closeReceiversAfterEach, cpuRule, startReceiver } from './cases.js';

closeReceiversAfterEach();

/** A report of `clientId` whose CPU utilisation breaches `cpuRule` (PENDING and FIRING at once). */
async function breach(url: string, clientId: string) {
  const cpu = { utilization: { mean: 0.9, variance: 0, min: 0.9, max: 0.9 } };
  const res = await graphql(url, REPORT_MUTATION, { input: reportInput({ clientId, cpu }) });
  expect(res.body.errors).toBeUndefined();
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
