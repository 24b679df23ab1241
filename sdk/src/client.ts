import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, getOperationAST, type OperationDefinitionNode, print } from 'graphql';
import { GraphQLClient } from 'graphql-request';
import type { Client as WsClient } from 'graphql-ws/client';
import { SdkError, type SdkErrorRequest } from './errors.js';
import {
  AcknowledgeAgentCommandDocument,
  type AcknowledgeAgentCommandMutation,
  type AcknowledgeAgentCommandMutationVariables,
  type AgentCommandInput,
  AgentCommandsDocument,
  type AgentCommandsQuery,
  type AgentCommandsQueryVariables,
  AlertRuleDocument,
  type AlertRuleInput,
  type AlertRuleQuery,
  AlertRulesDocument,
  type AlertRulesQuery,
  AlertsDocument,
  type AlertsQuery,
  type AlertsQueryVariables,
  ClientDocument,
  type ClientQuery,
  ClientsDocument,
  type ClientsQuery,
  type ClientsQueryVariables,
  CreateAlertRuleDocument,
  type CreateAlertRuleMutation,
  DeleteAlertRuleDocument,
  type DeleteAlertRuleMutation,
  FleetSummaryDocument,
  type FleetSummaryQuery,
  type FleetSummaryQueryVariables,
  ForgetClientDocument,
  type ForgetClientMutation,
  MetricHistoryDocument,
  type MetricHistoryQuery,
  type MetricHistoryQueryVariables,
  MetricsDocument,
  type MetricsQuery,
  OnAgentCommandsDocument,
  type OnAgentCommandsSubscription,
  type OnAgentCommandsSubscriptionVariables,
  OnAlertEventsDocument,
  type OnAlertEventsSubscription,
  type OnAlertEventsSubscriptionVariables,
  OnClientStatusChangedDocument,
  type OnClientStatusChangedSubscription,
  type OnClientStatusChangedSubscriptionVariables,
  OnMetricReportedDocument,
  type OnMetricReportedSubscription,
  type OnMetricReportedSubscriptionVariables,
  ReportMetricsDocument,
  type ReportMetricsInput,
  type ReportMetricsMutation,
  SendAgentCommandDocument,
  type SendAgentCommandMutation,
  SetSamplingIntervalDocument,
  type SetSamplingIntervalMutation,
  type SetSamplingIntervalMutationVariables,
  UpdateAlertRuleDocument,
  type UpdateAlertRuleMutation,
} from './generated/graphql.js';
import { requestOverHttp } from './http.js';
import { type RetryOptions, resolveRetry, withRetry } from './retry.js';
import {
  closeWebSocket,
  fieldOf,
  openWebSocket,
  requestOverWebSocket,
  subscription,
  type WebSocketOptions,
} from './websocket.js';

export type { WebSocketOptions } from './websocket.js';

export interface ClientOptions {
  /** The GraphQL endpoint, such as `http://127.0.0.1:8888/graphql`. */
  url: string;
  /** An API token, sent as `Authorization: Bearer <token>` over HTTP and in the WebSocket's connection parameters. */
  token?: string;
  /** The WebSocket endpoint. @default `url` with `http` replaced by `ws` */
  wsUrl?: string;
  /** The fetch to send HTTP requests with. @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * The WebSocket class. @default globalThis.WebSocket. Node 20 has none: pass `ws`'s default export, or
   * import `createClient` from `@metrics-collector/sdk/node`, which does.
   */
  webSocketImpl?: unknown;
  /** Headers added to every HTTP request (browsers cannot set WebSocket headers; use `token`). */
  headers?: Record<string, string>;
  /** Retries of queries and mutations after a retryable failure; `false` for none. @default { attempts: 3 } */
  retry?: RetryOptions | false;
  /**
   * How queries and mutations travel: `http` (graphql-request) or `ws`, over the subscriptions' WebSocket
   * (cheaper per operation for a client that holds one anyway, such as an agent). @default 'http'
   */
  transport?: 'http' | 'ws';
  /**
   * WebSocket options. @default { lazy: true, retryAttempts: 10, retryWait: exponential from 1 s to 30 s
   * with jitter } — a subscription survives a server restart of several minutes.
   */
  ws?: WebSocketOptions;
}

