import { schema } from '@metrics-collector/schema';
import { coerceInputValue, type GraphQLInputType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { reportInput } from '../../../testing/fixtures.js';
import { coercer, UNSURE } from '../../src/graphql/strict-coercion.js';
import { random } from '../helpers.js';

// The prepared report mutation's coercion of variables (server/src/graphql/strict-coercion.ts) against
// graphql-js's own, on reports mutated at random: whatever it coerces, graphql-js coerces to the same
// value; what it is not sure of, it leaves to graphql-js.

const type = schema.getType('ReportMetricsInput') as GraphQLInputType;
const strict = coercer(type);

/** graphql-js's coercion, or `null` when it refuses the value. */
function reference(value: unknown): unknown {
  let refused = false;
  const coerced = coerceInputValue(value, type, () => {
    refused = true;
  });
  return refused ? null : coerced;
}

const oddValues = [
  null,
  undefined,
  0,
  -1,
  1.5,
  2 ** 31,
  -(2 ** 31),
  Number.MAX_SAFE_INTEGER,
  '',
  '1',
  'x',
  '2026-01-01T00:00:00Z',
  'yesterday',
  true,
  [],
  [1],
  {},
  { mean: 1, variance: 0, min: 1, max: 1 },
];

/** A copy of `value` with one place somewhere inside it replaced, added or removed. */
function mutate(value: unknown, next: () => number): unknown {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  if (Array.isArray(value)) {
    if (value.length === 0 || next() < 0.3) return pick(oddValues);
    const i = Math.floor(next() * value.length);
    return value.map((item, j) => (j === i ? mutate(item, next) : item));
  }
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    const roll = next();
    if (roll < 0.1) return { ...value, [pick(['gpu', 'extra', '__proto__x'])]: pick(oddValues) };
    if (roll < 0.2 || keys.length === 0) {
      const { [pick(keys) as string]: _removed, ...rest } = value as Record<string, unknown>;
      return rest;
    }
    const key = pick(keys);
    return { ...value, [key]: mutate((value as Record<string, unknown>)[key], next) };
  }
  return pick(oddValues);
}

describe('strict coercion of ReportMetricsInput', () => {
  it('coerces a plain report as graphql-js does', () => {
    const input = reportInput();
    expect(strict?.(input)).not.toBe(UNSURE);
    expect(strict?.(input)).toEqual(reference(input));
  });

  it('agrees with graphql-js on 20,000 reports mutated at random, or leaves them to it', () => {
    const next = random(13);
    let coerced = 0;
    for (let i = 0; i < 20_000; i += 1) {
      let input: unknown = reportInput();
      for (let m = 1 + Math.floor(next() * 3); m > 0; m -= 1) input = mutate(input, next);
      const ours = strict?.(input);
      if (ours === UNSURE) continue;
      coerced += 1;
      expect({ i, input, coerced: ours }).toEqual({ i, input, coerced: reference(input) });
    }
    // Many mutations keep the report valid (an optional field removed or nulled, a number changed).
    expect(coerced).toBeGreaterThan(2_000);
  });
});
