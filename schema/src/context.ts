import type { PubSub } from '@graphql-yoga/subscription';
import type { Metric } from './catalogue.js';

/** One window's statistics of one series. */
export interface Stat {
  mean: number;
  variance: number;
  min: number;
  max: number;
}

/** One stored window of one series: what a report becomes after validation. Times are epoch ms. */
export interface SeriesPoint extends Stat {
  clientId: string;
  metric: Metric;
  /** Core number for per-core series, `null` otherwise. */
  core: number | null;
  windowStart: number;
  windowEnd: number;
  /** Observations (samples) the window pooled. */
  count: number;
}

export const aggregates = ['MEAN', 'MIN', 'MAX', 'MEDIAN', 'P90', 'P95', 'P99', 'COUNT', 'LAST'] as const;
export type Aggregate = (typeof aggregates)[number];

export const fills = ['NONE', 'NULL', 'PREVIOUS', 'LINEAR', 'ZERO'] as const;
export type Fill = (typeof fills)[number];

/** Which series a query reads: one metric, one client or all (`null`), one core or all (`null`). */
export interface SeriesSelector {
  metric: Metric;
  clientId: string | null;
  core: number | null;
  /** Windows whose start lies in `[from, to)`, epoch ms. */
  from: number;
  to: number;
}

/** The pooled statistics of the windows in one group (a time bucket or one client's range). */
export interface PooledStats {
  /** Observations pooled (sum of window counts). */
  count: number;
  /** Observation-weighted mean of the window means. */
  mean: number;
  /** Pooled population variance (law of total variance over the windows). */
  variance: number;
  min: number;
  max: number;
  /** The requested aggregate of the group. */
  value: number;
}

/**
 * A group's `value` for `aggregate`: one of its pooled statistics, or for MEDIAN, P90/P95/P99 and LAST
 * the `ranked` value the store computed over the window means.
 */
export function aggregateValue(
  stats: Omit<PooledStats, 'value'>,
  aggregate: Aggregate,
  ranked: number | undefined,
): number {
  switch (aggregate) {
    case 'MEAN':
      return stats.mean;
    case 'MIN':
      return stats.min;
    case 'MAX':
      return stats.max;
    case 'COUNT':
      return stats.count;
    default:
      return ranked as number;
  }
}

export interface Bucket extends PooledStats {
  /** Bucket start, epoch ms, a multiple of the resample interval. */
  start: number;
}

export interface ClientSummary extends PooledStats {
  clientId: string;
}

/**
 * Time-series storage. Both implementations (embedded SQLite, InfluxDB) pass one contract suite with the
 * same expectations.
 */
export interface MetricStore {
  /** Stores all points or none; resolves only once they are committed. Re-writing a window overwrites it. */
  write(points: readonly SeriesPoint[]): Promise<void>;
  /** Non-empty buckets aligned to epoch multiples of `resample` ms, ascending. */
  history(selector: SeriesSelector, resample: number, aggregate: Aggregate): Promise<Bucket[]>;
  /** One row per client over the whole range, ordered by client id. */
  summarize(selector: SeriesSelector, aggregate: Aggregate): Promise<ClientSummary[]>;
  /** Throws when the store cannot serve; used by `/ready`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What a report says about its client. */
export interface ClientSighting {
  id: string;
  hostname: string | null;
  osType: string | null;
  osVersion: string | null;
  coreCount: number | null;
  /** Epoch ms of the report's window end. */
  seenAt: number;
}

export interface ClientRecord {
  id: string;
  hostname: string | null;
  osType: string | null;
  osVersion: string | null;
  coreCount: number | null;
  firstSeen: number;
  lastSeen: number;
}

/** One page of the client registry, ordered by id. */
export interface ClientPage {
  first: number;
  /** The last id of the page before; `null` for the first page. */
  after: string | null;
}

/** Server state that is not a time series: for now the client registry. */
export interface StateStore {
  /**
   * Registers the client on first sight, updates what changed after; resolves once committed. The host
   * details are those of the newest window (largest `seenAt`): an older sighting, such as a backlog sent
   * after an outage, only fills details that are still unknown.
   */
  recordSighting(sighting: ClientSighting): Promise<void>;
  /** Clients ordered by id: at most `first` of them, those after the id `after` (`null`: from the first). */
  listClients(page: ClientPage): Promise<ClientRecord[]>;
  /** How many clients are registered. */
  countClients(): Promise<number>;
  getClient(id: string): Promise<ClientRecord | null>;
  close(): Promise<void>;
}

export interface Clock {
  now(): number;
}

export const scopes = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof scopes)[number];

