import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Binary, type RealServer, startProcess } from './real-servers.js';

/** Debian's nginx, in /usr/sbin (not on every user's PATH). */
export const nginxBinary: Binary = {
  name: 'nginx',
  debianPackage: 'nginx',
  locate: () => (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null),
};

/**
 * nginx (Debian's) in the foreground with the configuration `config(port)` returns, listening on a free
 * loopback port: its pid file, error log and temporary folders in a temporary folder, so that nothing of
 * the system's nginx (its service, /var/lib/nginx) is used. Ready once it answers HTTP at all.
 */
export async function startNginx(config: (port: number) => string): Promise<RealServer> {
  const command = nginxBinary.locate?.() ?? 'nginx';
  return startProcess({
    what: 'nginx',
    command,
    prepare: (dir, port) => {
      // Run as root, nginx's workers run as `nobody`: they must reach the temporary folders.
      chmodSync(dir, 0o755);
      const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
        .map((kind) => `  ${kind}_temp_path ${join(dir, kind)};`)
        .join('\n');
      writeFileSync(join(dir, 'nginx.conf'), config(port).replace(/^http \{$/m, `http {\n${temp}`));
    },
    args: (dir) => [
      '-p',
      dir,
      '-c',
      join(dir, 'nginx.conf'),
      '-e',
      'stderr',
      '-g',
      `daemon off; pid ${join(dir, 'nginx.pid')};`,
    ],
    ready: async (url) => {
      await fetch(url);
      return true;
    },
  });
}
