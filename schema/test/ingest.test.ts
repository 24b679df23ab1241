import { describe, expect, it } from 'vitest';
import { defaultLimits } from '../src/context.js';
import { AppError } from '../src/errors.js';
import { type ReportInput, toPoints } from '../src/service/ingest.js';

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
function refusal(input: ReportInput): { code: string; field: unknown; message: string } {
  try {
    toPoints(ctx, input, 'input');
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
      'input',
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
    expect(toPoints(ctx, report({ network: {}, disk: {} }), 'input')).toEqual([]);
    const points = toPoints(
      ctx,
      report({ network: { txBytesPerSecond: stat(1e3, 0) }, disk: { filesystemUsedRatio: stat(0.9, 0.01) } }),
      'input',
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
