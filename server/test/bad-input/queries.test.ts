import { expect, it } from 'vitest';
import { reportInput } from '../../../testing/fixtures.js';
import { graphql } from '../helpers.js';
import {
  aliases,
  bad,
  buckets,
  doubling,
  duration,
  fleet,
  fragmentChain,
  GQL_HEADERS,
  gqlQuery,
  HISTORY_ARGS,
  history,
  RANGE,
  type Row,
  restGet,
  spreadMany,
  timeRange,
  tooComplex,
  tooDeep,
  typeChain,
  unknownMetric,
  validation,
} from './cases.js';
import { describeBadInput } from './suite.js';

// Queries of history: unknown metrics, bad durations, empty ranges, too many buckets; documents too deep or
// too complex.

const rows: Row[] = [
  // Unknown metric
  restGet('unknown metric name', unknownMetric, { metric: 'cpuLoad' }),
  restGet('metric named like an Object property', unknownMetric, { metric: 'constructor' }),
  restGet('metric named __proto__', unknownMetric, { metric: '__proto__' }),
  restGet('GraphQL enum name on the original route', unknownMetric, { metric: 'CPU_UTILIZATION' }),
  history('unknown Metric value', { metric: 'GPU_UTILIZATION' }, bad('metric')),
  fleet('unknown Metric value', { metric: 'cpuLoadAvg' }, bad('metric')),
  gqlQuery(
    'metricHistory',
    'unknown Metric literal',
    '{ metricHistory(metric: GPU) { points { value } } }',
    undefined,
    validation('Metric'),
  ),

  // Bad duration, bad resample_rate
  restGet('resample_rate in words', duration('resample_rate'), {
    body: { ...RANGE, resample_rate: '15 minutes' },
  }),
  restGet('resample_rate without a unit', duration('resample_rate'), {
    body: { ...RANGE, resample_rate: '15' },
  }),
  restGet('resample_rate of zero', duration('resample_rate'), { body: { ...RANGE, resample_rate: '0m' } }),
  restGet('negative resample_rate', duration('resample_rate'), { body: { ...RANGE, resample_rate: '-5m' } }),
  restGet('resample_rate in years', duration('resample_rate'), { body: { ...RANGE, resample_rate: '1y' } }),
  restGet('resample_rate beyond a safe integer', duration('resample_rate'), {
    body: { ...RANGE, resample_rate: '99999999999999w' },
  }),
  restGet('empty resample_rate', duration('resample_rate'), { body: { ...RANGE, resample_rate: '' } }),
  history('resample with an unknown unit', { resample: '15x' }, duration('resample')),
  history('resample of zero', { resample: '0s' }, duration('resample')),
  history('resample as a number', { resample: 900 }, duration('resample')),
  gqlQuery(
    'metricHistory',
    'resample literal in words',
    '{ metricHistory(metric: CPU_UTILIZATION, resample: "fortnight") { resample } }',
    undefined,
    duration('Duration'),
  ),

  // from >= to (REST: start >= end)
  restGet('start after end', timeRange('start'), { body: { ...RANGE, start: RANGE.end, end: RANGE.start } }),
  restGet('start equal to end', timeRange('start'), { body: { ...RANGE, end: RANGE.start } }),
  restGet('start after end, in the query string, as epoch ms', timeRange('start'), {
    body: undefined,
    query: '?start=1531411200000&end=1531400000000&resample_rate=15m',
  }),
  history('from after to', { from: HISTORY_ARGS.to, to: HISTORY_ARGS.from }, timeRange('from')),
  history('from equal to to', { to: HISTORY_ARGS.from }, timeRange('from')),
  fleet('from after to', { from: HISTORY_ARGS.to, to: HISTORY_ARGS.from }, timeRange('from')),

  // More than 10,000 buckets
  restGet('1 s buckets over a day', buckets('resample_rate'), {
    body: { ...RANGE, end: '2018-07-13T12:00:00Z', resample_rate: '1s' },
  }),
  history('1 s buckets over a day', { resample: '1s' }, buckets('resample')),
  history(
    '10,001 buckets of 1 ms',
    { from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T00:00:10.001Z', resample: '1ms' },
    buckets('resample'),
  ),

  // Query depth over 15, more than 1,000 fields
  gqlQuery('query', 'depth 16 (nested fields)', typeChain(16), undefined, tooDeep),
  gqlQuery('query', 'depth 16 through nested fragments', fragmentChain(16), undefined, tooDeep),
  gqlQuery('query', 'depth 40', typeChain(40), undefined, tooDeep),
  gqlQuery('query', '1,001 aliased fields', `{ ${aliases(1001)} }`, undefined, tooComplex),
  gqlQuery('query', 'a ten-field fragment spread 101 times', spreadMany(101), undefined, tooComplex),
  gqlQuery('query', 'fragments doubling 10 times (1,024 fields)', doubling(10), undefined, tooComplex),
  gqlQuery('query', 'fragments doubling 40 times (2^40 fields)', doubling(40), undefined, tooComplex),
  {
    ...gqlQuery(
      'reportMetrics',
      'a valid report with 1,001 aliases beside it',
      `mutation Report($input: ReportMetricsInput!) { reportMetrics(input: $input) { points } ${aliases(1001)} }`,
      { input: reportInput({ clientId: 'gql-too-complex' }) },
      tooComplex,
    ),
    clientId: 'gql-too-complex',
  },
];

describeBadInput(rows, (server) => {
  it('points at the literal when a DateTime or Duration literal is invalid', async () => {
    const answer = await graphql(
      server.url,
      '{ metricHistory(metric: CPU_UTILIZATION,\n  from: "yesterday") { points { value } } }',
      undefined,
      GQL_HEADERS,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('"yesterday" is not a time'),
      locations: [{ line: 2, column: 9 }],
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('answers legacy application/json clients 200 for a document that does not validate, with the code', async () => {
    const answer = await graphql(server.url, typeChain(16));
    expect(answer.status).toBe(200);
    expect(answer.body.errors?.[0].extensions.code).toBe('QUERY_TOO_DEEP');
    expect(answer.body.data).toBeUndefined();
  });
});
