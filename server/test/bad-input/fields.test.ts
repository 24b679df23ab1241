import { expect, it } from 'vitest';
import { originalReport } from '../../../testing/fixtures.js';
import { rawRequest } from '../helpers.js';
import {
  bad,
  drop,
  duration,
  fleet,
  gqlQuery,
  gqlReport,
  history,
  JSON_TYPE,
  type Json,
  RANGE,
  type Row,
  required,
  restGet,
  restReport,
  set,
  validation,
} from './cases.js';
import { describeBadInput } from './suite.js';

// Fields of the wrong type, and required fields that are missing.

const rows: Row[] = [
  // Wrong types: a string for a number, a number for a string, and others
  restReport('user_id is a number', set('user_id', 42), bad('user_id', 'user_id: must be a string')),
  restReport('os_type is a number', set('os_type', 18), bad('os_type', 'os_type: must be a string')),
  restReport(
    'hostname is an object',
    set('hostname', { name: 'a' }),
    bad('hostname', 'hostname: must be a string'),
  ),
  restReport(
    'observations_per_metric is a string',
    set('observations_per_metric', '100'),
    bad('observations_per_metric'),
  ),
  restReport(
    'observations_per_metric is a fraction',
    set('observations_per_metric', 2.5),
    bad('observations_per_metric'),
  ),
  restReport('start_timestamp is a boolean', set('start_timestamp', true), bad('start_timestamp')),
  restReport('end_timestamp is a word', set('end_timestamp', 'yesterday'), bad('end_timestamp')),
  restReport(
    'metrics is an object',
    set('metrics', originalReport.metrics[0]),
    bad('metrics', 'metrics: must be an array'),
  ),
  restReport(
    'metrics[0] is a string',
    set('metrics', ['CPU']),
    bad('metrics[0]', 'metrics[0]: must be an object'),
  ),
  restReport('metrics[0].type is unknown', set('metrics.0.type', 'GPU'), bad('metrics[0].type')),
  restReport('a second CPU metric', (r) => r.metrics.push(r.metrics[0]), bad('metrics[1].type')),
  restReport(
    'avg_utilization is a string',
    set('metrics.0.avg_utilization', '0.2'),
    bad('metrics[0].avg_utilization'),
  ),
  restReport(
    'avg_utilization_by_core is a string',
    set('metrics.0.avg_utilization_by_core', '0.1,0.2'),
    bad('metrics[0].avg_utilization_by_core'),
  ),
  restReport(
    'var_utilization_by_core holds a string',
    set('metrics.0.var_utilization_by_core.1', 'low'),
    bad('metrics[0].var_utilization_by_core[1]'),
  ),
  restGet('start is a boolean', bad('start'), { body: { ...RANGE, start: true } }),
  restGet('resample_rate is a number', duration('resample_rate'), { body: { ...RANGE, resample_rate: 15 } }),
  gqlReport('observations is a string', set('observations', '10'), bad('input.observations')),
  gqlReport('osType is a number', set('osType', 5), bad('input.osType')),
  gqlReport('clientId is a boolean', set('clientId', true), bad('input.clientId')),
  gqlReport('windowStart is a boolean', set('windowStart', true), bad('input.windowStart')),
  gqlReport('cpu.utilization is a number', set('cpu.utilization', 0.5), bad('input.cpu.utilization')),
  gqlReport('cpu.cores[1].mean is a string', set('cpu.cores.1.mean', '0.6'), bad('input.cpu.cores[1].mean')),
  gqlReport('an unknown input field', set('gpu', { mean: 1 }), bad('gpu')),
  history('core is a string', { metric: 'CPU_CORE_UTILIZATION', core: '1' }, bad('core')),
  history('from is a boolean', { from: true }, bad('from')),
  history('aggregate is a number', { aggregate: 95 }, bad('aggregate')),
  fleet('to is an object', { to: { at: 'now' } }, bad('to')),

  // Missing required fields ("user_id: field is required", exactly as the original answered)
  restReport('user_id is missing', drop('user_id'), required('user_id')),
  restReport('user_id is null', set('user_id', null), required('user_id')),
  restReport('start_timestamp is missing', drop('start_timestamp'), required('start_timestamp')),
  restReport('end_timestamp is missing', drop('end_timestamp'), required('end_timestamp')),
  restReport(
    'observations_per_metric is missing',
    drop('observations_per_metric'),
    required('observations_per_metric'),
  ),
  restReport('metrics is missing', drop('metrics'), required('metrics')),
  restReport('metrics[0].type is missing', drop('metrics.0.type'), required('metrics[0].type')),
  restReport(
    'avg_utilization is missing',
    drop('metrics.0.avg_utilization'),
    required('metrics[0].avg_utilization'),
  ),
  restReport(
    'var_utilization is missing',
    drop('metrics.0.var_utilization'),
    required('metrics[0].var_utilization'),
  ),
  restReport(
    'avg_utilization_by_core is missing',
    drop('metrics.0.avg_utilization_by_core'),
    required('metrics[0].avg_utilization_by_core'),
  ),
  restReport(
    'var_utilization_by_core is missing',
    drop('metrics.0.var_utilization_by_core'),
    required('metrics[0].var_utilization_by_core'),
  ),
  restReport('user_id is empty', set('user_id', ''), bad('user_id', 'user_id: must not be empty')),
  restGet('start is missing', required('start'), { body: { end: RANGE.end, resample_rate: '15m' } }),
  restGet('end is missing', required('end'), { body: { start: RANGE.start, resample_rate: '15m' } }),
  restGet('no body and no query string', required('start'), { body: undefined }),
  gqlReport('clientId is missing', drop('clientId'), bad('clientId')),
  gqlReport('windowEnd is missing', drop('windowEnd'), bad('windowEnd')),
  gqlReport('observations is missing', drop('observations'), bad('observations')),
  gqlReport('cpu.utilization is missing', drop('cpu.utilization'), bad('utilization')),
  gqlReport('a stat without variance', drop('load.load1.variance'), bad('variance')),
  gqlReport('clientId is empty', set('clientId', ''), bad('input.clientId')),
  gqlQuery(
    'reportMetrics',
    'the input argument is missing',
    'mutation { reportMetrics { points } }',
    undefined,
    validation('input'),
  ),
  gqlQuery(
    'metricHistory',
    'the metric argument is missing',
    '{ metricHistory { points { value } } }',
    undefined,
    validation('metric'),
  ),
  gqlQuery(
    'fleetSummary',
    'the metric argument is missing',
    '{ fleetSummary { value } }',
    undefined,
    validation('metric'),
  ),
];

describeBadInput(rows, (server) => {
  it('sees the two valid control reports (so that "nothing stored" below means something)', async () => {
    const data = server.baseline;
    expect(data.clients.map((c: Json) => c.id)).toEqual(['control-gql', 'control-rest']);
    expect(data.CPU_UTILIZATION.points.length).toBeGreaterThan(0);
    expect(data.CPU_UTILIZATION.points.reduce((n: number, p: Json) => n + p.count, 0)).toBe(110);
    expect(data.NETWORK_RX_BYTES_PER_SECOND.points).toMatchObject([{ count: 10, mean: 1.2e6 }]);
    expect(data.FILESYSTEM_USED_RATIO.points).toMatchObject([{ count: 10, mean: 0.42 }]);
    const get = await rawRequest(`${server.url}/api/v1/metrics/cpuLoadAvg/byUser/control-rest`, {
      headers: JSON_TYPE,
      body: JSON.stringify({
        start: '2018-07-12T00:00:00Z',
        end: '2018-07-13T00:00:00Z',
        resample_rate: '1d',
      }),
    });
    expect(get.json).toEqual({
      entries: [{ date: '2018-07-12T00:00:00.000Z', value: originalReport.metrics[0]?.avg_utilization }],
    });
  });
});
