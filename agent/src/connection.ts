import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { backoffDelay, sleep } from '@metrics-collector/common/backoff';
import {
  type AgentCommandStatus,
  type Client,
  createClient,
  type ReportMetricsInput,
} from '@metrics-collector/sdk/node';
import { parse } from 'graphql';
import type { ReportWindow } from './report.js';

/** A command as the agent receives it on `agentCommands`. */
export interface AgentCommand {
  id: string;
  type: 'SET_SAMPLING_INTERVAL' | 'SET_REPORT_INTERVAL';
  intervalMs: number;
  status: AgentCommandStatus;
  expiresAt: unknown;
}

/**
 * `reportMetrics` selecting only what the agent reads (it knows the rest): the answer on the wire is a
 * third of the SDK's method's.
 */
const ReportWindowDocument = parse(
  'mutation ReportWindow($input: ReportMetricsInput!) { reportMetrics(input: $input) { points } }',
) as TypedDocumentNode<{ reportMetrics: { points: number } }, { input: ReportMetricsInput }>;

/** How the agent talks to the server; `sdkConnection` is the real one, tests may pass their own. */
export interface Connection {
  /** Resolves, with the transport it went over, once the server stored the report; rejects with an `SdkError` otherwise. */
  report(report: ReportWindow): Promise<'ws' | 'http'>;
  /** The client's command stream: pending commands first, then new ones. Ends or throws when the stream does. */
  commands(clientId: string): AsyncIterableIterator<AgentCommand>;
  acknowledge(id: string, status: 'APPLIED' | 'FAILED', message?: string): Promise<void>;
  /** Whether reports currently travel over the WebSocket. */
  readonly viaWebSocket: boolean;
  close(): Promise<void>;
}

/**
 * The agent's connection through the SDK: one WebSocket that carries the command stream and, while it is
 * up, the reports too (the SDK's `ws` transport: no HTTP request per report); HTTP while it is down. The
 * SDK's own retries are off: the spool and the sender retry, with backoff, for as long as it takes.
 */
export function sdkConnection(options: {
  url: string;
  token?: string | undefined;
  /** Longest wait between reconnection attempts of the WebSocket. @default 30 s */
  retryMaxMs?: number;
}): Connection {
  let up = false;
  const retry = { minMs: Math.min(1_000, options.retryMaxMs ?? 30_000), maxMs: options.retryMaxMs ?? 30_000 };
  const ws: Client = createClient({
    url: options.url,
    token: options.token,
    transport: 'ws',
    // A report every few seconds repeats the previous one's query, keys and identity: deflate takes it
    // from about 1,600 to 250 bytes on the wire.
    compression: true,
    retry: false,
    ws: {
      retryAttempts: Number.POSITIVE_INFINITY,
      retryWait: (retries) => sleep(backoffDelay(retries + 1, retry)),
      on: {
        connected: () => {
          up = true;
        },
        closed: () => {
          up = false;
        },
      },
    },
  });
  const http: Client = createClient({ url: options.url, token: options.token, retry: false });
  return {
    get viaWebSocket() {
      return up;
    },
    report: async (report) => {
      const via = up ? 'ws' : 'http';
      await (via === 'ws' ? ws : http).request(ReportWindowDocument, { input: report }, { idempotent: true });
      return via;
    },
    commands: (clientId) =>
      ws.subscriptions.agentCommands({ clientId }) as AsyncIterableIterator<AgentCommand>,
    acknowledge: async (id, status, message) => {
      await (up ? ws : http).acknowledgeAgentCommand({ id, status, message: message ?? null });
    },
    close: async () => {
      await Promise.all([ws.close(), http.close()]);
    },
  };
}
