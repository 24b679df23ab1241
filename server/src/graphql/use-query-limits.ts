import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { Principal } from '@metrics-collector/schema/auth';
import type { Context } from '@metrics-collector/schema/context';
import { AppError } from '@metrics-collector/schema/errors';
import {
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  type Source,
  type ValidationContext,
  type ValidationRule,
  validate,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { operationCost } from './query-cost.js';

/** What one GraphQL operation may cost. Every limit is checked before the store is asked anything. */
export interface QueryBudget {
  /** Lexical tokens in the document; parsing stops at the first one past it. */
  maxTokens: number;
  /** Deepest field nesting; GraphiQL's introspection query is 15 deep. */
  maxDepth: number;
  /** Field selections, fragments expanded (a fragment spread many times counts many times). */
  maxFields: number;
  maxAliases: number;
  maxDirectives: number;
  /** Values answered, as `operationCost` prices them: each row (bucket, client, ...) and field in it. */
  maxCost: number;
}

/**
 * The budget of a caller without a valid token while auth is on: enough for `{ __typename }`, the
 * catalogue, introspection with `INTROSPECTION=on`, and the `UNAUTHENTICATED` answer every other field
 * gives it; never more than the configured budget. Its cost limit stays the configured one: every field
 * that reads a store refuses an anonymous caller before asking the store, so what it could cost is
 * parsing and validating, which the other limits bound.
 */
export function anonymousBudget(budget: QueryBudget): QueryBudget {
  return {
    maxTokens: Math.min(budget.maxTokens, 1_000),
    maxDepth: Math.min(budget.maxDepth, 15),
    maxFields: Math.min(budget.maxFields, 300),
    maxAliases: Math.min(budget.maxAliases, 10),
    maxDirectives: Math.min(budget.maxDirectives, 10),
    maxCost: budget.maxCost,
  };
}

export interface QueryLimitsOptions {
  /** The budget of a caller with a valid token, and of every caller while auth is off. */
  budget: QueryBudget;
  authEnabled: boolean;
  /** `scoped`: introspection needs scope `read`; `on`: anyone may introspect. */
  introspection: 'scoped' | 'on';
  /**
   * Who sent the request, from the initial context a transport hands `getEnveloped`: its `principal`
   * when the transport authenticated already, else from the request's `Authorization` header. A header
   * that is not a valid token reads as anonymous here; the context factory refuses it.
   */
  principalOf(initialContext: Record<string, unknown>): Principal;
  /** Parsed and validated documents kept, per kind of caller. @default 500 */
  cacheSize?: number;
}

/** Documents longer than this are parsed and validated on every request rather than cached. */
const MAX_CACHED_SOURCE = 16_384;

interface Tier {
  /** Which cache and which validation result apply: budget and introspection right. */
  key: string;
  budget: QueryBudget;
  canIntrospect: boolean;
  /** A caller without a valid token while auth is on. */
  anonymous: boolean;
}

/**
 * The limits on what one GraphQL operation may make the server do, applied in the order of their cost
 * so that a refusal never costs more than the request that caused it:
 *
 * 1. Parsing stops after `maxTokens` tokens (graphql-js's own `maxTokens`), so a 1 MiB document of
 *    500,000 fields is refused having built nothing. A document nested so deep that the recursive parser
 *    overflows the stack is `QUERY_TOO_DEEP`.
 * 2. Before graphql-js's validation rules (some of which are quadratic in the number of fields), one
 *    pass checks depth, fields (fragments expanded), aliases and directives (graphql-armor's rules) and
 *    introspection; a document over a limit goes no further.
 * 3. Before execution, `operationCost` prices what the operation can return from its arguments
 *    (fields times the rows they are answered for: `metricHistory` by its buckets, `clients` by
 *    `first`, ...) and refuses it over `maxCost`, before any store is asked.
 *
 * This plugin replaces yoga's parse and validation cache: only documents that passed every rule are
 * kept (at most `cacheSize` per kind of caller, each at most 16 KiB of source), so that documents
 * refused by a limit, however many and however large, hold no memory once answered. A caller without a
 * valid token while auth is on gets `anonymousBudget`.
 */
export function useQueryLimits(options: QueryLimitsOptions): Plugin {
  const cacheSize = options.cacheSize ?? 500;
  const anonymous = anonymousBudget(options.budget);
  const caches = new Map<string, Map<string, DocumentNode>>();
  /** The tier each cached document passed validation for. */
  const validatedFor = new WeakMap<DocumentNode, string>();
  const sources = new WeakMap<DocumentNode, string>();
  const tiers = new WeakMap<object, Tier>();

  const tierOf = (initial: Record<string, unknown>): Tier => {
    const known = tiers.get(initial);
    if (known) return known;
    const principal = options.principalOf(initial);
    const anonymousCaller = options.authEnabled && principal.name === null;
    const canIntrospect =
      options.introspection === 'on' || principal.scopes.has('read') || principal.scopes.has('admin');
    const tier: Tier = {
      key: `${anonymousCaller ? 'anonymous' : 'token'}:${canIntrospect ? 'introspect' : 'no-introspect'}`,
      budget: anonymousCaller ? anonymous : options.budget,
      canIntrospect,
      anonymous: anonymousCaller,
    };
    tiers.set(initial, tier);
    return tier;
  };
  const cacheOf = (tier: Tier) => {
    let cache = caches.get(tier.key);
    if (!cache) {
      cache = new Map();
      caches.set(tier.key, cache);
    }
    return cache;
  };

  return {
    onParse({ context, params, setParsedDocument, setParseFn }) {
      const tier = tierOf(context as Record<string, unknown>);
      const source = sourceText(params.source);
      const cache = cacheOf(tier);
      const cached = cache.get(source);
      if (cached) {
        // Refresh its place in the LRU order.
        cache.delete(source);
        cache.set(source, cached);
        reusedDocuments.add(cached);
        setParsedDocument(cached);
        return;
      }
      setParseFn((text) => parseWithin(text, tier.budget));
      return ({ result }) => {
        if (result && !(result instanceof Error) && source.length <= MAX_CACHED_SOURCE) {
          sources.set(result, source);
        }
      };
    },
    onValidate({ context, params, setResult }) {
      const tier = tierOf(context as Record<string, unknown>);
      const document = params.documentAST;
      if (validatedFor.get(document) === tier.key) {
        setResult([]);
        return;
      }
      const refused = validate(params.schema, document, limitRules(tier));
      if (refused.length > 0) {
        setResult(refused.slice(0, 1));
        return;
      }
      return ({ valid }) => {
        const source = sources.get(document);
        if (!valid || source === undefined) return;
        const cache = cacheOf(tier);
        cache.set(source, document);
        validatedFor.set(document, tier.key);
        if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
      };
    },
    onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue as unknown as Context;
      const { maxCost } = options.budget;
      const refuse = (cost: number) => {
        if (cost <= maxCost) return;
        setResultAndStopExecution({
          errors: [
            new AppError(
              'QUERY_TOO_COMPLEX',
              `query: costs ${cost} values (rows and the fields answered for them: history buckets, clients, ...), more than the ${maxCost} allowed per operation; select fewer fields, narrow the ranges, use a larger resample or page with first/limit`,
              { field: 'query' },
            ),
          ],
        });
      };
      const cost = operationCost(args, ctx);
      if (typeof cost === 'number') refuse(cost);
      else return cost.then(refuse);
    },
  };
}

