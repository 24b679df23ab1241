import type { IncomingMessage } from 'node:http';
import type { Principal } from '@metrics-collector/schema/auth';
import type { Context } from '@metrics-collector/schema/context';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  getOperationAST,
} from 'graphql';
import {
  type Context as ConnectionContext,
  type Server as GraphQLWsServer,
  makeServer,
  type SubscribePayload,
} from 'graphql-ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { WebSocket } from 'ws';
import { sharedOperationKey } from '../graphql/use-shared-subscription-results.js';
import type { Logger } from '../logger.js';
import { rootField } from '../telemetry/graphql-metrics.js';
import { countedWhileRunning } from '../telemetry/running.js';
import type { ServerMetrics } from '../telemetry/server-metrics.js';
import { checkJsonValues, graphqlField } from './body.js';
import { refuseConnection, responseTooLarge, tooManySubscriptions } from './error-boundary.js';
import { DeliveryGroups } from './ws-groups.js';
import type { SocketSender } from './ws-send.js';

type Yoga = YogaServerInstance<Record<string, never>, Context>;
type ConnectionParams = Record<string, unknown> | undefined;

/** What graphql-ws keeps per connection. */
export interface Extra {
  socket: WebSocket;
  request: IncomingMessage;
  /** The socket's bounded sends; subscription events go through its `deliver`. */
  sender: SocketSender;
  /** Set by `onConnect` from the connection parameters (or the upgrade request's header). */
  principal?: Principal;
}

export type OperationServer = GraphQLWsServer<Extra> & {
  /** The delivery groups of shared subscriptions (ws-groups.ts); `size` is how many are open. */
  groups: DeliveryGroups;
};

export interface OperationOptions {
  /** Largest answer to a query or mutation sent over the socket, bytes (`MAX_RESPONSE_BYTES`). */
  maxResponseBytes: number;
  /** Operations one connection may have open. */
  maxSubscriptions: number;
  /** The caller of an `Authorization` value; throws `UNAUTHENTICATED` for one that is not a valid token. */
  authenticate(authorization: string | undefined): Principal;
  logger: Logger;
  /** Counts the subscriptions running over graphql-ws, by field, for `/metrics`. */
  telemetry?: ServerMetrics | undefined;
}

/**
 * Where the operation's envelop functions travel from `onSubscribe` to `execute`/`subscribe`, with the
 * socket's sender and the operation's id, which a subscriber joining a delivery group needs.
 */
interface Enveloped {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
  sender: SocketSender;
  id: string;
}

/**
 * The graphql-ws protocol server: every operation goes through `yoga.getEnveloped`, so it gets the same
 * context (auth: the token comes from `connectionParams.authorization` or `.token`), parse and
 * validation caches, query limits and error masking as over HTTP.
 */
export function createOperationServer(yoga: Yoga, options: OperationOptions): OperationServer {
  const groups = new DeliveryGroups();
  const server = makeServer<ConnectionParams, Extra>({
    execute: (args) => executeWithinLimit(args, options.maxResponseBytes) as never,
    subscribe: (args) => subscribeGrouped(args, groups, options.telemetry) as never,
    onConnect: (ctx) => authenticateConnection(ctx, options),
    onSubscribe: (ctx, id, payload) => prepareOperation(yoga, ctx, id, payload, options.maxSubscriptions),
    onNext: (ctx, id, _payload, args, result) => deliverNext(ctx.extra.sender, id, args, result),
  });
  return Object.assign(server, { groups });
}

/**
 * Subscribes through envelop (auth, limits and subscribe-time errors as for any operation); a stream of
 * a shared field then joins the delivery group of its operation key, which sends its events from then on
 * (ws-groups.ts). Other subscriptions (`agentCommands`) are graphql-ws's to iterate, through `onNext`.
 */
async function subscribeGrouped(
  args: ExecutionArgs,
  groups: DeliveryGroups,
  telemetry: ServerMetrics | undefined,
): Promise<unknown> {
  const { subscribe, sender, id } = args.rootValue as Enveloped;
  const result = await subscribe(args);
  if (result === null || typeof result !== 'object' || !(Symbol.asyncIterator in result)) return result;
  const key = sharedOperationKey(args);
  const stream =
    key === null
      ? (result as AsyncIterableIterator<ExecutionResult>)
      : groups.join(key, result as AsyncIterable<ExecutionResult>, sender, id);
  return telemetry
    ? countedWhileRunning(stream, rootField(args.document, args.operationName), telemetry)
    : stream;
}

/**
 * Payloads of `next` messages by result: subscribers of one operation share the result of an event
 * (`useSharedSubscriptionResults`), so its payload is serialised once, not once per subscriber.
 */
const payloads = new WeakMap<object, string>();

const operationTypes = new WeakMap<DocumentNode, Map<string, boolean>>();

/** Whether the operation executed by `args` is a subscription (cached by document). */
function isSubscription(args: ExecutionArgs): boolean {
  let byName = operationTypes.get(args.document);
  if (!byName) {
    byName = new Map();
    operationTypes.set(args.document, byName);
  }
  const name = args.operationName ?? '';
  let subscription = byName.get(name);
  if (subscription === undefined) {
    subscription = getOperationAST(args.document, args.operationName)?.operation === 'subscription';
    byName.set(name, subscription);
  }
  return subscription;
}

