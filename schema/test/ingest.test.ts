import { describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { defaultLimits } from '../src/limits.js';
import { reportInputNames, toPoints } from '../src/metrics/service.js';
import type { ReportFieldNames, ReportInput } from '../src/metrics/types.js';

const ctx = { clock: { now: () => Date.UTC(2026, 0, 2) }, limits: defaultLimits };
const start = Date.UTC(2026, 0, 1);

const stat = (mean: number, spread: number) => ({
  mean,
  variance: (spread / 2) ** 2,
  min: mean - spread,
  max: mean + spread,
});

function report(overrides: Partial<ReportInput> = {}): ReportInput {
  return {
    clientId: 'host-a',
    windowStart: new Date(start),
    windowEnd: new Date(start + 10_000),
    observations: 10,
    ...overrides,
  };
}

/** The error `toPoints` throws for `input`, as `{ code, field, message }`. */
function refusal(
  input: ReportInput,
  names: ReportFieldNames = reportInputNames,
): { code: string; field: unknown; message: string } {
  try {
    toPoints(ctx, input, names);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { code: error.code, field: error.extensions.field, message: error.message };
  }
  throw new Error('toPoints accepted the report');
}

describe('toPoints: network and disk', () => {
  it('stores each network and disk statistic as its own series of the window', () => {
    const points = toPoints(
      ctx,
      report({
        network: { rxBytesPerSecond: stat(1.2e6, 2e5), txBytesPerSecond: stat(3.4e5, 1e5) },
        disk: {
          readBytesPerSecond: stat(0, 0),
          writeBytesPerSecond: stat(8e5, 4e5),
          filesystemUsedRatio: stat(0.42, 0),
        },
      }),
    );
    expect(points.map((p) => [p.metric, p.core, p.mean, p.count, p.windowStart])).toEqual([
      ['NETWORK_RX_BYTES_PER_SECOND', null, 1.2e6, 10, start],
      ['NETWORK_TX_BYTES_PER_SECOND', null, 3.4e5, 10, start],
      ['DISK_READ_BYTES_PER_SECOND', null, 0, 10, start],
      ['DISK_WRITE_BYTES_PER_SECOND', null, 8e5, 10, start],
      ['FILESYSTEM_USED_RATIO', null, 0.42, 10, start],
    ]);
  });

  it('stores only the fields a group carries; empty groups store nothing', () => {
    expect(toPoints(ctx, report({ network: {}, disk: {} }))).toEqual([]);
    const points = toPoints(
      ctx,
      report({ network: { txBytesPerSecond: stat(1e3, 0) }, disk: { filesystemUsedRatio: stat(0.9, 0.01) } }),
    );
    expect(points.map((p) => p.metric)).toEqual(['NETWORK_TX_BYTES_PER_SECOND', 'FILESYSTEM_USED_RATIO']);
  });

  it('refuses a negative receive rate, naming the field', () => {
    expect(refusal(report({ network: { rxBytesPerSecond: stat(-1.2e6, 0) } }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.network.rxBytesPerSecond.mean',
      message: `input.network.rxBytesPerSecond.mean: -1200000 is outside 0..${Number.MAX_SAFE_INTEGER} (bytes/s)`,
    });
  });

  it('refuses a filesystem ratio of 1.5, naming the field', () => {
    expect(refusal(report({ disk: { filesystemUsedRatio: stat(1.5, 0) } }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.disk.filesystemUsedRatio.mean',
      message: 'input.disk.filesystemUsedRatio.mean: 1.5 is outside 0..1 (ratio)',
    });
  });

  it('checks every disk and network statistic as any other: extremes, variance, min <= mean <= max', () => {
    const field = (input: ReportInput) => refusal(input).field;
    expect(field(report({ disk: { writeBytesPerSecond: { ...stat(1e6, 0), max: 2 ** 53 } } }))).toBe(
      'input.disk.writeBytesPerSecond.max',
    );
    expect(field(report({ disk: { readBytesPerSecond: { ...stat(1e6, 0), variance: -1 } } }))).toBe(
      'input.disk.readBytesPerSecond.variance',
    );
    expect(field(report({ disk: { filesystemUsedRatio: { ...stat(0.5, 0), variance: 0.3 } } }))).toBe(
      'input.disk.filesystemUsedRatio.variance',
    );
    expect(
      field(report({ network: { txBytesPerSecond: { mean: 5e5, variance: 0, min: 6e5, max: 7e5 } } })),
    ).toBe('input.network.txBytesPerSecond.mean');
  });
});

describe('toPoints: CPU', () => {
  /** A window of one core: its mean and variance (min and max at the mean). */
  const window = (mean: number, variance: number) => ({ mean, variance, min: mean, max: mean });
  const cores = [window(0.2, 0.0025), window(0.7, 0.01), window(0.4, 0)];

  it('stores overall and per-core utilisation, then the per-window extremes over the cores', () => {
    const points = toPoints(ctx, report({ cpu: { utilization: window(0.5, 0.0025), cores } }));
    expect(points.map((p) => [p.metric, p.core, p.mean, p.variance])).toEqual([
      ['CPU_UTILIZATION', null, 0.5, 0.0025],
      ['CPU_CORE_UTILIZATION', 0, 0.2, 0.0025],
      ['CPU_CORE_UTILIZATION', 1, 0.7, 0.01],
      ['CPU_CORE_UTILIZATION', 2, 0.4, 0],
      ['CPU_CORE_UTILIZATION_MAX', null, 0.7, 0],
      ['CPU_CORE_UTILIZATION_MIN', null, 0.2, 0],
      ['CPU_CORE_VARIANCE_MAX', null, 0.01, 0],
      ['CPU_CORE_VARIANCE_MIN', null, 0, 0],
    ]);
  });

  it('stores a single value (memory.totalBytes) with variance 0', () => {
    const [point] = toPoints(ctx, report({ memory: { totalBytes: 8e9 } }));
    expect(point).toMatchObject({ metric: 'MEMORY_TOTAL_BYTES', mean: 8e9, variance: 0, min: 8e9, max: 8e9 });
  });

  it('refuses a CPU group without its required utilisation', () => {
    expect(refusal(report({ cpu: { cores } as never }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.cpu.utilization',
      message: 'input.cpu.utilization: field is required',
    });
  });
});

describe('toPoints: field names', () => {
  /** Names as a snake_case caller would have them. */
  const snake: ReportFieldNames = {
    clientId: 'user_id',
    windowStart: 'start',
    windowEnd: 'end',
    observations: 'observations_per_metric',
    hostname: 'host_name',
    osType: 'os_type',
    osVersion: 'os_version',
    series: ({ path, core, stat }) =>
      [path.replace('.', '_'), core === undefined ? '' : `_${core}`, stat ? `_${stat}` : ''].join(''),
  };

  it.each([
    ['user_id', { clientId: '' }, 'user_id: must not be empty'],
    ['os_type', { osType: 'x'.repeat(257) }, 'os_type: is 257 characters long, more than the 256 allowed'],
    ['end', { windowEnd: new Date(start - 1) }, 'end: the window ends before it starts'],
    [
      'observations_per_metric',
      { observations: 0 },
      'observations_per_metric: must be a whole number from 1 to 2147483647',
    ],
    [
      'cpu_utilization_mean',
      { cpu: { utilization: stat(1.5, 0) } },
      'cpu_utilization_mean: 1.5 is outside 0..1 (ratio)',
    ],
    [
      'cpu_cores_1_variance',
      { cpu: { utilization: stat(0.5, 0), cores: [stat(0.5, 0), { ...stat(0.5, 0), variance: 0.3 }] } },
      'cpu_cores_1_variance: 0.3 is more than 0.25, the largest variance of values within 0..1',
    ],
    [
      'cpu_cores',
      { cpu: { utilization: stat(0.5, 0), cores: Array(1025).fill(stat(0.5, 0)) } },
      'cpu_cores: has 1025 entries, more than the 1024 allowed',
    ],
    [
      'memory_totalBytes_mean',
      { memory: { totalBytes: -1 } },
      `memory_totalBytes_mean: -1 is outside 0..${Number.MAX_SAFE_INTEGER} (bytes)`,
    ],
  ] as [string, Partial<ReportInput>, string][])(
    'names %s as the caller does',
    (field, overrides, message) => {
      expect(refusal(report(overrides), snake)).toEqual({ code: expect.any(String), field, message });
    },
  );
});