/** Documents served from a cache at least once: they come back, so compiling them pays. */
const reusedDocuments = new WeakSet<DocumentNode>();

/** Whether a document came back from the cache: one sent again and again, such as an agent's report. */
export function isReusedDocument(document: DocumentNode): boolean {
  return reusedDocuments.has(document);
}

function sourceText(source: string | Source): string {
  return typeof source === 'string' ? source : source.body;
}

/** graphql-js's parser, stopped at `maxTokens` tokens; its errors carry a registry code. */
function parseWithin(text: string | Source, budget: QueryBudget): DocumentNode {
  try {
    return parse(text, { maxTokens: budget.maxTokens });
  } catch (error) {
    if (error instanceof RangeError) {
      throw new AppError('QUERY_TOO_DEEP', 'query: nests too deep to parse', { field: 'query' });
    }
    if ((error as GraphQLError).message?.includes('tokens. Parsing aborted')) {
      throw new AppError(
        'QUERY_TOO_COMPLEX',
        `query: has more than the ${budget.maxTokens} tokens allowed in one document`,
        { field: 'query' },
      );
    }
    throw error;
  }
}

/** The rules of the pass before graphql-js's own: they refuse with the first problem found. */
function limitRules(tier: Tier): ValidationRule[] {
  const { budget } = tier;
  const refuse = (message: string) => (context: ValidationContext | null) =>
    context?.reportError(new AppError('QUERY_TOO_COMPLEX', message, { field: 'query' }));
  return [
    shapeRule(tier),
    maxAliasesRule({
      n: budget.maxAliases,
      propagateOnRejection: false,
      onReject: [refuse(`query: has more than the ${budget.maxAliases} aliases allowed`)],
    }),
    maxDirectivesRule({
      n: budget.maxDirectives,
      propagateOnRejection: false,
      onReject: [refuse(`query: has more than the ${budget.maxDirectives} directives allowed`)],
    }),
  ];
}

