import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const loggers = {
  server: fileURLToPath(new URL('../../server/src/logger.ts', import.meta.url)),
  agent: fileURLToPath(new URL('../../agent/src/log.ts', import.meta.url)),
};

/**
 * Logs two lines and exits at once, while the one thread of libuv's pool is busy (a long pbkdf2): a
 * line handed to that pool (pino's asynchronous destination) is still unwritten at `process.exit`, and
 * is lost or written after the next. Supervisors and tests read the last line (`agent stopped`, with
 * its counts) as the process's last word.
 */
function logThenExit(module: string): string[] {
  const script = [
    `import { pbkdf2 } from 'node:crypto';`,
    `import { createLogger } from ${JSON.stringify(module)};`,
    `pbkdf2('x', 'y', 1_000_000, 64, 'sha512', () => {});`,
    `const logger = createLogger('info');`,
    `logger.info({ n: 1 }, 'first');`,
    `logger.info({ n: 2 }, 'last');`,
    `process.exit(0);`,
  ].join('\n');
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, UV_THREADPOOL_SIZE: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
}

describe('the JSON log on stdout', () => {
  for (const [name, module] of Object.entries(loggers)) {
    it(`of the ${name} keeps every line, in order, when the process exits right after logging`, () => {
      expect(logThenExit(module)).toEqual(['first', 'last']);
    });
  }
});
