import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, type GraphQLFormattedError, getOperationAST, print } from 'graphql';
import { ClientError, GraphQLClient } from 'graphql-request';
import {
  createClient as createWsClient,
  type ClientOptions as GraphQLWsOptions,
  type Client as WsClient,
} from 'graphql-ws/client';
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
import { backoffDelay, type RetryOptions, resolveRetry, withRetry } from './retry.js';

/** Reconnection and connection options of the WebSocket (graphql-ws), for subscriptions and `transport: 'ws'`. */
export type WebSocketOptions = Pick<
  GraphQLWsOptions,
  'retryAttempts' | 'shouldRetry' | 'retryWait' | 'lazy' | 'lazyCloseTimeout' | 'keepAlive' | 'on'
>;

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
  const retry = resolveRetry(options.retry);
  const closing = new AbortController();
  const authorization: Record<string, string> = options.token
    ? { authorization: `Bearer ${options.token}` }
    : {};
  const http = new GraphQLClient(options.url, {
    fetch: options.fetch,
    headers: { ...options.headers, ...authorization },
  });
  let ws: WsClient | undefined;
  let operationId = 0;

  const closed = (request: SdkErrorRequest) =>
    new SdkError({ kind: 'network', message: 'The client is closed.', request });

  const webSocket = (): WsClient => {
    ws ??= createWsClient({
      url: options.wsUrl ?? options.url.replace(/^http/, 'ws'),
      webSocketImpl: options.webSocketImpl ?? (globalThis as { WebSocket?: unknown }).WebSocket,
      connectionParams: options.token ? authorization : undefined,
      lazy: true,
      // Short ids instead of graphql-ws's UUIDs: every message carries one (three per request), and a
      // UUID's 36 random characters are most of what is left of a small message after compression.
      generateID: () => {
        operationId += 1;
        return String(operationId);
      },
      retryAttempts: 10,
      retryWait: (retries) => new Promise((r) => setTimeout(r, backoffDelay(retries + 1, 1_000, 30_000))),
      // graphql-ws retries close events only; a refused connection (a server restarting, a replica gone)
      // is an error event, and would end every subscription at once. The codes graphql-ws holds fatal
      // are thrown before it asks; 4403 (the token is not valid) will not change on retry either.
      shouldRetry: (problem) => (problem as { code?: unknown } | null)?.code !== 4403,
      ...options.ws,
    });
    return ws;
  };

  async function request<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
    requestOptions: RequestOptions = {},
  ): Promise<TResult> {
    const operation = getOperationAST(document);
    if (operation?.operation === 'subscription') {
      throw new TypeError('request() runs queries and mutations; use subscribe() for a subscription.');
    }
    const sent: SdkErrorRequest = {
      query: printed(document),
      variables,
      operationName: operation?.name?.value,
    };
    if (closing.signal.aborted) throw closed(sent);
    const signal = requestOptions.signal
      ? AbortSignal.any([closing.signal, requestOptions.signal])
      : closing.signal;
    const idempotent = operation?.operation === 'query' || requestOptions.idempotent === true;
    const attempt =
      options.transport === 'ws'
        ? () => viaWebSocket<TResult>(sent, signal)
        : () => viaHttp<TResult>(sent, signal);
    return withRetry(retry, idempotent, signal, attempt);
  }

  async function viaHttp<TResult>(sent: SdkErrorRequest, signal: AbortSignal): Promise<TResult> {
    try {
      const { data } = await http.rawRequest<TResult>({
        query: sent.query,
        variables: sent.variables,
        signal,
      });
      return data;
    } catch (error) {
      throw httpError(error, sent);
    }
  }

  /**
   * One query or mutation over the shared WebSocket. It fails (a retryable `network` error) when the socket
   * closes or cannot connect while it is pending, and is not sent again by graphql-ws when the socket comes
   * back: whether to send a mutation again is the caller's (`retry`, `idempotent`), as over HTTP.
   */
  function viaWebSocket<TResult>(sent: SdkErrorRequest, signal: AbortSignal): Promise<TResult> {
    return new Promise((resolve, reject) => {
      let result: { data?: unknown; errors?: readonly GraphQLFormattedError[] } | undefined;
      const client = webSocket();
      const settle = () => {
        signal.removeEventListener('abort', onAbort);
        stopWatching();
      };
      const onAbort = () => {
        settle();
        dispose();
        reject(new SdkError({ kind: 'network', message: 'The request was aborted.', request: sent }));
      };
      const onLost = (problem: unknown) => {
        settle();
        dispose();
        reject(webSocketError(problem, sent));
      };
      const watching = [
        // 1000 is graphql-ws closing an idle socket (lazy): no operation was on it, and one sent meanwhile
        // goes out on the next socket.
        client.on('closed', (event) => {
          if ((event as { code?: unknown } | null)?.code !== 1000) onLost(event);
        }),
        client.on('error', onLost),
      ];
      const stopWatching = () => {
        for (const unwatch of watching) unwatch();
      };
      const dispose = client.subscribe<TResult>(
        { query: sent.query, variables: sent.variables, operationName: sent.operationName },
        {
          next: (value) => {
            result = value;
          },
          error: (error) => {
            settle();
            reject(webSocketError(error, sent));
          },
          complete: () => {
            settle();
            if (result?.errors?.length) reject(graphqlError(result.errors, sent, { data: result.data }));
            else if (result?.data != null) resolve(result.data as TResult);
            else
              reject(new SdkError({ kind: 'network', message: 'The server sent no result.', request: sent }));
          },
        },
      );
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  function subscribe<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
  ): AsyncIterableIterator<TResult> {
    const operation = getOperationAST(document);
    const sent: SdkErrorRequest = {
      query: printed(document),
      variables,
      operationName: operation?.name?.value,
    };
    if (closing.signal.aborted) throw closed(sent);
    const inner = webSocket().iterate<TResult>({
      query: sent.query,
      variables: sent.variables,
      operationName: sent.operationName,
    });
    const iterator: AsyncIterableIterator<TResult> = {
      async next() {
        let step: IteratorResult<{ data?: TResult | null; errors?: readonly GraphQLFormattedError[] }>;
        try {
          step = await inner.next();
        } catch (error) {
          throw webSocketError(error, sent);
        }
        if (step.done) return { done: true, value: undefined };
        if (step.value.errors?.length || step.value.data == null) {
          await inner.return?.();
          throw graphqlError(step.value.errors ?? [], sent, { data: step.value.data });
        }
        return { done: false, value: step.value.data };
      },
      async return() {
        await inner.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** A typed subscription yielding its field's value. */
  function live<TResult, TVariables extends Record<string, unknown>, K extends keyof TResult>(
    document: TypedDocumentNode<TResult, TVariables>,
    field: K,
    variables?: TVariables,
  ): AsyncIterableIterator<TResult[K]> {
    const events = subscribe(document, variables);
    const iterator: AsyncIterableIterator<TResult[K]> = {
      async next() {
        const step = await events.next();
        return step.done ? step : { done: false, value: step.value[field] };
      },
      async return() {
        await events.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  const reportOptions = { idempotent: true };
  return {
    reportMetrics: async (input) =>
      (await request(ReportMetricsDocument, { input }, reportOptions)).reportMetrics,
    metricHistory: async (variables) => (await request(MetricHistoryDocument, variables)).metricHistory,
    fleetSummary: async (variables) => (await request(FleetSummaryDocument, variables)).fleetSummary,
    clients: async (page = {}) => (await request(ClientsDocument, page)).clients,
    client: async (id) => (await request(ClientDocument, { id })).client,
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
    subscribe: (document, ...[variables]) => subscribe(document, variables),
    close: async () => {
      closing.abort();
      await ws?.dispose();
    },
  };
}

const printedDocuments = new WeakMap<DocumentNode, string>();

/** The document as text, printed once per document. */
function printed(document: DocumentNode): string {
  let text = printedDocuments.get(document);
  if (text === undefined) {
    text = print(document);
    printedDocuments.set(document, text);
  }
  return text;
}

function graphqlError(
  errors: readonly GraphQLFormattedError[],
  request: SdkErrorRequest,
  response: { status?: number; headers?: Headers; body?: string; data?: unknown },
): SdkError {
  const message = errors.map((e) => e.message).join('; ') || 'The server answered without data.';
  return new SdkError({ kind: 'graphql', message, request, errors, response: { ...response, errors } });
}

function httpError(error: unknown, request: SdkErrorRequest): SdkError {
  if (error instanceof ClientError) {
    const { status, headers, body, errors, data } = error.response as typeof error.response & {
      body?: string;
    };
    if (errors?.length) return graphqlError(errors, request, { status, headers, body, data });
    const excerpt = typeof body === 'string' && body ? `: ${body.slice(0, 200)}` : '';
    return new SdkError({
      kind: 'http',
      message: `HTTP ${status}${excerpt}`,
      request,
      response: { status, headers, body },
      cause: error,
    });
  }
  // A 2xx answer whose body is not GraphQL JSON.
  if (error instanceof SyntaxError) {
    return new SdkError({
      kind: 'http',
      message: `Not a GraphQL answer: ${error.message}`,
      request,
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SdkError({ kind: 'network', message: `No answer: ${message}`, request, cause: error });
}

/** graphql-ws reports GraphQL errors as an array, a closed socket as its close event, anything else as an error. */
function webSocketError(error: unknown, request: SdkErrorRequest): SdkError {
  if (error instanceof SdkError) return error;
  if (Array.isArray(error)) return graphqlError(error as GraphQLFormattedError[], request, {});
  if (error && typeof error === 'object' && 'code' in error && 'reason' in error) {
    const { code, reason } = error as { code: unknown; reason: unknown };
    const message = `The WebSocket closed (${String(code)}${reason ? `: ${String(reason)}` : ''}).`;
    return new SdkError({ kind: 'network', message, request, cause: error });
  }
  // ws reports connection failures as an ErrorEvent, which is not an Error but has a message.
  const described = (error as { message?: unknown } | null)?.message;
  const message = typeof described === 'string' ? described : String(error);
  return new SdkError({ kind: 'network', message: `WebSocket: ${message}`, request, cause: error });
}
