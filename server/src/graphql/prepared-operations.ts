import type { Context } from '@metrics-collector/schema/context';
import {
  defaultFieldResolver,
  type ExecutionResult,
  type GraphQLError,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLLeafType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  getNullableType,
  isLeafType,
  isNonNullType,
  isObjectType,
  Kind,
  locatedError,
  type OperationDefinitionNode,
  parse,
  typeFromAST,
} from 'graphql';
import { type Coerce, coercer, UNSURE } from './strict-coercion.js';

/**
 * Prepared operations: the agent's report mutation, run without parsing, validating or compiling it
 * again. Sent by every agent every window, `mutation ReportMetrics($input: ReportMetricsInput!) {
 * reportMetrics(input: $input) { ... } }` cost the HTTP hot path about twice what the same report costs
 * on the REST shim, almost all of it in the envelop pipeline around a resolver that is a single call
 * (docs/benchmarks.md). A prepared operation calls the schema's own resolver with the variables coerced,
 * and answers what graphql-js would.
 *
 * It is sure of a request, or it leaves it to the general path (which then answers it, errors and all):
 *
 * - A document is prepared only after the general path ran it with no error (so it passed every query
 *   limit and validation rule) and only when it has one mutation of one listed root field
 *   (`PreparedOptions.fields`) whose arguments are all variables without defaults, selecting leaf fields
 *   of the field's object type (aliases allowed; no fragments, directives, `__typename` or introspection,
 *   nothing whose validation or cost could depend on who asks or with what variables).
 * - Variables are coerced by a strict copy of graphql-js's rules that answers "not sure" for anything
 *   but the plain case (a missing or unknown field, an `Int` out of range, a value a scalar refuses, a
 *   single value where a list goes): such a request goes the general path, which names the fault.
 * - An error thrown by the resolver is located and masked as the general path does it.
 */
export class PreparedOperations {
  readonly #options: PreparedOptions;
  readonly #plans = new Map<string, Plan>();
  /** Documents looked at and found not preparable: never looked at again. */
  readonly #refused = new Set<string>();

  constructor(options: PreparedOptions) {
    this.#options = options;
  }

