import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers.js';
import { waitFor } from '../ws-helpers.js';
import { cpuRule, createRule, iso, report } from './cases.js';

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
