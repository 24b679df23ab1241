import { useGraphQlJit } from '@envelop/graphql-jit';
import { type ExecutionResult, getOperationAST, getVariableValues } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { isReusedDocument } from './use-query-limits.js';

/**
 * Executes operations compiled by graphql-jit (cached per document), which on the report mutation
 * roughly halves the cost of coercing variables and resolving. graphql-jit reports bad variables
 * without the path to the field ('Variable "$observations" got invalid value ...'), so when it refuses
 * the variables, graphql-js coerces them once more to give its own errors, which name the full path
 * ('... at "input.observations"'). Only failing requests pay for that.
 */
export function useCompiledExecution(): Plugin[] {
  const standardVariableErrors: Plugin = {
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          const single = result as ExecutionResult;
          if (single.data !== undefined || !single.errors?.length) return;
          if (!single.errors.every((error) => error.message.startsWith('Variable "$'))) return;
          const operation = getOperationAST(args.document, args.operationName);
          const { errors } = getVariableValues(
            args.schema,
            operation?.variableDefinitions ?? [],
            (args.variableValues ?? {}) as Record<string, unknown>,
          );
          if (errors?.length) setResult({ errors });
        },
      };
    },
  };
  // graphql-jit 0.8 hands a subscription field's `subscribe` the operation's variables instead of the field's
  // arguments (a literal `clientId` would not filter): subscriptions run on graphql-js. Compiling pays
  // only for documents that come back (served by the document cache); a one-off document, perhaps one
  // made to cost compile time, runs on graphql-js.
  const jit = useGraphQlJit(
    {},
    {
      enableIf: (args) =>
        isReusedDocument(args.document) &&
        getOperationAST(args.document, args.operationName)?.operation !== 'subscription',
    },
  );
  return [jit as Plugin, standardVariableErrors];
}
