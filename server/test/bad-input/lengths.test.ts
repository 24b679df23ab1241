import { all, bad, gqlReport, history, type Row, restGet, restReport, set, thousandCores } from './cases.js';
import { describeBadInput } from './suite.js';

// Too many cores, strings too long or with characters they may not hold, per-core lists that disagree.

const long = 'x'.repeat(257);

const rows: Row[] = [
  // More than 1,024 cores
  restReport(
    '1,025 cores',
    all(
      set('metrics.0.avg_utilization_by_core', Array(1025).fill(0.5)),
      set('metrics.0.var_utilization_by_core', Array(1025).fill(0)),
    ),
    bad('metrics[0].avg_utilization_by_core', /more than the 1024 allowed/),
  ),
  gqlReport(
    '1,025 cores',
    set('cpu.cores', thousandCores(1025)),
    bad('input.cpu.cores', /more than the 1024 allowed/),
  ),

  // Strings over 256 characters
  restReport(
    'user_id of 257 characters',
    set('user_id', long),
    bad('user_id', 'user_id: is 257 characters long, more than the 256 allowed'),
  ),
  restReport('os_type of 257 characters', set('os_type', long), bad('os_type')),
  restReport('os_version of 257 characters', set('os_version', long), bad('os_version')),
  restReport('hostname of 257 characters', set('hostname', long), bad('hostname')),
  restReport('user_id with a control character', set('user_id', 'rest-\u0007bell'), bad('user_id')),
  restReport(
    'user_id with a backslash',
    set('user_id', 'rest\\host'),
    bad('user_id', 'user_id: must not contain backslashes'),
  ),
  gqlReport(
    'clientId with a backslash',
    set('clientId', 'gql\\'),
    bad('input.clientId', 'must not contain backslashes'),
  ),
  restGet('userId of 257 characters', bad('userId'), { user: long }),
  restGet('userId that is not valid percent-encoding', bad('userId'), { user: '%E0%A4%A' }),
  gqlReport('clientId of 257 characters', set('clientId', long), bad('input.clientId')),
  gqlReport('hostname of 257 characters', set('hostname', long), bad('input.hostname')),
  gqlReport('osType of 257 characters', set('osType', long), bad('input.osType')),
  gqlReport('osVersion of 257 characters', set('osVersion', long), bad('input.osVersion')),
  history('clientId of 257 characters', { clientId: long }, bad('clientId')),

  // Per-core lists of different lengths
  restReport(
    '4 core means, 3 core variances',
    (r) => r.metrics[0].var_utilization_by_core.pop(),
    bad('metrics[0].var_utilization_by_core', /as many entries as avg_utilization_by_core/),
  ),
  restReport(
    'no core means, 1 core variance',
    all(set('metrics.0.avg_utilization_by_core', []), set('metrics.0.var_utilization_by_core', [0.1])),
    bad('metrics[0].var_utilization_by_core'),
  ),
];

describeBadInput(rows);