/** What `onNext` hands graphql-ws in place of a payload it delivered itself; `isPlaceholder` spots it. */
const PLACEHOLDER = Object.freeze({});
const PLACEHOLDER_END = ',"type":"next","payload":{}}';

/** Whether `data` is graphql-ws's message for an event `deliverNext` delivered already: not to be sent. */
export function isPlaceholder(data: string): boolean {
  // A result always has `data` or `errors`: a real payload is never empty.
  return data.endsWith(PLACEHOLDER_END) && data.startsWith('{"id":');
}

/**
 * Delivers a subscription event: the frame graphql-ws would send (`{"id":…,"type":"next","payload":…}`,
 * byte for byte) spliced around the result's payload, serialised once per result, and queued on the
 * socket's sender. A result with errors is left to graphql-ws, which moves `errors` last.
 */
function deliverNext(
  sender: SocketSender,
  id: string,
  args: ExecutionArgs,
  result: ExecutionResult,
): ExecutionResult | undefined {
  if (result.errors) return undefined;
  let payload = payloads.get(result);
  if (payload === undefined) {
    payload = JSON.stringify(result);
    payloads.set(result, payload);
  }
  const frame = `{"id":${JSON.stringify(id)},"type":"next","payload":${payload}}`;
  // Events through the delivery queue; the answer to a query or mutation at once (after this socket's
  // queued events, if any).
  if (isSubscription(args)) sender.deliver(frame);
  else sender.send(frame);
  return PLACEHOLDER as ExecutionResult;
}

/**
 * Answers to queries and mutations over the socket have the same cap as over HTTP (subscription events,
 * small and shared between subscribers, go through `subscribe`).
 */
async function executeWithinLimit(args: ExecutionArgs, maxResponseBytes: number): Promise<ExecutionResult> {
  const result = (await (args.rootValue as Enveloped).execute(args)) as ExecutionResult;
  const json = JSON.stringify(result);
  const bytes = Buffer.byteLength(json);
  if (bytes <= maxResponseBytes) {
    payloads.set(result, json);
    return result;
  }
  return { errors: [responseTooLarge(bytes, maxResponseBytes)] };
}

/**
 * The token is checked once, when the connection is initialised: a token that is not valid closes the
 * socket with 4403 (graphql-ws's Forbidden) before any operation is read.
 */
function authenticateConnection(ctx: ConnectionContext<ConnectionParams, Extra>, options: OperationOptions) {
  try {
    ctx.extra.principal = options.authenticate(authorizationOf(ctx.extra.request, ctx.connectionParams));
    return true;
  } catch (error) {
    return refuseConnection(error, options.logger);
  }
}

/**
 * Checks the connection's operation count and the payload, then parses and validates the operation with
 * yoga's envelop functions; the execution arguments carry those functions to `execute`/`subscribe`.
 */
async function prepareOperation(
  yoga: Yoga,
  ctx: ConnectionContext<ConnectionParams, Extra>,
  id: string,
  payload: SubscribePayload,
  maxSubscriptions: number,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
  // graphql-ws registers the operation's id before this hook, so the count includes it.
  if (Object.keys(ctx.subscriptions).length > maxSubscriptions) {
    return [tooManySubscriptions(maxSubscriptions)];
  }
  const request = requestShim(ctx.extra.request, ctx.connectionParams);
  const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
    request,
    params: payload,
    req: ctx.extra.request,
    socket: ctx.extra.socket,
    principal: ctx.extra.principal,
    transport: 'graphql-ws',
  } as never);
  try {
    checkJsonValues(payload, '', graphqlField);
    const document = parse(payload.query);
    const errors = validate(schema, document);
    if (errors.length > 0) return errors;
    return {
      schema,
      document,
      operationName: payload.operationName,
      variableValues: payload.variables,
      contextValue: await contextFactory(),
      rootValue: { execute, subscribe, sender: ctx.extra.sender, id } satisfies Enveloped,
    };
  } catch (error) {
    if (error instanceof GraphQLError) return [error];
    throw error;
  }
}

/** `connectionParams.authorization` (or `.token`), else the upgrade request's `Authorization` header. */
function authorizationOf(req: IncomingMessage, connectionParams: ConnectionParams): string | undefined {
  const fromParams = connectionParams?.authorization ?? connectionParams?.Authorization;
  const token = connectionParams?.token;
  if (typeof fromParams === 'string') return fromParams;
  if (typeof token === 'string') return `Bearer ${token}`;
  return req.headers.authorization;
}

/**
 * The HTTP request yoga's context factory reads: the upgrade request's headers, with the token from the
 * connection parameters (browsers cannot set headers on a WebSocket).
 */
function requestShim(req: IncomingMessage, connectionParams: ConnectionParams) {
  const authorization = authorizationOf(req, connectionParams);
  return {
    // yoga refuses mutations in a GET request; an operation over the socket is not one.
    method: 'POST',
    url: req.url,
    headers: {
      get: (name: string) => {
        if (name.toLowerCase() === 'authorization') return authorization ?? null;
        const value = req.headers[name.toLowerCase()];
        return Array.isArray(value) ? value.join(', ') : (value ?? null);
      },
    },
  };
}
