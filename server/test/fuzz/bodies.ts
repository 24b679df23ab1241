import fc from 'fast-check';
import { originalReport, REPORT_MUTATION, reportInput } from '../../../testing/fixtures.js';
import { stringify } from '../raw-json.js';
import { deepNesting, mutatedInput, mutatedReport, replacement } from './values.js';

// ---------------------------------------------------------------------------------------------------------
// Whole bodies

export const randomBytes = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes));
const truncated = (valid: string) => fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n));
export const randomJson = fc.jsonValue({ maxDepth: 6 }).map((value) => stringify(value));

export const restBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  { arbitrary: mutatedReport, weight: 8 },
  { arbitrary: randomJson, weight: 2 },
  { arbitrary: randomBytes, weight: 1 },
  { arbitrary: truncated(JSON.stringify(originalReport)), weight: 1 },
  { arbitrary: deepNesting.map((n) => stringify(n)), weight: 1 },
  { arbitrary: fc.dictionary(fc.string(), replacement).map((d) => stringify(d)), weight: 1 },
);

/** GraphQL-ish tokens, joined at random into query strings that get past the lexer now and then. */
const tokens =
  '{ | } | ( | ) | [ | ] | : | $input | $x | ! | = | @include(if: true) | ... | on | Query | Mutation | fragment F on Query | ...F | query | mutation | subscription | metricHistory | fleetSummary | reportMetrics | clients | client | metrics | points | value | id | __typename | __schema | types | name | metric: | CPU_UTILIZATION | from: | to: | resample: | "15m" | "0s" | "yesterday" | 1e999 | -1 | 9007199254740993 | "\\u0000" | # | ReportMetricsInput! | input: | a:'.split(
    ' | ',
  );
const tokenQuery = fc.array(fc.constantFrom(...tokens), { maxLength: 60 }).map((t) => t.join(' '));
const validQueries = [
  REPORT_MUTATION,
  '{ clients { id hostname } }',
  '{ metrics { metric unit } }',
  '{ metricHistory(metric: CPU_UTILIZATION, resample: "1m") { resample points { time value } } }',
  '{ fleetSummary(metric: LOAD_1, aggregate: P99) { clientId value client { id } } }',
];
const editedQuery = fc
  .tuple(fc.constantFrom(...validQueries), fc.nat(), fc.nat({ max: 10 }), fc.string({ maxLength: 8 }))
  .map(([q, at, cut, insert]) => {
    const i = at % (q.length + 1);
    return q.slice(0, i) + insert + q.slice(i + cut);
  });
const queryString = fc.oneof(tokenQuery, editedQuery, fc.string({ unit: 'binary', maxLength: 200 }));
const variables = fc.oneof(
  fc.constant(undefined),
  fc.dictionary(fc.string({ maxLength: 10 }), replacement, { maxKeys: 4 }),
  replacement,
);

export const graphqlBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  // REPORT_MUTATION with a mutated input, random variables, or a random input
  {
    arbitrary: mutatedInput.map((input) => stringify({ query: REPORT_MUTATION, variables: { input } })),
    weight: 8,
  },
  { arbitrary: variables.map((v) => stringify({ query: REPORT_MUTATION, variables: v })), weight: 2 },
  {
    arbitrary: replacement.map((input) => stringify({ query: REPORT_MUTATION, variables: { input } })),
    weight: 2,
  },
  // random query strings, with random variables and the other parameters of random types
  {
    arbitrary: fc
      .record(
        { query: queryString, variables, operationName: replacement, extensions: replacement },
        { requiredKeys: ['query'] },
      )
      .map((body) => stringify(body)),
    weight: 4,
  },
  { arbitrary: randomJson, weight: 2 },
  { arbitrary: randomBytes, weight: 1 },
  {
    arbitrary: truncated(JSON.stringify({ query: REPORT_MUTATION, variables: { input: reportInput() } })),
    weight: 1,
  },
);
export const accept = fc.constantFrom(
  undefined,
  'application/json',
  'application/graphql-response+json',
  '*/*',
  'text/html',
  'text/event-stream',
  'multipart/mixed',
);
