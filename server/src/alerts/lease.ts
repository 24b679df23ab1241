import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A lock that one replica holds at a time and keeps by renewing it: with several replicas, only its
 * holder checks NO_DATA rules.
 */
export interface Lease {
  /** Takes the lease when nobody holds it, renews it when this replica does; resolves whether it holds it. */
  hold(): Promise<boolean>;
  /** Gives the lease up, if this replica holds it. */
  release(): Promise<void>;
}

/** The Redis key of the NO_DATA lease. */
export const NO_DATA_LEASE_KEY = 'metrics-collector:alerts:no-data-lease';

const LEASE_MS = 10_000;
/** Renews the lease when this replica holds it, takes it when nobody does (`SET NX PX`). */
const TAKE_OR_RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * A lease in Redis: a key holding the holder's random id, which expires unless renewed within 10 s (a
 * replica that dies loses it). `hold` rejects when Redis does not answer.
 */
export class RedisLease implements Lease {
  readonly #redis: Pick<Redis, 'eval'>;
  readonly #key: string;
  readonly #replica = randomUUID();

  constructor(redis: Pick<Redis, 'eval'>, key: string = NO_DATA_LEASE_KEY) {
    this.#redis = redis;
    this.#key = key;
  }

  async hold(): Promise<boolean> {
    return (await this.#redis.eval(TAKE_OR_RENEW, 1, this.#key, this.#replica, LEASE_MS)) === 1;
  }

  async release(): Promise<void> {
    await this.#redis.eval(RELEASE, 1, this.#key, this.#replica);
  }
}
