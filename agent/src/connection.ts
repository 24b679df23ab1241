import { type AgentCommandStatus, type Client, createClient } from '@metrics-collector/sdk/node';
import type { ReportWindow } from './report.js';

/** A command as the agent receives it on `agentCommands`. */
export interface AgentCommand {
  id: string;
  type: 'SET_SAMPLING_INTERVAL' | 'SET_REPORT_INTERVAL';
  intervalMs: number;
  status: AgentCommandStatus;
  expiresAt: unknown;
}

/** How the agent talks to the server; `sdkConnection` is the real one, tests may pass their own. */
export interface Connection {
  /** Resolves once the server stored the report; rejects with an `SdkError` otherwise. */
  report(report: ReportWindow): Promise<void>;
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
export function sdkConnection(options: { url: string; token?: string | undefined }): Connection {
  let up = false;
  const ws: Client = createClient({
    url: options.url,
    token: options.token,
    transport: 'ws',
    retry: false,
    ws: {
      retryAttempts: Number.POSITIVE_INFINITY,
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
      await (up ? ws : http).reportMetrics(report);
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
