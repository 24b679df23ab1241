import { afterEach, describe, expect, it } from 'vitest';
import { stopOnSignals } from '../src/signals.js';

const logged: [string, object, string][] = [];
const logger = {
  info: (fields: object, message: string) => logged.push(['info', fields, message]),
  error: (fields: object, message: string) => logged.push(['error', fields, message]),
};
let remove: (() => void) | undefined;
afterEach(() => {
  remove?.();
  logged.length = 0;
});

const exited = () => {
  let resolve: (code: number) => void = () => {};
  const code = new Promise<number>((r) => {
    resolve = r;
  });
  return { code, exit: (c: number) => resolve(c) };
};

describe('stopOnSignals', () => {
  it('stops once on the first SIGTERM or SIGINT, then exits 0', async () => {
    let stops = 0;
    const { code, exit } = exited();
    remove = stopOnSignals(
      logger,
      async () => {
        stops += 1;
      },
      exit,
    );
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGINT', 'SIGINT');
    expect(await code).toBe(0);
    expect(stops).toBe(1);
    expect(logged).toEqual([['info', { signal: 'SIGTERM' }, 'stopping']]);
  });

  it('exits 1 and logs when stopping fails', async () => {
    const { code, exit } = exited();
    const failure = new Error('disk gone');
    remove = stopOnSignals(logger, () => Promise.reject(failure), exit);
    process.emit('SIGINT', 'SIGINT');
    expect(await code).toBe(1);
    expect(logged).toEqual([
      ['info', { signal: 'SIGINT' }, 'stopping'],
      ['error', { err: failure }, 'stop failed'],
    ]);
  });

  it('removes its handlers when asked', () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const off = stopOnSignals(
      logger,
      async () => {},
      () => {},
    );
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(
      before.map((n) => n + 1),
    );
    off();
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });
});
