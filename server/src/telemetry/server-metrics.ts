import { agentCommandStatuses } from '@metrics-collector/schema/commands/types';
import type { ReportObserver, Transport } from '@metrics-collector/schema/context';
import { errorRegistry } from '@metrics-collector/schema/errors';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the server exposes on `GET /metrics` (docs/metrics.md lists every family). */
const PREFIX = 'metrics_collector_';

let processMetrics: Registry | undefined;

/**
 * prom-client's process metrics, collected once per process: they describe the process, and several
 * servers in one process (the tests) would otherwise each add a GC observer and an event-loop monitor.
 */
function processRegistry(): Registry {
  if (processMetrics) return processMetrics;
  processMetrics = new Registry();
  collectDefaultMetrics({ register: processMetrics });
  // Gauges named like counters, which `promtool check metrics` refuses; their per-type gauges stay
  // (`nodejs_active_handles` and so on, `sum()` them for the total).
  for (const name of ['handles', 'requests', 'resources']) {
    processMetrics.removeSingleMetric(`nodejs_active_${name}_total`);
  }
  return processMetrics;
}

/** Latency buckets, seconds: from a fast SQLite commit (sub-millisecond) to a slow InfluxDB answer. */
const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Error codes as labels: the registry's, anything else one fixed value, so the label set stays bounded. */
export function codeLabel(code: unknown): string {
  return typeof code === 'string' && Object.hasOwn(errorRegistry, code) ? code : 'OTHER';
}

/**
 * A counter's children by one label value, made on first use and kept: the hot paths call `.inc()` on a
 * child and build no label object. Only for label values from a bounded set (the error registry, routes).
 */
class Children<T> {
  readonly #made = new Map<string, T>();
  constructor(readonly make: (value: string) => T) {}
  get(value: string): T {
    let child = this.#made.get(value);
    if (child === undefined) {
      child = this.make(value);
      this.#made.set(value, child);
    }
    return child;
  }
}

type CounterChild = ReturnType<Counter<string>['labels']>;
type HistogramChild = ReturnType<Histogram<string>['labels']>;

/**
 * The server's own numbers, in a registry of its own (several servers may run in one test process): the
 * families, their children bound once, and the methods the components call on their events.
 */
