import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Binary, type RealServer, startProcess } from './real-servers.js';

export const postgresBinary: Binary = {
  name: 'postgres',
  debianPackage: 'postgresql',
  locate: () => postgresBinDir(),
};

/** The folder of `postgres` and `initdb`: Debian's newest /usr/lib/postgresql/<version>/bin, else PATH's. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return join(root, versions[0], 'bin');
  const found = spawnSync('sh', ['-c', 'command -v postgres'], { encoding: 'utf8' });
  return found.status === 0 ? join(found.stdout.trim(), '..') : null;
}

/**
 * PostgreSQL (Debian's `postgresql`): `initdb` into the temporary folder (trust auth, superuser
 * `postgres`), then `postgres` on loopback and a free port, its socket in the folder too. Run as root (CI),
 * both run as the `postgres` user, which owns the folder. `url` is
 * `postgres://postgres@127.0.0.1:<port>/postgres`; `createDatabase` adds an empty database.
 */
export async function startPostgres(): Promise<RealServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (Debian package postgresql)');
  const owner = postgresOwner();
  return startProcess({
    what: 'postgres',
    command: join(bin, 'postgres'),
    scheme: 'postgres',
    spawnOptions: owner ?? {},
    prepare: (dir) => {
      if (owner) chownSync(dir, owner.uid, owner.gid);
      const init = spawnSync(
        join(bin, 'initdb'),
        ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
        { ...owner, encoding: 'utf8' },
      );
      if (init.status !== 0) throw new Error(`initdb failed:\n${init.stdout}${init.stderr}`);
    },
    args: (dir, port) => [
      '-D',
      join(dir, 'data'),
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
    ],
    ready: (url) => postgresReady(Number(new URL(url).port)),
  }).then((server) => ({ ...server, url: `${server.url}/postgres`.replace('://', '://postgres@') }));
}

/** Creates an empty database on a server `startPostgres` started; resolves with its URL. */
export async function createDatabase(server: RealServer, name: string): Promise<string> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
  return server.url.replace(/\/postgres$/, `/${name}`);
}

/** Root runs PostgreSQL as the `postgres` user (it refuses root); anyone else as themselves. */
function postgresOwner(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) =>
    Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const [uid, gid] = [id('-u'), id('-g')];
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) {
    throw new Error('no "postgres" user to run PostgreSQL as (the Debian package postgresql creates it)');
  }
  return { uid, gid };
}

/** Whether PostgreSQL accepts a connection and answers a query on the port. */
async function postgresReady(port: number): Promise<boolean> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}