/** Options of one `request`. */
export interface RequestOptions {
  /** Aborts the request and any retry wait. */
  signal?: AbortSignal;
  /**
   * Whether sending the mutation twice does no harm, so that it is retried after any retryable failure
   * (queries always are). @default false for mutations
   */
  idempotent?: boolean;
}

/** Variables as an argument: optional when the operation has no required variable. */
export type VariablesArgs<TVariables> =
  Record<string, never> extends TVariables
    ? [variables?: TVariables, options?: RequestOptions]
    : [variables: TVariables, options?: RequestOptions];

type SubscriptionArgs<TVariables> =
  Record<string, never> extends TVariables ? [variables?: TVariables] : [variables: TVariables];

/** Live events; each typed method yields the event itself (the subscription field's value). */
export interface Subscriptions {
  /** Every report as it is stored; only those of `clientId` when given. Needs scope `read`. */
  metricReported(
    variables?: OnMetricReportedSubscriptionVariables,
  ): AsyncIterableIterator<OnMetricReportedSubscription['metricReported']>;
  /** Every alert transition; only those of `clientId` when given. Needs scope `read`. */
  alertEvents(
    variables?: OnAlertEventsSubscriptionVariables,
  ): AsyncIterableIterator<OnAlertEventsSubscription['alertEvents']>;
  /** Every change of a client's status; only those of `clientId` when given. Needs scope `read`. */
  clientStatusChanged(
    variables?: OnClientStatusChangedSubscriptionVariables,
  ): AsyncIterableIterator<OnClientStatusChangedSubscription['clientStatusChanged']>;
  /** The command stream of one agent: pending commands first, then new ones. Needs scope `ingest`. */
  agentCommands(
    variables: OnAgentCommandsSubscriptionVariables,
  ): AsyncIterableIterator<OnAgentCommandsSubscription['agentCommands']>;
}

/** A typed client of the metrics-collector API. Each method resolves to its field's value or rejects with an `SdkError`. */
export interface Client {
  /** Stores one window of one client; resolves once the store committed it. Retried (reports are idempotent). */
  reportMetrics(input: ReportMetricsInput): Promise<ReportMetricsMutation['reportMetrics']>;
  /** A series resampled into buckets over `[from, to)`. */
  metricHistory(variables: MetricHistoryQueryVariables): Promise<MetricHistoryQuery['metricHistory']>;
  /** One row per client that reported `metric` in `[from, to)`. */
  fleetSummary(variables: FleetSummaryQueryVariables): Promise<FleetSummaryQuery['fleetSummary']>;
  /**
   * One page of registered clients, ordered by id: at most `first` (default 100, at most 1,000) after the
   * id `after`. Pass the last id of a page as `after` for the next; a shorter page is the last.
   */
  clients(page?: ClientsQueryVariables): Promise<ClientsQuery['clients']>;
  /** One client, or null. */
  client(id: string): Promise<ClientQuery['client']>;
  /**
   * Removes a client from the registry and returns it as it was; its stored windows stay until retention.
   * Rejects with `NOT_FOUND` for an unknown id. Needs scope `admin`.
   */
  forgetClient(clientId: string): Promise<ForgetClientMutation['forgetClient']>;
  /** The metric catalogue. */
  metrics(): Promise<MetricsQuery['metrics']>;
  /** Every alert rule, oldest first. */
  alertRules(): Promise<AlertRulesQuery['alertRules']>;
  /** One alert rule, or null. */
  alertRule(id: string): Promise<AlertRuleQuery['alertRule']>;
  /** The alert history, newest first. */
  alerts(variables?: AlertsQueryVariables): Promise<AlertsQuery['alerts']>;
  /** Adds a rule. Needs scope `admin`. */
  createAlertRule(input: AlertRuleInput): Promise<CreateAlertRuleMutation['createAlertRule']>;
  /** Replaces a rule. Needs scope `admin`. */
  updateAlertRule(id: string, input: AlertRuleInput): Promise<UpdateAlertRuleMutation['updateAlertRule']>;
  /** Deletes a rule and returns it. Needs scope `admin`. */
  deleteAlertRule(id: string): Promise<DeleteAlertRuleMutation['deleteAlertRule']>;
  /** Queues a command for one client. Needs scope `admin`. */
  sendAgentCommand(
    clientId: string,
    command: AgentCommandInput,
  ): Promise<SendAgentCommandMutation['sendAgentCommand']>;
  /** Shortcut for `sendAgentCommand` with SET_SAMPLING_INTERVAL. Needs scope `admin`. */
  setSamplingInterval(
    variables: SetSamplingIntervalMutationVariables,
  ): Promise<SetSamplingIntervalMutation['setSamplingInterval']>;
  /** The agent's answer to a command: APPLIED, or FAILED with a message. Needs scope `ingest`. */
  acknowledgeAgentCommand(
    variables: AcknowledgeAgentCommandMutationVariables,
  ): Promise<AcknowledgeAgentCommandMutation['acknowledgeAgentCommand']>;
  /** One client's commands, newest first. */
  agentCommands(variables: AgentCommandsQueryVariables): Promise<AgentCommandsQuery['agentCommands']>;
  /** Typed subscriptions (`Subscription` in the schema). */
  readonly subscriptions: Subscriptions;
  /** Runs a query or mutation of your own (a `TypedDocumentNode`) with the client's transport, auth and retries. */
  request<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    ...args: VariablesArgs<TVariables>
  ): Promise<TResult>;
  /** Subscribes with a document of your own; yields each result's `data`. `return()` unsubscribes. */
  subscribe<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    ...args: SubscriptionArgs<TVariables>
  ): AsyncIterableIterator<TResult>;
  /** Ends every subscription, closes the WebSocket and aborts requests in flight and retry waits. */
  close(): Promise<void>;
}