/**
 * Depth and fields of each operation, fragments expanded (so a fragment spread many times counts many
 * times), and whether it introspects the schema (`__schema`, `__type`; `__typename` is not
 * introspection).
 */
function shapeRule({ budget, canIntrospect, anonymous }: Tier): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation: OperationDefinitionNode) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const definition of context.getDocument().definitions) {
        if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      }
      let fields = 0;
      let deepest = 0;
      let introspects = false;
      const walk = (set: SelectionSetNode, depth: number, visiting: Set<string>): boolean => {
        for (const selection of set.selections) {
          if (selection.kind === Kind.FIELD) {
            fields += 1;
            deepest = Math.max(deepest, depth);
            const name = selection.name.value;
            if (name === '__schema' || name === '__type') introspects = true;
            if (fields > budget.maxFields || deepest > budget.maxDepth) return false;
            if (selection.selectionSet && !walk(selection.selectionSet, depth + 1, visiting)) return false;
          } else if (selection.kind === Kind.INLINE_FRAGMENT) {
            if (!walk(selection.selectionSet, depth, visiting)) return false;
          } else {
            const fragment = fragments.get(selection.name.value);
            // Unknown or cyclic spreads are reported by graphql-js's own rules.
            if (!fragment || visiting.has(fragment.name.value)) continue;
            visiting.add(fragment.name.value);
            const ok = walk(fragment.selectionSet, depth, visiting);
            visiting.delete(fragment.name.value);
            if (!ok) return false;
          }
        }
        return true;
      };
      if (!walk(operation.selectionSet, 1, new Set())) {
        context.reportError(
          deepest > budget.maxDepth
            ? new AppError(
                'QUERY_TOO_DEEP',
                `query: nests deeper than the ${budget.maxDepth} levels allowed`,
                {
                  field: 'query',
                },
              )
            : new AppError(
                'QUERY_TOO_COMPLEX',
                `query: selects more than the ${budget.maxFields} fields allowed (fragments expanded)`,
                { field: 'query' },
              ),
        );
      } else if (introspects && !canIntrospect) {
        context.reportError(
          new AppError(
            anonymous ? 'UNAUTHENTICATED' : 'FORBIDDEN',
            'query: introspection (__schema, __type) needs a token with scope read (or INTROSPECTION=on on the server)',
            { field: 'query' },
          ),
        );
      }
    },
  });
}
