import { AppError } from '@metrics-collector/schema/errors';
import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

export interface QueryLimits {
  /** Deepest field nesting allowed; the introspection query GraphiQL sends is 15 deep. @default 15 */
  maxDepth: number;
  /** Field selections allowed in one operation, fragments expanded. @default 1000 */
  maxComplexity: number;
}

/**
 * Rejects operations nested deeper than `maxDepth` or selecting more than `maxComplexity` fields
 * (fragments expanded, so a fragment spread many times counts many times), during validation, before
 * anything runs: `QUERY_TOO_DEEP` or `QUERY_TOO_COMPLEX`.
 */
export function useQueryLimits(limits: QueryLimits): Plugin {
  const rule = (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation: OperationDefinitionNode) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const definition of context.getDocument().definitions) {
        if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      }
      let fields = 0;
      let deepest = 0;
      const walk = (set: SelectionSetNode, depth: number, visiting: Set<string>): boolean => {
        for (const selection of set.selections) {
          if (selection.kind === Kind.FIELD) {
            fields += 1;
            deepest = Math.max(deepest, depth);
            if (fields > limits.maxComplexity || deepest > limits.maxDepth) return false;
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
      if (walk(operation.selectionSet, 1, new Set())) return;
      context.reportError(
        deepest > limits.maxDepth
          ? new AppError('QUERY_TOO_DEEP', `query: nests deeper than the ${limits.maxDepth} levels allowed`, {
              field: 'query',
            })
          : new AppError(
              'QUERY_TOO_COMPLEX',
              `query: selects more than the ${limits.maxComplexity} fields allowed (fragments expanded)`,
              { field: 'query' },
            ),
      );
    },
  });
  // graphql-js parses by recursion and overflows the stack on thousands of nested brackets; refuse such
  // documents before parsing. Selections, list and object literals each add a level.
  const maxBrackets = limits.maxDepth * 4 + 16;
  return {
    onParse({ params }) {
      const source = typeof params.source === 'string' ? params.source : params.source.body;
      if (bracketDepth(source) > maxBrackets) {
        throw new AppError(
          'QUERY_TOO_DEEP',
          `query: nests brackets deeper than the ${maxBrackets} levels allowed`,
          {
            field: 'query',
          },
        );
      }
    },
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}

/** The deepest nesting of `{`, `[` and `(` outside strings and comments. */
export function bracketDepth(source: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < source.length; i += 1) {
    const c = source[i];
    if (c === '#') {
      while (i < source.length && source[i] !== '\n') i += 1;
    } else if (c === '"') {
      const end = source.startsWith('"""', i) ? '"""' : '"';
      i += end.length;
      while (i < source.length && !source.startsWith(end, i)) i += source[i] === '\\' ? 2 : 1;
      i += end.length - 1;
    } else if (c === '{' || c === '[' || c === '(') {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (c === '}' || c === ']' || c === ')') {
      depth -= 1;
    }
  }
  return deepest;
}