export class ServerMetrics {
  /** The server's own families; `text()` adds the process's. */
  readonly registry = new Registry();
  #exposed: Registry | undefined;
  readonly #reports = new Counter({
    name: `${PREFIX}reports_total`,
    help: 'Reports received, by transport and outcome (stored, or the error code that refused them).',
    labelNames: ['transport', 'outcome'],
    registers: [this.registry],
  });
  readonly #points = new Counter({
    name: `${PREFIX}points_total`,
    help: 'Series points of the reports received, by transport and outcome (stored, or the refusing code).',
    labelNames: ['transport', 'outcome'],
    registers: [this.registry],
  });
  readonly storeWrite: Histogram<string>;
  readonly history: Histogram<string>;
  readonly groupCommit = new Histogram({
    name: `${PREFIX}sqlite_group_commit_seconds`,
    help: 'SQLite store: time from sending a group of writes to the write thread until it committed.',
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly groupReports = new Histogram({
    name: `${PREFIX}sqlite_group_reports`,
    help: 'SQLite store: reports (writes) per group commit.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });
  readonly groupPoints = new Histogram({
    name: `${PREFIX}sqlite_group_points`,
    help: 'SQLite store: series points per group commit.',
    buckets: [10, 50, 100, 500, 1000, 5000, 10000, 50000],
    registers: [this.registry],
  });
  readonly #operations = new Counter({
    name: `${PREFIX}graphql_operations_total`,
    help: 'GraphQL operations by name (the names the SDK uses, else "other" or "anonymous"), type and error code ("none" when it succeeded).',
    labelNames: ['operation', 'type', 'code'],
    registers: [this.registry],
  });
  readonly #requests = new Counter({
    name: `${PREFIX}http_requests_total`,
    help: 'HTTP requests answered, by route pattern and status.',
    labelNames: ['route', 'status'],
    registers: [this.registry],
  });
  readonly #requestSeconds = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'Time to answer an HTTP request, by route pattern (a subscription over SSE: until it ended).',
    labelNames: ['route'],
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly wsConnections = new Gauge({
    name: `${PREFIX}ws_connections`,
    help: 'WebSocket (graphql-ws) connections open.',
    registers: [this.registry],
  });
  readonly wsConnectionsOpened = new Counter({
    name: `${PREFIX}ws_connections_opened_total`,
    help: 'WebSocket (graphql-ws) connections accepted.',
    registers: [this.registry],
  });
  readonly subscriptions = new Gauge({
    name: `${PREFIX}subscriptions`,
    help: 'Subscriptions running over graphql-ws, by root field.',
    labelNames: ['field'],
    registers: [this.registry],
  });
  readonly subscriptionsStarted = new Counter({
    name: `${PREFIX}subscriptions_started_total`,
    help: 'Subscriptions started, by root field (any transport: graphql-ws, SSE).',
    labelNames: ['field'],
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: `${PREFIX}ws_deliveries_total`,
    help: 'Subscription events queued for delivery to a WebSocket (one per subscriber and event).',
    registers: [this.registry],
  });
  readonly #slowConsumers = new Counter({
    name: `${PREFIX}ws_slow_consumers_total`,
    help: 'WebSockets closed as slow consumers: send buffer over its bound (4008) or delivery lag (shed).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly slowSend = this.#slowConsumers.labels('send_buffer');
  readonly slowDelivery = this.#slowConsumers.labels('delivery_lag');
  readonly #alertEvaluations = new Counter({
    name: `${PREFIX}alert_evaluations_total`,
    help: 'Alert evaluations: a stored report checked against the rules, or a NO_DATA check.',
    labelNames: ['trigger'],
    registers: [this.registry],
  });
  readonly #alertTransitions = new Counter({
    name: `${PREFIX}alert_transitions_total`,
    help: 'Alert transitions committed, by the state entered.',
    labelNames: ['state'],
    registers: [this.registry],
  });
  readonly webhookAttempts = new Counter({
    name: `${PREFIX}webhook_attempts_total`,
    help: 'Webhook POSTs attempted (retries included).',
    registers: [this.registry],
  });
  readonly #webhookFailures = new Counter({
    name: `${PREFIX}webhook_failures_total`,
    help: 'Webhook attempts that failed (no 2xx answer), by whether the delivery is retried or given up.',
    labelNames: ['final'],
    registers: [this.registry],
  });
  readonly evaluatedReport = this.#alertEvaluations.labels('report');
  readonly evaluatedNoData = this.#alertEvaluations.labels('no_data_check');
  readonly webhookRetried = this.#webhookFailures.labels('false');
  readonly webhookGaveUp = this.#webhookFailures.labels('true');
  readonly #reportObservers = new Map<Transport, ReportObserver>();
  readonly #operationChildren = new Children<CounterChild>((key) => {
    const [operation, type, code] = key.split(' ');
    return this.#operations.labels(operation as string, type as string, code as string);
  });
  /** Per route pattern: its duration histogram, and its counters by status. */
  readonly #routes = new Children<{ seconds: HistogramChild; statuses: Map<number, CounterChild> }>(
    (route) => ({
      seconds: this.#requestSeconds.labels(route),
      statuses: new Map(),
    }),
  );
  readonly #transitionChildren = new Children<CounterChild>((state) => this.#alertTransitions.labels(state));

  constructor(
    options: {
      commandsByState?: () => Iterable<[string, number]> | Promise<Iterable<[string, number]>>;
    } = {},
  ) {
    this.storeWrite = new Histogram({
      name: `${PREFIX}store_write_seconds`,
      help: 'Time a report waits for its points to be committed by the metric store.',
      labelNames: ['store'],
      buckets: SECONDS,
      registers: [this.registry],
    });
    this.history = new Histogram({
      name: `${PREFIX}history_query_seconds`,
      help: 'Time the metric store takes to answer a history (metricHistory, REST) or summary (fleetSummary) query.',
      labelNames: ['store', 'kind'],
      buckets: SECONDS,
      registers: [this.registry],
    });
    const commandsByState = options.commandsByState;
    new Gauge({
      name: `${PREFIX}commands`,
      help: 'Agent commands kept in commands.db, by state.',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        if (!commandsByState) return;
        const counts = await commandsByState();
        this.reset();
        for (const state of agentCommandStatuses) this.set({ state }, 0);
        for (const [state, count] of counts) this.set({ state }, count);
      },
    });
    // Shown at 0 before their first event, so that a dashboard has a series to draw.
    for (const child of [this.slowSend, this.slowDelivery, this.webhookRetried, this.webhookGaveUp])
      child.inc(0);
    this.evaluatedReport.inc(0);
    this.evaluatedNoData.inc(0);
    for (const transport of ['rest', 'graphql-http', 'graphql-ws'] as const) {
      this.#reportObservers.set(transport, this.#reportObserver(transport));
    }
  }

  /** The observer of reports arriving over `transport` (bound once; the context of a request carries it). */
  reportsOver(transport: Transport): ReportObserver {
    return this.#reportObservers.get(transport) as ReportObserver;
  }

  operation(operation: string, type: string, code: string): void {
    this.operationCounter(operation, type, code).inc();
  }

  /** The counter of one (operation, type, code), for a caller to keep. */
  operationCounter(operation: string, type: string, code: string): CounterChild {
    return this.#operationChildren.get(`${operation} ${type} ${code}`);
  }

  request(route: string, status: number, seconds: number): void {
    const children = this.#routes.get(route);
    let counter = children.statuses.get(status);
    if (counter === undefined) {
      counter = this.#requests.labels(route, String(status));
      children.statuses.set(status, counter);
    }
    counter.inc();
    children.seconds.observe(seconds);
  }

  alertTransition(state: string): void {
    this.#transitionChildren.get(state).inc();
  }

  /** The text `GET /metrics` answers. */
  async text(): Promise<string> {
    this.#exposed ??= Registry.merge([processRegistry(), this.registry]);
    return this.#exposed.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #reportObserver(transport: Transport): ReportObserver {
    const reports = new Children((outcome) => this.#reports.labels(transport, outcome));
    const points = new Children((outcome) => this.#points.labels(transport, outcome));
    const storedReports = reports.get('stored');
    const storedPoints = points.get('stored');
    return {
      stored(count) {
        storedReports.inc();
        storedPoints.inc(count);
      },
      refused(code, count) {
        const outcome = codeLabel(code);
        reports.get(outcome).inc();
        if (count > 0) points.get(outcome).inc(count);
      },
    };
  }
}
