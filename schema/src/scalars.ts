import { formatDuration } from '@metrics-collector/common/duration';
import { Kind, type ValueNode } from 'graphql';
import { builder } from './builder.js';
import { parseDuration } from './duration.js';
import { AppError, atNode, badInput } from './errors.js';

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
/** The largest time a JavaScript Date holds. */
const MAX_TIME = 8.64e15;

/**
 * Reads a time: an ISO-8601 string (a missing zone means UTC) or epoch milliseconds. Throws
 * `BAD_USER_INPUT` naming `field` otherwise. Used by the DateTime scalar and the REST shims.
 */
export function parseDateTime(value: unknown, field: string): Date {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0 && value <= MAX_TIME) return new Date(value);
    throw badInput(field, `${value} is not a time in epoch milliseconds`);
  }
  if (typeof value === 'string' && value.length <= 40 && ISO_8601.test(value)) {
    const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value) || !value.includes(':') ? value : `${value}Z`;
    const time = Date.parse(zoned.replace(' ', 'T'));
    if (Number.isFinite(time) && time >= 0) return new Date(time);
  }
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
  throw badInput(field, `${shown} is not a time; send ISO-8601 (2018-07-12T12:15:00Z) or epoch milliseconds`);
}

builder.scalarType('DateTime', {
  description:
    'A point in time: ISO-8601 on output (`2018-07-12T13:30:00.000Z`); ISO-8601 or epoch milliseconds on input.',
  serialize: (value) => (value as Date).toISOString(),
  parseValue: (value) => parseDateTime(value, 'DateTime'),
  parseLiteral: (ast) =>
    atLiteral(ast, () => {
      if (ast.kind === Kind.INT) return parseDateTime(Number(ast.value), 'DateTime');
      if (ast.kind === Kind.STRING) return parseDateTime(ast.value, 'DateTime');
      throw badInput('DateTime', 'expected an ISO-8601 string or epoch milliseconds');
    }),
});

builder.scalarType('Duration', {
  description: 'A length of time: `500ms`, `30s`, `15m`, `1h`, `7d`, `2w`, or a sum such as `1h30m`.',
  serialize: (value) => formatDuration(value as number),
  parseValue: (value) => parseDuration(value, 'Duration'),
  parseLiteral: (ast) =>
    atLiteral(ast, () => parseDuration(ast.kind === Kind.STRING ? ast.value : undefined, 'Duration')),
});

/** Parses a literal of the document; an error it throws is located at the literal (`atNode`). */
function atLiteral<T>(ast: ValueNode, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw error instanceof AppError ? atNode(error, ast) : error;
  }
}
