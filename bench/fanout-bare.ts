/** Starts the fan-out baseline (`broadcast.ts`, a bare `ws` broadcast) in its own process. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { terminate } from '../testing/processes.js';
import type { ServerProcess } from './servers.js';

const SCRIPT = fileURLToPath(new URL('./broadcast.ts', import.meta.url));

/**
 * The bare broadcast server, its frames padded to `frameBytes` (0: not padded); resolves once it listens.
 * Its stderr lines become `errors`.
 */
export function startBroadcast(label: string, frameBytes: number): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, String(frameBytes)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors: string[] = [];
  let stopping = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!stopping) errors.push(`${label}: the process exited (code ${code}, signal ${signal})`);
      resolve(code);
    }),
  );
  createInterface({ input: child.stderr as NonNullable<typeof child.stderr> }).on('line', (line) => {
    if (errors.length < 20) errors.push(`${label}: stderr: ${line}`);
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on('line', (line) => {
      if (!line.startsWith('BENCH_READY ')) return;
      const info = JSON.parse(line.slice('BENCH_READY '.length)) as Record<string, unknown>;
      resolve({
        port: info.port as number,
        pid: child.pid,
        info,
        errors,
        stop: async () => {
          stopping = true;
          await terminate(child, exit);
        },
      });
    });
    void exit.then((code) => reject(new Error(`${label}: exited (code ${code}) before listening`)));
  });
}
