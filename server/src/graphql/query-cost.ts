import { catalogue } from '@metrics-collector/common/catalogue';
import { defaultHistoryLimit, maxHistoryLimit } from '@metrics-collector/schema/alerts/service';
import { defaultClientPage, maxClientPage } from '@metrics-collector/schema/clients/service';
import { defaultListLimit, maxListLimit } from '@metrics-collector/schema/commands/service';
import type { Context } from '@metrics-collector/schema/context';
import { historyPlan } from '@metrics-collector/schema/history/service';
import {
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  getArgumentValues,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  isListType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';

type Args = Record<string, unknown>;

/** How many rows a list field can return, from its arguments and those of the field holding it. */
type RowCount = (args: Args, parentArgs: Args, sizes: Sizes) => number | Promise<number>;

/** Sizes of what the server holds, read at most once per operation, and the service's limits. */
interface Sizes {
  clients(): Promise<number>;
  rules(): Promise<number>;
  now: number;
  maxBuckets: number;
}

/**
 * Every list field of the schema and the most rows it can return. A test holds this table to the
 * schema, so that a new list field is priced on purpose.
 */
export const listRows: Record<string, RowCount> = {
  'MetricHistory.points': (_args, parent, sizes) => {
    const { buckets } = historyPlan(
      {
        from: parent.from as Date | null,
        to: parent.to as Date | null,
        resample: parent.resample as number | null,
      },
      sizes.now,
    );
    // More than the service allows is refused by it before the store is asked: an error, no rows.
    return buckets > sizes.maxBuckets ? 1 : buckets;
  },
  'Query.clients': (args) => page(args.first, defaultClientPage, maxClientPage),
  'Query.fleetSummary': (_args, _parent, sizes) => sizes.clients(),
  'Query.agentCommands': (args) => page(args.limit, defaultListLimit, maxListLimit),
  'Query.alerts': (args) => page(args.limit, defaultHistoryLimit, maxHistoryLimit),
  'Query.alertRules': (_args, _parent, sizes) => sizes.rules(),
  'AlertRule.states': (_args, _parent, sizes) => sizes.clients(),
  'Query.metrics': () => Object.keys(catalogue).length,
  'MetricReport.stats': () => 1_024 + Object.keys(catalogue).length,
};

/** The rows of a page of `size` (`null`: the default); one the service refuses answers no rows. */
function page(size: unknown, byDefault: number, max: number): number {
  if (size == null) return byDefault;
  return typeof size === 'number' && Number.isSafeInteger(size) && size >= 1 && size <= max ? size : 1;
}

/** Lists whose size does not depend on arguments or on what the server holds. */
const FIXED_LISTS = new Set(['Query.metrics', 'MetricReport.stats']);

/** The cost of operations whose every list has a fixed size (a report, the catalogue), by document. */
const fixedCosts = new WeakMap<DocumentNode, Map<string, number | null>>();

/**
 * What an operation can return, in values: every row of a list counts 1 and every scalar field
 * (`__typename` included) 1 more for each row it is answered for, a list holding as many rows as
 * `listRows` says it can (a history's buckets from its range and resample, `first` clients, ...). So
 * `points { time value }` of a 10,000-bucket history costs 30,000, `points { value }` 20,000: what the
 * server must build, resolve, serialise and send on its event loop (the store's own work runs elsewhere:
 * the read thread, or InfluxDB; the bench measured rows and values alike). Introspection (`__schema`,
 * `__type`) is free: its answer is as large as the schema, no more. Arguments the resolvers will refuse
 * cost 1: they answer an error, no rows.
 */
export function operationCost(args: ExecutionArgs, ctx: Context): number | Promise<number> {
  // Known without looking at arguments (a report, the catalogue): answered at once, without a promise.
  const fixed = fixedCosts.get(args.document)?.get(args.operationName ?? '');
  return typeof fixed === 'number' ? fixed : pricedCost(args, ctx);
}

async function pricedCost(args: ExecutionArgs, ctx: Context): Promise<number> {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return 0;
  let perDocument = fixedCosts.get(args.document);
  const key = args.operationName ?? '';
  const root = args.schema.getRootType(operation.operation);
  if (!root) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of args.document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  let clients: Promise<number> | undefined;
  let rules: Promise<number> | undefined;
  const sizes: Sizes = {
    clients: () => {
      clients ??= ctx.state.countClients();
      return clients;
    },
    rules: () => {
      rules ??= ctx.alerts.listRules().then((list) => list.length);
      return rules;
    },
    now: ctx.clock.now(),
    maxBuckets: ctx.limits.maxBuckets,
  };
  // Coerced as execution will coerce them (a DateTime variable becomes a Date); variables it will
  // refuse make the operation an error that costs nothing.
  const coerced = getVariableValues(
    args.schema,
    operation.variableDefinitions ?? [],
    (args.variableValues ?? {}) as Args,
  );
  if (coerced.errors) return 0;
  const variables = coerced.coerced;
  let dynamic = false;

  const walk = async (
    set: SelectionSetNode,
    type: GraphQLObjectType,
    multiplier: number,
    parentArgs: Args,
    visiting: Set<string>,
  ): Promise<number> => {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__schema' || name === '__type') continue;
        if (name === '__typename') {
          cost += multiplier;
          continue;
        }
        const field = type.getFields()[name];
        if (!field) continue;
        const inner = getNamedType(field.type);
        if (!selection.selectionSet || !isObjectType(inner)) {
          cost += multiplier;
          continue;
        }
        const fieldArgs = argumentsOf(field, selection, variables);
        let rows = 1;
        if (isListType(getNullableType(field.type))) {
          const list = `${type.name}.${name}`;
          const count = listRows[list];
          if (!FIXED_LISTS.has(list)) dynamic = true;
          rows = count ? await count(fieldArgs, parentArgs, sizes) : 100;
          // Each row is an object to build and resolve, whatever it holds.
          cost += multiplier * rows;
        }
        cost += await walk(selection.selectionSet, inner, multiplier * rows, fieldArgs, visiting);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost += await walk(selection.selectionSet, type, multiplier, parentArgs, visiting);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || visiting.has(fragment.name.value)) continue;
        visiting.add(fragment.name.value);
        cost += await walk(fragment.selectionSet, type, multiplier, parentArgs, visiting);
        visiting.delete(fragment.name.value);
      }
    }
    return cost;
  };

  const cost = await walk(operation.selectionSet, root, 1, {}, new Set());
  if (!dynamic) {
    perDocument ??= new Map();
    perDocument.set(key, cost);
    fixedCosts.set(args.document, perDocument);
  }
  return cost;
}

function argumentsOf(field: GraphQLField<unknown, unknown>, node: FieldNode, variables: Args): Args {
  if (field.args.length === 0) return {};
  try {
    return getArgumentValues(field, node, variables);
  } catch {
    return {};
  }
}
