import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  getOperationAST,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Subscriptions whose events every subscriber sees alike: the result of one event for one operation
 * (document, operation name, variables) is computed once and handed to every subscriber of it, instead of
 * executing the selection once per subscriber. Their resolvers read only the event, never the context,
 * and authorisation happens when subscribing. `agentCommands` is not here: delivering marks a command.
 */
const SHARED_FIELDS = new Set(['metricReported', 'clientStatusChanged', 'alertEvents']);

const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;

/**
 * The key of a subscription to one shared field (document, operation name, variables), `null` for any
 * other operation. Subscribers with one key see the same events alike: they share one execution per event
 * here, and over graphql-ws one source and one frame per event (server/src/http/ws-groups.ts). Documents
 * are told apart by identity (yoga's parser cache hands out one per query text).
 */
export function sharedOperationKey(args: ExecutionArgs): string | null {
  const operation = getOperationAST(args.document, args.operationName);
  const selections = operation?.selectionSet.selections ?? [];
  if (selections.length !== 1) return null;
  const [field] = selections;
  if (field?.kind !== 'Field' || !SHARED_FIELDS.has(field.name.value)) return null;
  let id = documentIds.get(args.document);
  if (id === undefined) {
    id = nextDocumentId++;
    documentIds.set(args.document, id);
  }
  return `${id}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;
}

/**
 * Fan-out: with thousands of subscribers to `metricReported`, executing the same selection over the same
 * event per subscriber was the server's largest cost (docs/benchmarks.md, fan-out).
 */
export function useSharedSubscriptionResults(): Plugin {
  /** Per published event object: the result for each operation key. */
  const results = new WeakMap<object, Map<string, Promise<ExecutionResult> | ExecutionResult>>();
  const operationKey = sharedOperationKey;

  return {
    onSubscribe({ subscribeFn, setSubscribeFn }) {
      setSubscribeFn(async (args: ExecutionArgs) => {
        const key = operationKey(args);
        if (key === null) return subscribeFn(args);
        const stream = await createSourceEventStream(args);
        if (!(Symbol.asyncIterator in stream)) return stream;
        return mapEvents(stream, (event) => {
          if (event === null || typeof event !== 'object') return execute({ ...args, rootValue: event });
          let forEvent = results.get(event);
          if (!forEvent) {
            forEvent = new Map();
            results.set(event, forEvent);
          }
          let result = forEvent.get(key);
          if (result === undefined) {
            result = execute({ ...args, rootValue: event });
            forEvent.set(key, result);
          }
          return result;
        });
      });
    },
  };
}

/** The events of `source` turned into results; returning or throwing into it closes the source. */
function mapEvents(
  source: AsyncIterable<unknown>,
  toResult: (event: unknown) => Promise<ExecutionResult> | ExecutionResult,
): AsyncGenerator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  const generator = (async function* () {
    try {
      while (true) {
        const next = await iterator.next();
        if (next.done) return;
        yield await toResult(next.value);
      }
    } finally {
      await iterator.return?.();
    }
  })();
  return generator;
}
