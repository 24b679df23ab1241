import type { PubSub } from '@graphql-yoga/subscription';
import type { AlertEvent } from '../alerts/types.js';
import type { AgentCommand } from '../commands/types.js';
import type { SeriesPoint } from '../metrics/types.js';

/** One accepted report as stored: what `metricReported` delivers. Times are epoch ms. */
export interface ReportedWindow {
  clientId: string;
  windowStart: number;
  windowEnd: number;
  observations: number;
  /** Every series window the report stored, derived ones included. */
  points: readonly SeriesPoint[];
}

export const clientStatuses = ['ONLINE', 'STALE', 'OFFLINE'] as const;
export type ClientStatus = (typeof clientStatuses)[number];

/**
 * A client's liveness changed: ONLINE when a report is stored, STALE after 3 report intervals without one,
 * OFFLINE after 10 (the server's defaults) or when its last command stream closes.
 */
export interface ClientStatusEvent {
  clientId: string;
  status: ClientStatus;
  /** `null` for a client seen for the first time since the server started. */
  previous: ClientStatus | null;
  /** Epoch ms. */
  at: number;
}

/**
 * The live topics and what each carries. A topic with an id (`[id, payload]`) reaches only subscribers
 * of that id: commands are routed to one client. Payloads must survive JSON (they cross Redis).
 */
export type LiveTopics = {
  metricReported: [ReportedWindow];
  clientStatusChanged: [ClientStatusEvent];
  alertEvents: [AlertEvent];
  agentCommands: [clientId: string, command: AgentCommand];
  /** `forgetClient` removed the client: each server's status tracker and NO_DATA rules drop it. */
  clientForgotten: [{ clientId: string; at: number }];
};

/** Live events: the pubsub subscriptions read, and what happens once a report is stored. */
export interface Live {
  pubsub: PubSub<LiveTopics>;
  /**
   * Called by the ingest service after a report was stored, on the server that stored it (once per
   * report, whatever the number of replicas): publishes it and feeds client status and alert rules.
   */
  reported(window: ReportedWindow): void;
  /**
   * Registers an open `agentCommands` subscription of the client on this server; call the returned
   * function when it ends. (When the client's last one ends, the server tells its status tracker.)
   */
  openCommandStream(clientId: string): () => void;
}
