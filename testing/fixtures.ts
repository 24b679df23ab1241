/**
 * Request fixtures shared by the tests and the benches: the original README's REST body and a GraphQL
 * report with the mutation that sends it, and the release.
 */
import root from '../package.json' with { type: 'json' };

/**
 * The release, as the root package.json says it (what `/health` and `--version` must answer). Imported, so
 * that the bench's bundled server process (bench/servers.ts) carries it too.
 */
export const rootVersion: string = root.version;

/** The original README's POST body, verbatim. */
export const originalReport = {
  user_id: '6a:d6:96:d3:45:35',
  start_timestamp: 1531402660605,
  end_timestamp: 1531402665626,
  observations_per_metric: 100,
  os_type: 'Linux',
  os_version: '18.04 LTS',
  metrics: [
    {
      type: 'CPU',
      avg_utilization: 0.2148631642976225,
      var_utilization: 0.005718669350831782,
      avg_utilization_by_core: [
        0.19575989029493227, 0.19210218632004747, 0.24848360030511063, 0.18310711960197185,
      ],
      var_utilization_by_core: [
        0.0033936742208834853, 0.002245358139130047, 4.7853845483180853e-4, 0.0030582163825456816,
      ],
      name: 'CpuUtilization',
    },
  ],
};

/** A valid `ReportMetricsInput` for GraphQL; override any part. */
export function reportInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    clientId: 'host-a',
    windowStart: '2026-01-01T00:00:00.000Z',
    windowEnd: '2026-01-01T00:00:10.000Z',
    observations: 10,
    hostname: 'a.example',
    osType: 'Linux',
    osVersion: '6.1',
    cpu: {
      utilization: { mean: 0.5, variance: 0.01, min: 0.3, max: 0.7 },
      cores: [
        { mean: 0.4, variance: 0.02, min: 0.1, max: 0.8 },
        { mean: 0.6, variance: 0.03, min: 0.2, max: 0.9 },
      ],
    },
    memory: {
      usedRatio: { mean: 0.5, variance: 0, min: 0.5, max: 0.5 },
      usedBytes: { mean: 4e9, variance: 1e12, min: 3.9e9, max: 4.1e9 },
      totalBytes: 8e9,
    },
    load: { load1: { mean: 1.5, variance: 0.1, min: 1, max: 2 } },
    ...overrides,
  };
}

export const REPORT_MUTATION = `mutation Report($input: ReportMetricsInput!) {
  reportMetrics(input: $input) { clientId windowStart windowEnd points }
}`;
