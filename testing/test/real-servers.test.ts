import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcess } from '../real-servers.js';

describe('startProcess', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-start-process-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts again on another port when the chosen one was taken before the server bound it', async () => {
    const marker = join(dir, 'first-attempt');
    const running = join(dir, 'running');
    const ports: number[] = [];
    const server = await startProcess({
      what: 'stand-in',
      command: 'sh',
      // The first start fails as influxd does when its port was taken; the second runs.
      args: (_dir, port) => {
        ports.push(port);
        return [
          '-c',
          `if [ ! -e ${marker} ]; then touch ${marker}; echo "listen tcp: bind: address already in use" >&2; exit 1; fi; touch ${running}; exec sleep 60`,
        ];
      },
      ready: async () => existsSync(running),
    });
    try {
      expect(existsSync(marker)).toBe(true);
      expect(ports).toHaveLength(2);
    } finally {
      await server.stop();
    }
  });

  it('does not start again when the server failed for another reason', async () => {
    let starts = 0;
    const failing = startProcess({
      what: 'stand-in',
      command: 'sh',
      args: () => {
        starts += 1;
        return ['-c', 'echo "no such configuration" >&2; exit 1'];
      },
      ready: async () => false,
    });
    await expect(failing).rejects.toThrow(/no such configuration/);
    expect(starts).toBe(1);
  });
});
