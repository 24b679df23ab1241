/**
 * One PostgreSQL per test file, as influxd.ts does for influxd: a file calls `startPostgresForFile()` once,
 * at its top; `postgresDatabase()` then creates an empty database on it for one test (or one server).
 */
import { afterAll, beforeAll } from 'vitest';
import { createDatabase, postgresBinary, startPostgres } from '../../testing/postgres.js';
import { hasBinary, type RealServer } from '../../testing/real-servers.js';

let running: RealServer | undefined;
let databases = 0;

/** Whether PostgreSQL is installed (under CI=true its absence throws). */
export const hasPostgres = (): boolean => hasBinary(postgresBinary);

/** Starts PostgreSQL (where it is installed) before the file's tests and stops it after them. */
export function startPostgresForFile(): void {
  beforeAll(async () => {
    if (hasPostgres()) running = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await running?.stop();
  });
}

/** A new, empty database on this file's PostgreSQL; resolves with its URL. */
export function postgresDatabase(): Promise<string> {
  if (!running) throw new Error('PostgreSQL is not running (startPostgresForFile())');
  databases += 1;
  return createDatabase(running, `test_${databases}`);
}