/** Who is calling. With auth off every scope is granted. */
export interface Principal {
  /** Token name, or `null` for an anonymous caller. */
  name: string | null;
  scopes: ReadonlySet<Scope>;
  /**
   * Whether the caller may act for a client: report as it, take and acknowledge its commands (reads are
   * not restricted). `null` for a caller not bound to clients, who may act for every client.
   */
  clients: ((clientId: string) => boolean) | null;
  /** The patterns `clients` matches (`rack12-*`), for messages; `null` when unbound. */
  clientPatterns: readonly string[] | null;
}

/** Limits the service functions enforce. */
export interface Limits {
  maxBuckets: number;
  maxCores: number;
  maxStringLength: number;
  /** How far in the future a window may end, ms. */
  maxFutureSkew: number;
  /**
   * Whether alert webhooks may point at loopback, private and other non-public addresses
   * (`WEBHOOK_ALLOW_PRIVATE`). @default false
   */
  allowPrivateWebhooks: boolean;
}

export const defaultLimits: Limits = {
  maxBuckets: 10_000,
  maxCores: 1_024,
  maxStringLength: 256,
  maxFutureSkew: 86_400_000,
  allowPrivateWebhooks: false,
};

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

/** A client's liveness changed (DESIGN: ONLINE on report, STALE after 3 missed intervals, OFFLINE after 10). */
export interface ClientStatusEvent {
  clientId: string;
  status: ClientStatus;
  /** `null` for a client seen for the first time since the server started. */
  previous: ClientStatus | null;
  /** Epoch ms. */
  at: number;
}

// ---- alerts (owned by the alerting module: schema/src/alerts.ts, server/src/alerts/) ----

export const alertStates = ['OK', 'PENDING', 'FIRING', 'RESOLVED'] as const;
export type AlertState = (typeof alertStates)[number];

export const alertRuleKinds = ['THRESHOLD', 'NO_DATA'] as const;
export type AlertRuleKind = (typeof alertRuleKinds)[number];
export const alertComparators = ['ABOVE', 'BELOW'] as const;
export type AlertComparator = (typeof alertComparators)[number];
export const alertSeverities = ['INFO', 'WARNING', 'CRITICAL'] as const;
export type AlertSeverity = (typeof alertSeverities)[number];

/** What an operator says about a rule (validated by `schema/src/service/alerts.ts`). */
export interface AlertRuleSpec {
  name: string;
  kind: AlertRuleKind;
  /** THRESHOLD: the series compared; `null` for NO_DATA. */
  metric: Metric | null;
  /** THRESHOLD only. */
  comparator: AlertComparator | null;
  /** THRESHOLD only. */
  threshold: number | null;
  /** THRESHOLD only: a FIRING alert resolves only once the value crosses this (hysteresis). */
  recoveryThreshold: number | null;
  /** THRESHOLD: how long (report time) the breach must last; NO_DATA: how long a client must be silent. */
  forSeconds: number;
  /** `null`: every client. */
  clientId: string | null;
  severity: AlertSeverity;
  /** Each transition is POSTed here as JSON. */
  webhookUrl: string | null;
}

export interface AlertRule extends AlertRuleSpec {
  id: string;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
}

/** The current state of one (rule, client). */
export interface AlertStatus {
  ruleId: string;
  clientId: string;
  state: AlertState;
  /** Epoch ms of the transition into `state` (for PENDING: when the breach started). */
  since: number;
  /** The value at that transition; `null` for NO_DATA. */
  value: number | null;
}

/** One transition of one (rule, client), as stored in the alert history and published on `alertEvents`. */
export interface AlertEvent {
  id: string;
  ruleId: string;
  /** The rule as it was at the transition (the history outlives a rule's changes and deletion). */
  ruleName: string;
  kind: AlertRuleKind;
  severity: AlertSeverity;
  metric: Metric | null;
  threshold: number | null;
  clientId: string;
  state: AlertState;
  previous: AlertState;
  /** The value that caused the transition; `null` for NO_DATA. */
  value: number | null;
  /** Epoch ms of the transition, in report time (the window's end) or the clock's for NO_DATA. */
  at: number;
  /** For people: what happened. */
  message: string;
}

/** Which transitions `AlertStore.history` returns: newest first, `at` in `[from, to)`. */
export interface AlertHistoryQuery {
  state: AlertState | null;
  clientId: string | null;
  ruleId: string | null;
  from: number;
  to: number;
  limit: number;
}

