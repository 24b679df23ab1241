import { SdkError } from '@metrics-collector/sdk';
import { describe, expect, it } from 'vitest';
import type { Connection } from '../src/connection.js';
import { failoverConnection } from '../src/failover.js';
import { createLogger } from '../src/log.js';
import type { ReportWindow } from '../src/report.js';

const request = { query: 'mutation { reportMetrics }' };
const unreachable = () =>
  new SdkError({
    kind: 'network',
    message: 'connect ECONNREFUSED',
    request,
    cause: { code: 'ECONNREFUSED' },
  });
const invalid = () =>
  new SdkError({
    kind: 'graphql',
    message: 'input.windowEnd: bad',
    request,
    errors: [{ message: 'bad', extensions: { code: 'BAD_USER_INPUT' } }],
  });

/** A server's connection that fails while `down` says so, recording what it was sent and whether it closed. */
function fakeServer(name: string) {
  const state = { name, down: false as false | (() => SdkError), reports: 0, closed: 0 };
  const connect = (): Connection => ({
    viaWebSocket: false,
    report: async () => {
      if (state.down) throw state.down();
      state.reports += 1;
      return 'http';
    },
    acknowledge: async () => {
      if (state.down) throw state.down();
    },
    commands: () => {
      throw new Error('not used');
    },
    close: async () => {
      state.closed += 1;
    },
  });
  return { state, connect };
}

const report = {} as ReportWindow;
const logger = createLogger('silent');

describe('failoverConnection', () => {
  it('stays on a server while it answers, and moves to the next (round) after a retryable failure', async () => {
    const [a, b] = [fakeServer('a'), fakeServer('b')];
    const c = failoverConnection([a.connect, b.connect], ['a', 'b'], logger);
    await c.report(report);
    await c.report(report);
    a.state.down = unreachable;
    await expect(c.report(report)).rejects.toThrow(/ECONNREFUSED/);
    expect(a.state.closed).toBe(1);
    await c.report(report);
    expect([a.state.reports, b.state.reports]).toEqual([2, 1]);
    // B fails next: back to A, which answers again.
    a.state.down = false;
    b.state.down = unreachable;
    await expect(c.report(report)).rejects.toThrow();
    await c.report(report);
    expect([a.state.reports, b.state.reports]).toEqual([3, 1]);
  });

  it('does not move for a refusal that no server would take differently', async () => {
    const [a, b] = [fakeServer('a'), fakeServer('b')];
    const c = failoverConnection([a.connect, b.connect], ['a', 'b'], logger);
    a.state.down = invalid;
    await expect(c.report(report)).rejects.toThrow(/windowEnd/);
    await expect(c.acknowledge('1', 'APPLIED')).rejects.toThrow();
    expect(a.state.closed).toBe(0);
    expect(b.state.reports).toBe(0);
  });

  it('moves once when several sends in flight fail together', async () => {
    const [a, b, c3] = [fakeServer('a'), fakeServer('b'), fakeServer('c')];
    const c = failoverConnection([a.connect, b.connect, c3.connect], ['a', 'b', 'c'], logger);
    await c.report(report);
    a.state.down = unreachable;
    const results = await Promise.allSettled([c.report(report), c.report(report), c.report(report)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await c.report(report);
    expect([a.state.reports, b.state.reports, c3.state.reports]).toEqual([1, 1, 0]);
  });
});