  /**
   * After the general path answered `query` with data and no error: prepares it if it qualifies. Only
   * documents that name a listed field are looked at; past `maxDocuments` prepared (or refused), the
   * oldest is forgotten, so that no caller can keep the agents' document from being prepared.
   */
  learn(query: string, operationName: string | undefined): void {
    if (query.length > MAX_SOURCE || !this.#options.fields.some((name) => query.includes(name))) return;
    if (this.#plans.has(query) || this.#refused.has(query)) return;
    const plan = planOf(this.#options, query, operationName);
    const kept: Map<string, unknown> | Set<string> = plan
      ? this.#plans.set(query, plan)
      : this.#refused.add(query);
    if (kept.size > (this.#options.maxDocuments ?? 16)) kept.delete(kept.keys().next().value as string);
  }

  /**
   * Runs `query` if it is prepared and the variables are plainly valid; `undefined` when the general
   * path must serve the request. `contextOf` makes the operation's context, as the general path would.
   */
  run(
    query: string,
    operationName: unknown,
    variables: Record<string, unknown> | undefined,
    contextOf: () => Context,
  ): Promise<ExecutionResult> | undefined {
    const plan = this.#plans.get(query);
    if (!plan || (operationName != null && operationName !== plan.operationName)) return undefined;
    const args: Record<string, unknown> = {};
    for (const argument of plan.arguments) {
      const value = argument.coerce(variables?.[argument.variable]);
      if (value === UNSURE) return undefined;
      args[argument.name] = value;
    }
    return this.#execute(plan, args, variables ?? {}, contextOf());
  }

  async #execute(
    plan: Plan,
    args: Record<string, unknown>,
    variableValues: Record<string, unknown>,
    context: Context,
  ): Promise<ExecutionResult> {
    const { field, responseKey } = plan;
    const info = { ...plan.info, variableValues } as GraphQLResolveInfo;
    let result: ExecutionResult;
    try {
      const value = await (field.resolve ?? defaultFieldResolver)(undefined, args, context, info);
      const answer: Record<string, unknown> = {};
      for (const leaf of plan.leaves) {
        let raw = leaf.field.resolve ? undefined : ownProperty(value, leaf.field.name);
        if (raw === undefined) {
          const leafInfo = { ...leaf.info, variableValues } as GraphQLResolveInfo;
          raw = (leaf.field.resolve ?? defaultFieldResolver)(value, {}, context, leafInfo);
          if (raw instanceof Promise) raw = await raw;
        }
        if (raw == null && leaf.nonNull) throw new Error(`${leaf.field.name} resolved to null`);
        answer[leaf.responseKey] = raw == null ? null : leaf.type.serialize(raw);
      }
      result = { data: { [responseKey]: answer } };
    } catch (error) {
      // As graphql-jit answers a failed field of a reused document: located by path, not by line.
      const located = locatedError(error, undefined, [responseKey]);
      result = { data: null, errors: [this.#options.maskError(located) as GraphQLError] };
    }
    this.#options.executed(plan.operationName, result);
    return result;
  }
}

export interface PreparedOptions {
  schema: GraphQLSchema;
  /** The root mutation fields whose operations may be prepared. */
  fields: readonly string[];
  /** The general path's error masking (the error boundary's). */
  maskError(error: unknown): Error;
  /** Hears every prepared operation run, with its name, as the metrics plugin hears the general path's. */
  executed(operationName: string | undefined, result: ExecutionResult): void;
  /** Documents kept prepared, and documents kept refused, at most (the oldest is forgotten). @default 16 */
  maxDocuments?: number;
}

/**
 * What graphql-js's `defaultFieldResolver` answers for a property that is not a function, without the
 * resolve info it would need; `undefined` otherwise (the caller then calls the resolver).
 */
function ownProperty(source: unknown, name: string): unknown {
  if (typeof source !== 'object' || source === null) return undefined;
  const value = (source as Record<string, unknown>)[name];
  return typeof value === 'function' ? undefined : value;
}

/** Documents longer than this are never prepared: a report mutation is a few hundred bytes. */
const MAX_SOURCE = 2_048;

interface Plan {
  operationName: string | undefined;
  responseKey: string;
  field: GraphQLField<unknown, Context>;
  arguments: { name: string; variable: string; coerce: Coerce }[];
  leaves: {
    responseKey: string;
    field: GraphQLField<unknown, Context>;
    type: GraphQLLeafType;
    nonNull: boolean;
    info: Omit<GraphQLResolveInfo, 'variableValues'>;
  }[];
  info: Omit<GraphQLResolveInfo, 'variableValues'>;
}

/** The plan of a document that qualifies (see `PreparedOperations`), else `null`. */
function planOf(options: PreparedOptions, query: string, operationName: string | undefined): Plan | null {
  const { schema } = options;
  const mutation = schema.getMutationType();
  let document: ReturnType<typeof parse>;
  try {
    document = parse(query, { maxTokens: 500 });
  } catch {
    return null;
  }
  const [operation, ...others] = document.definitions;
  if (!mutation || others.length > 0 || operation?.kind !== Kind.OPERATION_DEFINITION) return null;
  if (operation.operation !== 'mutation' || operation.directives?.length) return null;
  if (operationName != null && operationName !== operation.name?.value) return null;
  const [node, ...more] = operation.selectionSet.selections;
  if (more.length > 0 || node?.kind !== Kind.FIELD || node.directives?.length) return null;
  const field = mutation.getFields()[node.name.value];
  if (!field || !options.fields.includes(field.name) || !node.selectionSet) return null;
  const object = getNullableType(field.type);
  if (!isObjectType(object)) return null;
  const variables = new Map<string, GraphQLInputType>();
  for (const definition of operation.variableDefinitions ?? []) {
    const type = typeFromAST(schema, definition.type as never) as GraphQLInputType | undefined;
    if (!type || definition.defaultValue || definition.directives?.length) return null;
    variables.set(definition.variable.name.value, type);
  }
  const args: Plan['arguments'] = [];
  for (const argument of field.args) {
    const given = node.arguments?.find((a) => a.name.value === argument.name);
    if (given?.value.kind !== Kind.VARIABLE) return null;
    const type = variables.get(given.value.name.value);
    const coerce = type && String(type) === String(argument.type) ? coercer(type) : null;
    if (!coerce) return null;
    args.push({ name: argument.name, variable: given.value.name.value, coerce });
  }
  if ((node.arguments?.length ?? 0) !== field.args.length || variables.size !== args.length) return null;
  const responseKey = node.alias?.value ?? node.name.value;
  const info: Plan['info'] = {
    fieldName: field.name,
    fieldNodes: [node],
    returnType: field.type,
    parentType: mutation,
    path: { prev: undefined, key: responseKey, typename: mutation.name },
    schema,
    fragments: {},
    rootValue: undefined,
    operation: operation as OperationDefinitionNode,
  };
  const leaves: Plan['leaves'] = [];
  const keys = new Set<string>();
  for (const selection of node.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || selection.directives?.length || selection.arguments?.length)
      return null;
    const leaf = object.getFields()[selection.name.value];
    const type = leaf && getNullableType(leaf.type);
    const key = selection.alias?.value ?? selection.name.value;
    if (!leaf || !isLeafType(type) || leaf.args.length > 0 || keys.has(key)) return null;
    keys.add(key);
    const path = { prev: info.path, key, typename: object.name };
    leaves.push({
      responseKey: key,
      field: leaf as never,
      type,
      nonNull: isNonNullType(leaf.type),
      info: {
        ...info,
        fieldName: leaf.name,
        fieldNodes: [selection],
        returnType: leaf.type,
        parentType: object,
        path,
      },
    });
  }
  return {
    operationName: operation.name?.value,
    responseKey,
    field: field as never,
    arguments: args,
    leaves,
    info,
  };
}