/**
 * Alert rules, their current states and history: implemented by the alerting module, in
 * `DATA_DIR/alerts.db`. Every change resolves once it is committed.
 */
export interface AlertStore {
  createRule(spec: AlertRuleSpec, now: number): Promise<AlertRule>;
  /** Replaces the rule's spec; `null` for an unknown id. */
  updateRule(id: string, spec: AlertRuleSpec, now: number): Promise<AlertRule | null>;
  /** Deletes the rule and its current states (its history stays); `null` for an unknown id. */
  deleteRule(id: string): Promise<AlertRule | null>;
  getRule(id: string): Promise<AlertRule | null>;
  /** Every rule, oldest first. */
  listRules(): Promise<AlertRule[]>;
  /** The rule's current state per client, by client id. */
  states(ruleId: string): Promise<AlertStatus[]>;
  history(query: AlertHistoryQuery): Promise<AlertEvent[]>;
}

// ---- commands to agents (owned by the commands module: schema/src/commands.ts, server/src/commands/) ----

export const agentCommandTypes = ['SET_SAMPLING_INTERVAL', 'SET_REPORT_INTERVAL'] as const;
export type AgentCommandType = (typeof agentCommandTypes)[number];
export const agentCommandStatuses = ['PENDING', 'DELIVERED', 'APPLIED', 'FAILED', 'EXPIRED'] as const;
export type AgentCommandStatus = (typeof agentCommandStatuses)[number];

export interface AgentCommand {
  id: string;
  clientId: string;
  type: AgentCommandType;
  /** The new interval in ms for SET_SAMPLING_INTERVAL and SET_REPORT_INTERVAL. */
  intervalMs: number;
  status: AgentCommandStatus;
  /** The agent's reason for FAILED, or why it EXPIRED. */
  message: string | null;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
}

/** What `CommandStore.enqueue` needs; the store adds the id and the status (PENDING). */
export interface NewAgentCommand {
  clientId: string;
  type: AgentCommandType;
  intervalMs: number;
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
}

/** How an agent answers a command. */
export const agentCommandOutcomes = ['APPLIED', 'FAILED'] as const;
export type AgentCommandOutcome = (typeof agentCommandOutcomes)[number];

/** What `CommandStore.acknowledge` did: nothing for an unknown id or a command that is already final. */
export type AcknowledgeResult =
  | { result: 'acknowledged'; command: AgentCommand }
  | { result: 'not-found' }
  /** Already APPLIED, FAILED or EXPIRED (expiry included, as of `now`): left as it was. */
  | { result: 'final'; command: AgentCommand };

/**
 * The command queue: implemented by the commands module, in `DATA_DIR/commands.db`. Every read and
 * transition first marks the commands whose `expiresAt` passed (as of `now`) EXPIRED, so an overdue command
 * is never delivered or acknowledged, whether or not the expiry timer has run yet.
 */
export interface CommandStore {
  /** Queues a PENDING command under a new id; resolves with it once committed. */
  enqueue(command: NewAgentCommand): Promise<AgentCommand>;
  /** The client's commands, newest first, at most `limit`; only those in `status` when it is given. */
  list(
    clientId: string,
    options: { status: AgentCommandStatus | null; limit: number; now: number },
  ): Promise<AgentCommand[]>;
  /** The client's commands not yet acknowledged (PENDING or DELIVERED) and not expired, oldest first. */
  unacknowledged(clientId: string, now: number): Promise<AgentCommand[]>;
  /** The command with this id as of `now` (expiry applied), or `null` when it is unknown. */
  get(id: string, now: number): Promise<AgentCommand | null>;
  /**
   * Marks a PENDING command DELIVERED and returns it; a DELIVERED one is returned as it is (delivered
   * again). `null` when it is unknown, acknowledged or expired: it must not be delivered.
   */
  deliver(id: string, now: number): Promise<AgentCommand | null>;
  /** Moves a PENDING or DELIVERED command to `outcome` with the agent's message. */
  acknowledge(
    id: string,
    outcome: AgentCommandOutcome,
    message: string | null,
    now: number,
  ): Promise<AcknowledgeResult>;
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

/** Everything a resolver or REST shim needs, built by the server per request. */
export interface Context {
  metrics: MetricStore;
  state: StateStore;
  live: Live;
  alerts: AlertStore;
  commands: CommandStore;
  clock: Clock;
  principal: Principal;
  limits: Limits;
}
