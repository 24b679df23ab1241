import fc from 'fast-check';
import { originalReport, reportInput } from '../../../testing/fixtures.js';
import { raw, stringify } from '../raw-json.js';

// The values the fuzzing puts into bodies: extreme and malformed ones, mutations of the valid bodies, and
// well-formed reports with extreme statistics.

type Json = Record<string, any>;
export const DAY = 86_400_000;

const extremeNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1,
    0.25,
    0.2500001,
    1.0000001,
    -1e-300,
    5e-324,
    1e308,
    -1e308,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 53 - 1,
    2 ** 53 + 2,
    8.64e15,
    8.64e15 + 1,
    Date.now(),
    Date.now() + DAY - 60_000,
    Date.now() + DAY + 60_000,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);
const nonFinite = fc.constantFrom(raw('1e999'), raw('-1e999'), raw('1e400'), raw('-0.0e-999'));
const notJsonNumber = fc.constantFrom(raw('NaN'), raw('Infinity'), raw('-Infinity'), raw('0x10'), raw('.5'));
const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom(
    '',
    ' ',
    'NaN',
    'Infinity',
    '1e999',
    '-0',
    '0.5',
    '1531402665626',
    '2018-07-12T12:00:00Z',
    '9999-12-31T23:59:59Z',
    '15m',
    'CPU',
    '\u0000',
    '\ud800',
    'x'.repeat(256),
    'x'.repeat(257),
    '"; DROP TABLE points; --',
    '__proto__',
  ),
);
export const deepNesting = fc
  .tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom('[]', '{}'))
  .map(([depth, brackets]) =>
    raw(
      brackets === '[]'
        ? `${'['.repeat(depth)}${']'.repeat(depth)}`
        : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
    ),
  );
const longList = fc
  .tuple(fc.integer({ min: 0, max: 1100 }), fc.oneof(extremeNumber, fc.jsonValue({ maxDepth: 1 })))
  .map(([length, item]) => Array(length).fill(item));

/** Anything that can stand where a field's value was. */
export const replacement = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: extremeNumber, weight: 3 },
  { arbitrary: nonFinite, weight: 2 },
  { arbitrary: notJsonNumber, weight: 1 },
  { arbitrary: nastyString, weight: 3 },
  { arbitrary: deepNesting, weight: 1 },
  { arbitrary: longList, weight: 1 },
);

// ---------------------------------------------------------------------------------------------------------
// Mutations of a valid body

type Mutation = { path: string[]; op: 'delete' } | { path: string[]; op: 'set'; value: unknown };

/** Every path of `value` (objects and arrays), the root excluded. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    [...prefix, key],
    ...pathsOf(child, [...prefix, key]),
  ]);
}

function apply(body: unknown, mutations: readonly Mutation[]): unknown {
  const copy: Json = structuredClone(body) as Json;
  for (const mutation of mutations) {
    let node: any = copy;
    for (const key of mutation.path.slice(0, -1)) {
      if (typeof node !== 'object' || node === null) break;
      node = node[key];
    }
    if (typeof node !== 'object' || node === null) continue;
    const last = mutation.path.at(-1) as string;
    if (mutation.op === 'delete') delete node[last];
    else node[last] = mutation.value;
  }
  return copy;
}

/** 1 to 4 deletions or replacements at paths of `valid`, plus the odd unknown property. */
function mutationsOf(valid: unknown): fc.Arbitrary<Mutation[]> {
  const paths = [...pathsOf(valid), ['unknown_property'], ['metrics', '1'], ['cpu', 'cores', '7']];
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ path: fc.constantFrom(...paths), op: fc.constant('delete' as const) }),
    fc.record({ path: fc.constantFrom(...paths), op: fc.constant('set' as const), value: replacement }),
  );
  return fc.array(mutation, { minLength: 1, maxLength: 4 });
}

/**
 * Well-formed reports whose statistics come from the extremes (min <= mean <= max holds, the rest is up to
 * chance): many are accepted, so the queries afterwards pool extreme values that did get stored.
 */
const magnitude = fc.oneof(
  fc.constantFrom(0, 1, 1e6, 4e9, 2 ** 31, 2 ** 53 - 1),
  fc.double({ min: 0, max: 2 ** 53 - 1, noNaN: true }),
);
const variance = fc.oneof(
  fc.constantFrom(0, 1e-300, 0.25, 1, 1e12, 2e31, 1e300, 1e308),
  fc.double({ min: 0, max: 1e308, noNaN: true }),
);
const bytesStat = fc.tuple(magnitude, magnitude, magnitude, variance).map(([a, b, c, v]) => {
  const [min, mean, max] = [a, b, c].sort((x, y) => x - y);
  return { mean, variance: v, min, max };
});
const ratioStat = fc
  .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), variance)
  .map(([a, b, v]) => ({ mean: (a + b) / 2, variance: v, min: Math.min(a, b), max: Math.max(a, b) }));
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 2 });
export const extremeInput = fc
  .record({
    clientId: fc.constantFrom('extreme-a', 'extreme-b', 'extreme-c'),
    window: fc.integer({ min: 0, max: 200 }),
    observations: fc.oneof(fc.constantFrom(1, 2 ** 31 - 1), fc.integer({ min: 1, max: 2 ** 31 - 1 })),
    cpu: optional(fc.record({ utilization: ratioStat, cores: fc.array(ratioStat, { maxLength: 4 }) })),
    memory: optional(
      fc.record({
        usedRatio: optional(ratioStat),
        usedBytes: optional(bytesStat),
        totalBytes: optional(magnitude),
      }),
    ),
    load: optional(fc.record({ load1: optional(bytesStat) })),
  })
  .map(({ window, ...input }) => ({
    ...input,
    windowStart: new Date(Date.UTC(2026, 0, 1) + window * 10_000).toISOString(),
    windowEnd: new Date(Date.UTC(2026, 0, 1) + window * 10_000 + 10_000).toISOString(),
  }));

export const mutatedReport = mutationsOf(originalReport).map((m) => stringify(apply(originalReport, m)));
export const mutatedInput = mutationsOf(reportInput()).map((m) => apply(reportInput(), m));