/** Creates a client. Nothing connects until the first request or subscription. */
export function createClient(options: ClientOptions): Client {
  const transport = new Transport(options);
  const request = transport.request.bind(transport);
  const live = <TResult, TVariables extends Record<string, unknown>, K extends keyof TResult>(
    document: TypedDocumentNode<TResult, TVariables>,
    field: K,
    variables?: TVariables,
  ) => fieldOf(transport.subscribe(document, variables), field);
  const reportOptions = { idempotent: true };
  return {
    reportMetrics: async (input) =>
      (await request(ReportMetricsDocument, { input }, reportOptions)).reportMetrics,
    metricHistory: async (variables) => (await request(MetricHistoryDocument, variables)).metricHistory,
    fleetSummary: async (variables) => (await request(FleetSummaryDocument, variables)).fleetSummary,
    clients: async (page = {}) => (await request(ClientsDocument, page)).clients,
    client: async (id) => (await request(ClientDocument, { id })).client,
    forgetClient: async (clientId) => (await request(ForgetClientDocument, { clientId })).forgetClient,
    metrics: async () => (await request(MetricsDocument)).metrics,
    alertRules: async () => (await request(AlertRulesDocument)).alertRules,
    alertRule: async (id) => (await request(AlertRuleDocument, { id })).alertRule,
    alerts: async (variables = {}) => (await request(AlertsDocument, variables)).alerts,
    createAlertRule: async (input) => (await request(CreateAlertRuleDocument, { input })).createAlertRule,
    updateAlertRule: async (id, input) =>
      (await request(UpdateAlertRuleDocument, { id, input })).updateAlertRule,
    deleteAlertRule: async (id) => (await request(DeleteAlertRuleDocument, { id })).deleteAlertRule,
    sendAgentCommand: async (clientId, command) =>
      (await request(SendAgentCommandDocument, { clientId, command })).sendAgentCommand,
    setSamplingInterval: async (variables) =>
      (await request(SetSamplingIntervalDocument, variables)).setSamplingInterval,
    acknowledgeAgentCommand: async (variables) =>
      (await request(AcknowledgeAgentCommandDocument, variables)).acknowledgeAgentCommand,
    agentCommands: async (variables) => (await request(AgentCommandsDocument, variables)).agentCommands,
    subscriptions: {
      metricReported: (variables = {}) => live(OnMetricReportedDocument, 'metricReported', variables),
      alertEvents: (variables = {}) => live(OnAlertEventsDocument, 'alertEvents', variables),
      clientStatusChanged: (variables = {}) =>
        live(OnClientStatusChangedDocument, 'clientStatusChanged', variables),
      agentCommands: (variables) => live(OnAgentCommandsDocument, 'agentCommands', variables),
    },
    request: (document, ...[variables, requestOptions]) => request(document, variables, requestOptions),
    subscribe: (document, ...[variables]) => transport.subscribe(document, variables),
    close: () => transport.close(),
  };
}

