import { describe, expect, it } from 'vitest';
import { freePort } from '../../testing/real-servers.js';
import { PgDatabase } from '../src/pg/database.js';
import { hasPostgres, postgresDatabase, startPostgresForFile } from './postgres.js';

startPostgresForFile();

describe.skipIf(!hasPostgres())('the PostgreSQL database (DATABASE_URL)', () => {
  it('runs every migration once, however many replicas open it, and records each', async () => {
    const url = await postgresDatabase();
    const replicas = Array.from({ length: 3 }, () => new PgDatabase({ url }));
    await Promise.all(replicas.map((db) => db.ready));
    const rows = await replicas[0]?.read<{ id: number; name: string }>(
      'SELECT id, name FROM migrations ORDER BY id',
    );
    expect(rows?.map((r) => r.name)).toEqual([
      'create-migrations-table',
      'clients',
      'commands',
      'leases',
      'alerts',
    ]);
    await Promise.all(replicas.map((db) => db.close()));
  });

  it('keeps trying to reach the database at start, then fails every call with STORE_UNAVAILABLE', async () => {
    const errors: unknown[] = [];
    const db = new PgDatabase({
      url: `postgres://postgres@127.0.0.1:${await freePort()}/nothing`,
      connectFor: 1_500,
      onError: (error) => errors.push(error),
    });
    await expect(db.ready).rejects.toThrow(/ECONNREFUSED/);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    await expect(db.read('SELECT 1')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(db.write('SELECT 1')).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      extensions: { outcome: 'NOT_STORED' },
    });
    await db.close();
  });
});
