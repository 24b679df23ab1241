import {
  type GraphQLInputObjectType,
  type GraphQLInputType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
} from 'graphql';

/** What a strict coercer answers when it is not sure graphql-js would coerce the value the same way. */
export const UNSURE = Symbol('unsure');
/** Coerces a variable's value, or answers `UNSURE`. */
export type Coerce = (value: unknown) => unknown;

/**
 * graphql-js's coercion of a variable's value (`coerceInputValue`) for the plain case, or `UNSURE`; `null`
 * for a type it does not handle (an input field with a default, a `@oneOf` input).
 */
export function coercer(type: GraphQLInputType): Coerce | null {
  if (isNonNullType(type)) {
    const inner = nullableCoercer(type.ofType);
    return inner && ((value) => (value == null ? UNSURE : inner(value)));
  }
  const inner = nullableCoercer(type);
  return inner && ((value) => (value === null ? null : value === undefined ? UNSURE : inner(value)));
}

function nullableCoercer(type: GraphQLInputType): Coerce | null {
  if (isListType(type)) {
    const item = coercer(type.ofType);
    return (
      item &&
      ((value) => {
        if (!Array.isArray(value)) return UNSURE;
        const list = new Array(value.length);
        for (let i = 0; i < value.length; i += 1) {
          const coerced = item(value[i]);
          if (coerced === UNSURE) return UNSURE;
          list[i] = coerced;
        }
        return list;
      })
    );
  }
  if (isInputObjectType(type)) return objectCoercer(type);
  if (isEnumType(type)) {
    return (value) => (typeof value === 'string' ? (type.getValue(value)?.value ?? UNSURE) : UNSURE);
  }
  if (isScalarType(type)) return scalarCoercer(type.name, (value) => type.parseValue(value));
  return null;
}

/** The built-in scalars as graphql-js coerces them; others by their own `parseValue`. */
function scalarCoercer(name: string, parseValue: (value: unknown) => unknown): Coerce {
  switch (name) {
    case 'Int':
      return (v) =>
        Number.isInteger(v) && (v as number) <= 2_147_483_647 && (v as number) >= -2_147_483_648 ? v : UNSURE;
    case 'Float':
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : UNSURE);
    case 'String':
      return (v) => (typeof v === 'string' ? v : UNSURE);
    case 'Boolean':
      return (v) => (typeof v === 'boolean' ? v : UNSURE);
    case 'ID':
      return (v) => (typeof v === 'string' ? v : Number.isInteger(v) ? String(v) : UNSURE);
    default:
      return (v) => {
        try {
          const parsed = parseValue(v);
          return parsed === undefined ? UNSURE : parsed;
        } catch {
          return UNSURE;
        }
      };
  }
}

/** Input types being compiled: a recursive one is not prepared. */
const compiling = new Set<GraphQLInputObjectType>();

function objectCoercer(type: GraphQLInputObjectType): Coerce | null {
  if ((type as { isOneOf?: boolean }).isOneOf || compiling.has(type)) return null;
  compiling.add(type);
  try {
    return compiledObject(type);
  } finally {
    compiling.delete(type);
  }
}

function compiledObject(type: GraphQLInputObjectType): Coerce | null {
  const fields: { name: string; coerce: Coerce; required: boolean }[] = [];
  for (const field of Object.values(type.getFields())) {
    if (field.defaultValue !== undefined) return null;
    const coerce = coercer(field.type);
    if (!coerce) return null;
    fields.push({ name: field.name, coerce, required: isNonNullType(field.type) });
  }
  const known = new Set(fields.map((f) => f.name));
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return UNSURE;
    const input = value as Record<string, unknown>;
    for (const key in input) if (!known.has(key)) return UNSURE;
    const coerced: Record<string, unknown> = {};
    for (const { name, coerce, required } of fields) {
      const given = input[name];
      if (given === undefined) {
        if (required) return UNSURE;
        continue;
      }
      const result = coerce(given);
      if (result === UNSURE) return UNSURE;
      coerced[name] = result;
    }
    return coerced;
  };
}
