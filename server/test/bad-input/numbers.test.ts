import { originalReport } from '../../../testing/fixtures.js';
import { raw } from '../raw-json.js';
import {
  all,
  bad,
  DAY,
  gqlReport,
  history,
  now,
  RANGE,
  type Row,
  restGet,
  restReport,
  set,
  timeRange,
} from './cases.js';
import { describeBadInput } from './suite.js';

// Numbers that are not finite or not numbers, values outside their ranges, statistics no samples can have,
// windows that end before they start or lie in the future.

const future = { start: now + 2 * DAY, end: now + 2 * DAY + 5_000 };

const rows: Row[] = [
  // NaN, Infinity, numbers sent as strings. JSON has neither NaN nor Infinity; 1e999 parses to Infinity.
  restReport(
    'avg_utilization is "NaN"',
    set('metrics.0.avg_utilization', 'NaN'),
    bad('metrics[0].avg_utilization', 'metrics[0].avg_utilization: must be a finite number'),
  ),
  restReport(
    'avg_utilization is "Infinity"',
    set('metrics.0.avg_utilization', 'Infinity'),
    bad('metrics[0].avg_utilization'),
  ),
  restReport(
    'avg_utilization is 1e999 (arrives as Infinity)',
    set('metrics.0.avg_utilization', raw('1e999')),
    bad('metrics[0].avg_utilization', 'metrics[0].avg_utilization: must be a finite number'),
  ),
  restReport(
    'var_utilization_by_core[2] is -1e999',
    set('metrics.0.var_utilization_by_core.2', raw('-1e999')),
    bad('metrics[0].var_utilization_by_core[2]'),
  ),
  restReport(
    'start_timestamp is 1e999 (arrives as Infinity)',
    set('start_timestamp', raw('1e999')),
    bad('start_timestamp', 'start_timestamp: Infinity is not a time in epoch milliseconds'),
  ),
  restReport(
    'end_timestamp is a number in a string',
    set('end_timestamp', String(originalReport.end_timestamp)),
    bad('end_timestamp'),
  ),
  restReport('start_timestamp is negative', set('start_timestamp', -5), bad('start_timestamp')),
  restReport(
    'observations_per_metric is 1e999',
    set('observations_per_metric', raw('1e999')),
    bad('observations_per_metric'),
  ),
  restReport(
    'observations_per_metric is more than 2^31 - 1',
    set('observations_per_metric', 2 ** 53 - 1),
    bad('observations_per_metric'),
  ),
  restReport(
    'observations_per_metric is 0',
    set('observations_per_metric', 0),
    bad('observations_per_metric'),
  ),
  restGet('start is 1e999 (arrives as Infinity)', bad('start', /^start: Infinity is not a time/), {
    body: { ...RANGE, start: raw('1e999') },
  }),
  restGet('start is 1e999 in the query string', bad('start'), {
    body: undefined,
    query: '?start=1e999&end=2018-07-12T18:00:00Z&resample_rate=15m',
  }),
  gqlReport('mean is "NaN"', set('cpu.utilization.mean', 'NaN'), bad('input.cpu.utilization.mean')),
  gqlReport(
    'mean is 1e999 (arrives as Infinity)',
    set('cpu.utilization.mean', raw('1e999')),
    bad('input.cpu.utilization.mean', /got invalid value Infinity/),
  ),
  gqlReport(
    'totalBytes is a number in a string',
    set('memory.totalBytes', '8e9'),
    bad('input.memory.totalBytes'),
  ),
  gqlReport('observations is 1e999', set('observations', raw('1e999')), bad('input.observations')),
  gqlReport('observations is 2^31', set('observations', 2 ** 31), bad('input.observations')),
  gqlReport('observations is 0', set('observations', 0), bad('input.observations')),
  history(
    'from is 1e999 (arrives as Infinity)',
    { from: raw('1e999') },
    bad('from', /Infinity is not a time/),
  ),

  // Utilisation outside 0..1, and statistics that no samples can have
  restReport(
    'avg_utilization is 1.5',
    set('metrics.0.avg_utilization', 1.5),
    bad('metrics[0].avg_utilization', 'metrics[0].avg_utilization: 1.5 is outside 0..1 (ratio)'),
  ),
  restReport(
    'avg_utilization is -0.1',
    set('metrics.0.avg_utilization', -0.1),
    bad('metrics[0].avg_utilization'),
  ),
  restReport(
    'avg_utilization_by_core[3] is 1.01',
    set('metrics.0.avg_utilization_by_core.3', 1.01),
    bad('metrics[0].avg_utilization_by_core[3]'),
  ),
  restReport(
    'var_utilization is negative',
    set('metrics.0.var_utilization', -0.001),
    bad('metrics[0].var_utilization'),
  ),
  restReport(
    'var_utilization is more than 0.25',
    set('metrics.0.var_utilization', 0.3),
    bad('metrics[0].var_utilization'),
  ),
  restReport(
    'var_utilization_by_core[0] is 1e300',
    set('metrics.0.var_utilization_by_core.0', 1e300),
    bad('metrics[0].var_utilization_by_core[0]'),
  ),
  gqlReport(
    'cpu.utilization.mean is 1.5',
    set('cpu.utilization', { mean: 1.5, variance: 0, min: 1.5, max: 1.5 }),
    bad('input.cpu.utilization.mean'),
  ),
  gqlReport('cpu.cores[1].max is 1.2', set('cpu.cores.1.max', 1.2), bad('input.cpu.cores[1].max')),
  gqlReport(
    'memory.usedRatio.min is -0.5',
    set('memory.usedRatio.min', -0.5),
    bad('input.memory.usedRatio.min'),
  ),
  gqlReport(
    'network.rxBytesPerSecond is negative',
    set('network', { rxBytesPerSecond: { mean: -1.2e6, variance: 0, min: -1.2e6, max: -1.2e6 } }),
    bad(
      'input.network.rxBytesPerSecond.mean',
      `input.network.rxBytesPerSecond.mean: -1200000 is outside 0..${Number.MAX_SAFE_INTEGER} (bytes/s)`,
    ),
  ),
  gqlReport(
    'disk.filesystemUsedRatio is 1.5',
    set('disk', {
      readBytesPerSecond: { mean: 1.2e6, variance: 1e10, min: 1e6, max: 1.4e6 },
      filesystemUsedRatio: { mean: 1.5, variance: 0, min: 1.5, max: 1.5 },
    }),
    bad(
      'input.disk.filesystemUsedRatio.mean',
      'input.disk.filesystemUsedRatio.mean: 1.5 is outside 0..1 (ratio)',
    ),
  ),
  gqlReport(
    'disk.writeBytesPerSecond.min is larger than max',
    set('disk', { writeBytesPerSecond: { mean: 1.2e6, variance: 0, min: 1.3e6, max: 1.1e6 } }),
    bad('input.disk.writeBytesPerSecond.min'),
  ),
  gqlReport(
    'cpu.utilization.variance is more than 0.25',
    set('cpu.utilization.variance', 0.3),
    bad('input.cpu.utilization.variance'),
  ),
  gqlReport(
    'memory.usedBytes.variance is 1e300',
    set('memory.usedBytes.variance', 1e300),
    bad('input.memory.usedBytes.variance'),
  ),
  gqlReport(
    'min is larger than max',
    set('load.load1', { mean: 1, variance: 0, min: 2, max: 1 }),
    bad('input.load.load1.min'),
  ),
  gqlReport(
    'mean outside min..max',
    set('cpu.utilization', { mean: 0.9, variance: 0, min: 0.1, max: 0.5 }),
    bad('input.cpu.utilization.mean'),
  ),

  // A window that ends before it starts; timestamps more than a day in the future
  restReport(
    'end_timestamp before start_timestamp',
    set('end_timestamp', originalReport.start_timestamp - 1),
    timeRange('end_timestamp'),
  ),
  restReport(
    'a window two days in the future',
    all(set('start_timestamp', future.start), set('end_timestamp', future.end)),
    bad('end_timestamp', /more than a day in the future/),
  ),
  restReport(
    'end_timestamp a day and a minute ahead',
    set('end_timestamp', now + DAY + 60_000),
    bad('end_timestamp'),
  ),
  restReport(
    'end_timestamp beyond what a Date holds',
    set('end_timestamp', 8.64e15 + 1),
    bad('end_timestamp'),
  ),
  gqlReport(
    'windowEnd before windowStart',
    set('windowEnd', '2025-12-31T23:59:59Z'),
    timeRange('input.windowEnd'),
  ),
  gqlReport(
    'a window two days in the future',
    all(set('windowStart', future.start), set('windowEnd', future.end)),
    bad('input.windowEnd', /more than a day in the future/),
  ),
  gqlReport('windowEnd in the year 9999', set('windowEnd', '9999-12-31T23:59:59Z'), bad('input.windowEnd')),
];

describeBadInput(rows);
