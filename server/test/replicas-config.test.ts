import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('replica configuration (loadConfig)', () => {
  const shared = {
    REDIS_URL: 'redis://redis:6379',
    DATABASE_URL: 'postgres://metrics:secret@postgres:5432/metrics',
    STORE: 'influxdb',
  };

  it('takes DATABASE_URL (postgres:// or postgresql://); unset, the state stays in DATA_DIR', () => {
    expect(loadConfig(shared).databaseUrl).toBe(shared.DATABASE_URL);
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/metrics' }).databaseUrl).toBe(
      'postgresql://db/metrics',
    );
    expect(loadConfig({}).databaseUrl).toBeNull();
    expect(problems({ DATABASE_URL: 'mysql://db/metrics' })).toEqual([
      'DATABASE_URL: must be a postgres:// or postgresql:// URL',
    ]);
  });

  it('refuses REDIS_URL (replicas) with state or metrics of this process alone, naming what is missing', () => {
    expect(problems({ REDIS_URL: shared.REDIS_URL })).toEqual([
      'REDIS_URL: replicas need shared state, but DATABASE_URL (PostgreSQL, for the shared state) and STORE=influxdb (a metric store every replica reads) are not set; set them, or ALLOW_SINGLE_PROCESS_STATE=true to run one server with Redis',
    ]);
    expect(problems({ ...shared, DATABASE_URL: '' })).toEqual([
      'REDIS_URL: replicas need shared state, but DATABASE_URL (PostgreSQL, for the shared state) is not set; set it, or ALLOW_SINGLE_PROCESS_STATE=true to run one server with Redis',
    ]);
    expect(problems({ ...shared, STORE: 'sqlite' })[0]).toContain(
      'STORE=influxdb (a metric store every replica reads) is not set',
    );
  });

  it('starts replicas with shared state, and one server with Redis when ALLOW_SINGLE_PROCESS_STATE=true', () => {
    expect(problems(shared)).toEqual([]);
    expect(problems({ REDIS_URL: shared.REDIS_URL, ALLOW_SINGLE_PROCESS_STATE: 'true' })).toEqual([]);
    expect(problems({ ALLOW_SINGLE_PROCESS_STATE: 'yes' })[0]).toMatch(/^ALLOW_SINGLE_PROCESS_STATE: /);
  });
});
