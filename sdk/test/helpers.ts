import type { ReportMetricsInput } from '../src/index.js';

/** A valid report of `clientId` for the window ending at `windowEnd`; override any part. */
export function report(overrides: Partial<ReportMetricsInput> = {}): ReportMetricsInput {
  return {
    clientId: 'sdk-host',
    windowStart: '2026-01-01T00:00:00.000Z',
    windowEnd: '2026-01-01T00:00:10.000Z',
    observations: 10,
    hostname: 'sdk.example',
    osType: 'Linux',
    osVersion: '6.1',
    cpu: {
      utilization: { mean: 0.5, variance: 0.01, min: 0.3, max: 0.7 },
      cores: [
        { mean: 0.4, variance: 0.02, min: 0.1, max: 0.8 },
        { mean: 0.6, variance: 0.03, min: 0.2, max: 0.9 },
      ],
    },
    memory: { usedRatio: { mean: 0.5, variance: 0, min: 0.5, max: 0.5 }, totalBytes: 8e9 },
    load: { load1: { mean: 1.5, variance: 0.1, min: 1, max: 2 } },
    ...overrides,
  };
}

/**
 * Waits for the iterator's next value that `match` accepts, calling `poke` (which should cause one, such
 * as a report) every 50 ms until it arrives: a subscription is registered some time after it is opened,
 * and after a reconnect, so the event is produced again until it is seen. Fails after `timeout` ms.
 */
export async function nextMatching<T>(
  iterator: AsyncIterator<T>,
  poke: () => Promise<unknown>,
  match: (value: T) => boolean,
  timeout = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeout;
  let pending = iterator.next();
  for (;;) {
    const settled = await Promise.race([
      pending.then((step) => ({ step })),
      new Promise<undefined>((r) => setTimeout(r, 50)),
    ]);
    if (settled) {
      if (settled.step.done) throw new Error('the subscription ended');
      if (match(settled.step.value)) return settled.step.value;
      pending = iterator.next();
      continue;
    }
    if (Date.now() > deadline) throw new Error('timed out waiting for a subscription event');
    // While the server restarts, a poke may fail; the next one will do.
    await poke().catch(() => undefined);
  }
}
