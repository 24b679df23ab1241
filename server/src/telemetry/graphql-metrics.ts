import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  Kind,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { codeLabel, type ServerMetrics } from './server-metrics.js';

/**
 * Counts GraphQL operations (`graphql_operations_total`: name, type, error code) on every transport, and
 * the subscriptions started per root field (`subscriptions_started_total`; those running over graphql-ws
 * are counted by the transport, running.ts: wrapping the result here would wrap what delivery groups share). An operation name is a label only when it is
 * one the schema implies (a root field in PascalCase, `On` before a subscription's, as the SDK names its
 * operations): any other name is `other`, none is `anonymous`, so no caller can grow the label set.
 */
export function useGraphQLMetrics(metrics: ServerMetrics, schema: GraphQLSchema): Plugin {
  const known = knownNames(schema);
  const nameOf = (name: unknown): string => operationLabel(known, name);
  const operationName = (context: unknown): unknown =>
    (context as { params?: { operationName?: unknown } } | undefined)?.params?.operationName;
  const started = new Map<string, { inc(): void }>();
  const startedOf = (field: string) => {
    let child = started.get(field);
    if (!child) {
      child = metrics.subscriptionsStarted.labels(field);
      started.set(field, child);
    }
    return child;
  };
  /** An operation's labels and its success counter, kept per document (the parse cache reuses them). */
  const described = new WeakMap<DocumentNode, Described>();
  const describe = (document: DocumentNode, name: string | null | undefined): Described => {
    const single = document.definitions.length === 1;
    const kept = single ? described.get(document) : undefined;
    if (kept) return kept;
    const operation = getOperationAST(document, name);
    const labels = { name: nameOf(operation?.name?.value), type: operation?.operation ?? 'unknown' };
    const made = { ...labels, succeeded: metrics.operationCounter(labels.name, labels.type, 'none') };
    if (single) described.set(document, made);
    return made;
  };
  return {
    onParse({ context }) {
      return ({ result }) => {
        if (result instanceof Error) {
          metrics.operation(
            nameOf(operationName(context)),
            'unknown',
            stageCode(result, 'GRAPHQL_PARSE_FAILED'),
          );
        }
      };
    },
    onValidate({ context, params }) {
      return ({ valid, result }) => {
        if (valid) return;
        const operation = getOperationAST(params.documentAST, operationName(context) as string | undefined);
        const code = stageCode(result[0], 'GRAPHQL_VALIDATION_FAILED');
        metrics.operation(nameOf(operation?.name?.value), operation?.operation ?? 'unknown', code);
      };
    },
    onExecute({ args }) {
      return {
        onExecuteDone({ result }) {
          const described = describe(args.document, args.operationName);
          const error = (result as ExecutionResult).errors?.[0];
          if (error === undefined) described.succeeded.inc();
          else metrics.operation(described.name, described.type, errorCode(error, 'none'));
        },
      };
    },
    onSubscribe({ args }) {
      return {
        onSubscribeResult({ result }) {
          const name = nameOf(getOperationAST(args.document, args.operationName)?.name?.value);
          if (!(Symbol.asyncIterator in result)) {
            metrics.operation(name, 'subscription', errorCode(result.errors?.[0], 'none'));
            return;
          }
          metrics.operation(name, 'subscription', 'none');
          startedOf(rootField(args.document, args.operationName)).inc();
        },
      };
    },
  };
}

/**
 * Counts an operation the plugin does not hear, as its `onExecuteDone` would: the prepared operations
 * (server/src/graphql/prepared-operations.ts), which run without the envelop pipeline.
 */
export function executionCounter(
  metrics: ServerMetrics,
  schema: GraphQLSchema,
): (name: string | undefined, result: ExecutionResult) => void {
  const known = knownNames(schema);
  // ServerMetrics keeps the counter of each (name, type, code).
  return (name, result) =>
    metrics.operation(operationLabel(known, name), 'mutation', errorCode(result.errors?.[0], 'none'));
}

/** An operation's name as a label: one the schema implies, else `other`; none is `anonymous`. */
function operationLabel(known: ReadonlySet<string>, name: unknown): string {
  return typeof name !== 'string' || name === '' ? 'anonymous' : known.has(name) ? name : 'other';
}

interface Described {
  name: string;
  type: string;
  succeeded: { inc(): void };
}

/** The code of a parse or validation error: its own, else the one yoga gives every error of that stage. */
function stageCode(error: unknown, code: string): string {
  const own = (error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
  return own === undefined ? code : codeLabel(own);
}

/**
 * The code the answer will carry for `error` (`fallback` without one): its `extensions.code`, else what the
 * error boundary makes of it (server/src/http/error-boundary.ts): an unexpected error thrown by a resolver
 * is INTERNAL_SERVER_ERROR, graphql-js's and graphql-jit's own errors (variables) are BAD_USER_INPUT.
 */
function errorCode(error: GraphQLError | Error | undefined, fallback: string): string {
  if (error === undefined) return fallback;
  const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
  if (code !== undefined) return codeLabel(code);
  const cause = (error as GraphQLError).originalError;
  return cause && !(cause instanceof GraphQLError) ? 'INTERNAL_SERVER_ERROR' : 'BAD_USER_INPUT';
}

/** The first root field of the operation (validated already: it is one of the schema's). */
export function rootField(document: DocumentNode, operationName: string | null | undefined): string {
  const selection = getOperationAST(document, operationName)?.selectionSet.selections[0];
  return selection?.kind === Kind.FIELD ? selection.name.value : 'unknown';
}

/** The operation names the schema implies: `metricHistory` → `MetricHistory`, a subscription's → `OnMetricReported`. */
function knownNames(schema: GraphQLSchema): Set<string> {
  const names = new Set<string>();
  const pascal = (field: string) => field.charAt(0).toUpperCase() + field.slice(1);
  for (const type of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.keys(type?.getFields() ?? {})) names.add(pascal(field));
  }
  for (const field of Object.keys(schema.getSubscriptionType()?.getFields() ?? {})) {
    names.add(pascal(field));
    names.add(`On${pascal(field)}`);
  }
  return names;
}