/**
 * What every operation of a client goes through: HTTP (graphql-request) or the WebSocket (graphql-ws,
 * opened on first use), the token, the retry policy, and `close()`, which aborts what is in flight.
 */
class Transport {
  private readonly retry: ReturnType<typeof resolveRetry>;
  private readonly closing = new AbortController();
  private readonly authorization: Record<string, string>;
  private readonly http: GraphQLClient;
  private ws: WsClient | undefined;

  constructor(private readonly options: ClientOptions) {
    this.retry = resolveRetry(options.retry);
    this.authorization = options.token ? { authorization: `Bearer ${options.token}` } : {};
    this.http = new GraphQLClient(options.url, {
      fetch: options.fetch,
      headers: { ...options.headers, ...this.authorization },
    });
  }

  /** A query or mutation, with the client's transport and retries. */
  async request<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
    requestOptions: RequestOptions = {},
  ): Promise<TResult> {
    const { operation, sent } = operationOf(document, variables);
    if (operation?.operation === 'subscription') {
      throw new TypeError('request() runs queries and mutations; use subscribe() for a subscription.');
    }
    if (this.closing.signal.aborted) throw closed(sent);
    const signal = requestOptions.signal
      ? AbortSignal.any([this.closing.signal, requestOptions.signal])
      : this.closing.signal;
    const idempotent = operation?.operation === 'query' || requestOptions.idempotent === true;
    const attempt =
      this.options.transport === 'ws'
        ? () => requestOverWebSocket<TResult>(this.webSocket(), sent, signal)
        : () => requestOverHttp<TResult>(this.http, sent, signal);
    return withRetry(this.retry, idempotent, signal, attempt);
  }

  /** A subscription over the WebSocket, yielding each result's `data`. */
  subscribe<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
  ): AsyncIterableIterator<TResult> {
    const { sent } = operationOf(document, variables);
    if (this.closing.signal.aborted) throw closed(sent);
    return subscription<TResult>(this.webSocket(), sent);
  }

  /** Ends every subscription, closes the WebSocket and aborts requests in flight and retry waits. */
  async close(): Promise<void> {
    this.closing.abort();
    await closeWebSocket(this.ws);
  }

  private webSocket(): WsClient {
    this.ws ??= openWebSocket({
      url: this.options.wsUrl ?? this.options.url.replace(/^http/, 'ws'),
      webSocketImpl: this.options.webSocketImpl ?? (globalThis as { WebSocket?: unknown }).WebSocket,
      connectionParams: this.options.token ? this.authorization : undefined,
      ws: this.options.ws,
      closing: this.closing.signal,
    });
    return this.ws;
  }
}

function closed(request: SdkErrorRequest): SdkError {
  return new SdkError({ kind: 'network', message: 'The client is closed.', request });
}

/** The document's operation, and the request as it is sent (and shown in an `SdkError`). */
function operationOf(
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
): { operation: OperationDefinitionNode | null | undefined; sent: SdkErrorRequest } {
  const operation = getOperationAST(document);
  return { operation, sent: { query: printed(document), variables, operationName: operation?.name?.value } };
}

const printedDocuments = new WeakMap<DocumentNode, string>();

/** The document as text, printed once per document. */
function printed(document: DocumentNode): string {
  const text = printedDocuments.get(document) ?? print(document);
  printedDocuments.set(document, text);
  return text;
}
