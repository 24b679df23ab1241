/** What several of the webhook tests use: the rule operations, a CPU rule, and receivers on loopback. */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export const CREATE =
  'mutation ($input: AlertRuleInput!) { createAlertRule(input: $input) { id webhookUrl } }';
export const UPDATE =
  'mutation ($id: ID!, $input: AlertRuleInput!) { updateAlertRule(id: $id, input: $input) { id webhookUrl } }';
export const RULES = '{ alertRules { id webhookUrl } }';

export const cpuRule = (overrides: Record<string, unknown> = {}) => ({
  name: 'CPU hot',
  metric: 'CPU_UTILIZATION',
  comparator: 'ABOVE',
  threshold: 0.8,
  forSeconds: 0,
  ...overrides,
});

export interface Receiver {
  url: string;
  port: number;
  /** Every request, in order. */
  received: { path: string; body: string; headers: Record<string, unknown> }[];
  /** TCP connections accepted, whether or not a request followed. */
  connections: number;
  close(): Promise<void>;
}

const receivers: Receiver[] = [];

/** Closes, after each test of the file that calls this, the receivers the test started. */
export function closeReceiversAfterEach(): void {
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
}

/** An HTTP server on loopback that records what reaches it and answers with `answer` (204 by default). */
export async function startReceiver(
  answer: (res: ServerResponse) => void = (res) => res.writeHead(204).end(),
) {
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
