import { randomUUID } from 'node:crypto';
import type { Lease } from '../alerts/lease.js';
import type { PgDatabase } from './database.js';

/** The name of the NO_DATA lease in the `leases` table. */
export const NO_DATA_LEASE = 'alerts:no-data';

const LEASE_SECONDS = 10;

/**
 * A lease in PostgreSQL's `leases` table, for replicas that share a database: a row naming its holder
 * and when it expires, by the database's clock (replicas' clocks may differ). One statement takes it when
 * it is free or expired, or renews it for its holder; the row lock makes two replicas asking at once get
 * one answer each, one of them `true`.
 */
export class PgLease implements Lease {
  readonly #db: PgDatabase;
  readonly #name: string;
  readonly #replica = randomUUID();

  constructor(db: PgDatabase, name: string = NO_DATA_LEASE) {
    this.#db = db;
    this.#name = name;
  }

  async hold(): Promise<boolean> {
    const { rowCount } = await this.#db.write(
      `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at <= now()`,
      [this.#name, this.#replica, LEASE_SECONDS],
    );
    return rowCount === 1;
  }

  async release(): Promise<void> {
    await this.#db.write('DELETE FROM leases WHERE name = $1 AND holder = $2', [this.#name, this.#replica]);
  }
}
