/**
 * The store's worker threads as the main thread sees them (server/src/metrics/sqlite/thread-client.ts):
 * a thread that stops fails what it held, and the next request starts it again. A real write thread.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ThreadClient } from '../../src/metrics/sqlite/thread-client.js';
import type { WriteAnswer, WriteRequest } from '../../src/metrics/sqlite/write-protocol.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('a store thread', () => {
  it('is started again by the next request after it stopped, running onStart each time', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mc-thread-'));
    dirs.push(dataDir);
    let starts = 0;
    const thread = new ThreadClient<WriteRequest, WriteAnswer>('write-thread', { dataDir }, () => {
      starts += 1;
    });
    try {
      expect(await thread.request({ op: 'merge', all: true })).toMatchObject({ value: 0 });
      await thread.start().terminate();
      expect(thread.running).toBe(false);
      expect(await thread.request({ op: 'retention', retention: 1000 })).toMatchObject({ value: 0 });
      expect(starts).toBe(2);
      expect(thread.waiting).toBe(0);
    } finally {
      await thread.stop(new Error('test over'));
    }
  });

  it('fails what it held when it stops', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mc-thread-'));
    dirs.push(dataDir);
    const thread = new ThreadClient<WriteRequest, WriteAnswer>('write-thread', { dataDir });
    const held = expect(thread.request({ op: 'merge', all: true })).rejects.toThrow('stopped by the test');
    await thread.stop(new Error('stopped by the test'));
    await held;
    expect(thread.waiting).toBe(0);
  });
});
