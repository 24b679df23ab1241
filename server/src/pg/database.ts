import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { storeUnavailable } from '../store-errors.js';

const require = createRequire(import.meta.url);
let pgModule: typeof pg | undefined;
/**
 * node-postgres, loaded the first time a store needs it: a server without `DATABASE_URL` never does, and
 * loading it (and postgres-migrations) at every start cost `npm start` tens of milliseconds
 * (docs/deployment.md).
 */
export function loadPg(): typeof pg {
  pgModule ??= require('pg') as typeof pg;
  return pgModule;
}

/**
 * The migrations, `<id>_<name>.sql`, applied in id order by postgres-migrations. From the sources this is
 * server/src/pg/migrations/; the bundles (scripts/build.mjs) carry a copy as dist/migrations/ beside them.
 * A migration, once released, is never edited: the library checks each applied file's hash.
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** BIGINT columns (epoch ms) as numbers: they stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === loadPg().types.builtins.INT8
      ? Number
      : loadPg().types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PgDatabaseOptions {
  /** `postgres://user:password@host:port/database`, as `DATABASE_URL` says. */
  url: string;
  /** Connections at most. @default 10 */
  max?: number;
  /** Called when an idle connection fails (the pool replaces it). */
  onError?: (error: unknown) => void;
  /**
   * How long to keep trying to reach the database at start, ms: replicas may start before it accepts
   * connections. Each failed attempt is told to `onError`. @default 60000
   */
  connectFor?: number;
}

/**
 * A pool of connections to the PostgreSQL database that holds the state replicas share. `ready` settles
 * once the migrations ran: every query waits for it, so a store is usable from the start and a failed
 * migration fails every call (and `ready`, which the server awaits before it listens).
 *
 * Replicas starting at once run the migrations one after the other: postgres-migrations holds an advisory
 * lock while it migrates, and the second finds them applied.
 */
export class PgDatabase {
  readonly pool: pg.Pool;
  readonly ready: Promise<void>;
  /** For connections of their own, such as a LISTEN's. */
  readonly url: string;

  constructor(options: PgDatabaseOptions) {
    this.url = options.url;
    this.pool = new (loadPg().Pool)({
      connectionString: options.url,
      max: options.max ?? 10,
      types,
      connectionTimeoutMillis: 10_000,
      application_name: 'metrics-collector',
    });
    this.pool.on('error', (error) => options.onError?.(error));
    this.ready = this.#migrate(options);
    // Awaited by the server and by each query; never an unhandled rejection here.
    this.ready.catch(() => undefined);
  }

  /** Runs a read; a failure becomes STORE_UNAVAILABLE. */
  async read<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    try {
      await this.ready;
      return (await this.pool.query<R>(text, values)).rows;
    } catch (error) {
      throw storeUnavailable(error);
    }
  }

  /**
   * Runs one statement that writes (committed on its own); a failure becomes STORE_UNAVAILABLE, with
   * NOT_STORED when PostgreSQL refused it (it answered with an error: rolled back) and UNKNOWN when the
   * connection failed, when it may have committed.
   */
  async write<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      await this.ready;
    } catch (error) {
      throw storeUnavailable(error, 'NOT_STORED');
    }
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      throw storeUnavailable(error, isAnswer(error) ? 'NOT_STORED' : 'UNKNOWN');
    }
  }

  /** Throws when the database cannot serve (`/ready`). */
  async ping(): Promise<void> {
    await this.read('SELECT 1');
  }

  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    await this.pool.end();
  }

  async #migrate(options: PgDatabaseOptions): Promise<void> {
    const deadline = Date.now() + (options.connectFor ?? 60_000);
    let client: pg.PoolClient;
    for (;;) {
      try {
        client = await this.pool.connect();
        break;
      } catch (error) {
        // Refused, unreachable, still starting up: try again until the deadline; a wrong password or
        // database name answers the same way every time, but the deadline bounds that too.
        if (Date.now() >= deadline) throw error;
        options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
    try {
      // The advisory lock is a session's: one connection runs them all.
      const { migrate } = require('postgres-migrations') as typeof import('postgres-migrations');
      await migrate({ client }, MIGRATIONS_DIR);
    } finally {
      client.release();
    }
  }
}

/** Whether PostgreSQL answered with an error (SQLSTATE), rather than the connection failing. */
function isAnswer(error: unknown): boolean {
  return error instanceof loadPg().DatabaseError;
}
