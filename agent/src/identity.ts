import { readdir, readFile } from 'node:fs/promises';
import { networkInterfaces, hostname as osHostname } from 'node:os';
import type { Identity } from './report.js';
import { si } from './systeminformation.js';

type Interfaces = ReturnType<typeof networkInterfaces>;

/**
 * The MAC address of the first interface that is not internal and has one (as the original agent named
 * its hosts), or `null`.
 */
export function macAddress(interfaces: Interfaces = networkInterfaces()): string | null {
  for (const addresses of Object.values(interfaces)) {
    for (const a of addresses ?? []) {
      if (!a.internal && a.mac && a.mac !== '00:00:00:00:00:00') return a.mac;
    }
  }
  return null;
}

const platformNames: Record<string, string> = {
  linux: 'Linux',
  darwin: 'macOS',
  win32: 'Windows',
  freebsd: 'FreeBSD',
  openbsd: 'OpenBSD',
  sunos: 'SunOS',
  aix: 'AIX',
};

type OsInfo = { platform: string; distro: string; release: string; hostname: string };

/**
 * The distribution and release that systeminformation's `osInfo()` reports on Linux, from the text of the
 * release files it reads (the later file's fields win), by the same rules.
 */
export function linuxRelease(text: string): { distro: string; release: string } {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.split('=');
    if (key === undefined || value === undefined) continue;
    fields[key.trim().toUpperCase()] = value.trim();
  }
  const unquoted = (value: string | undefined) => (value ?? '').replace(/"/g, '');
  const distro = unquoted(fields.DISTRIB_ID || fields.NAME || 'unknown');
  let version = unquoted(fields.VERSION);
  const pretty = unquoted(fields.PRETTY_NAME);
  if (pretty.startsWith(`${distro} `)) version = pretty.slice(distro.length + 1).trim();
  if (version.includes('(')) version = (version.split('(')[0] as string).trim();
  return { distro, release: unquoted(version || fields.DISTRIB_RELEASE || fields.VERSION_ID || 'unknown') };
}

/**
 * `osInfo()` on Linux without its child processes: systeminformation runs `hostname -f` and the codepage's
 * `locale` synchronously, which blocked the event loop (that of the server too, under `npm start`) for
 * tens of milliseconds at the agent's start. The same files: `/etc/*-release`, `/usr/lib/os-release`,
 * `/etc/openwrt_release`.
 */
async function linuxOsInfo(): Promise<OsInfo> {
  const names = (await readdir('/etc').catch(() => [] as string[]))
    .filter((n) => n.endsWith('-release'))
    .sort();
  const files = [...names.map((n) => `/etc/${n}`), '/usr/lib/os-release', '/etc/openwrt_release'];
  const texts = await Promise.all(files.map((file) => readFile(file, 'utf8').catch(() => '')));
  return { platform: 'linux', hostname: osHostname(), ...linuxRelease(texts.join('\n')) };
}

/**
 * Who this host is: `clientId` (given, or the MAC address, or the hostname when there is no MAC), the
 * hostname and the OS type and version (distribution and release): on Linux from its release files, as
 * systeminformation reads them, elsewhere from systeminformation.
 */
export async function hostIdentity(
  options: { clientId?: string | undefined } = {},
  osInfo: () => Promise<OsInfo> = () => (process.platform === 'linux' ? linuxOsInfo() : si.osInfo()),
  interfaces?: Interfaces,
): Promise<Identity> {
  const os = await osInfo().catch(() => null);
  const hostname = os?.hostname || osHostname();
  const platform = os?.platform ?? process.platform;
  const version = [os?.distro, os?.release].filter(Boolean).join(' ');
  return {
    clientId: options.clientId || macAddress(interfaces) || hostname,
    hostname,
    osType: platformNames[platform] ?? platform,
    ...(version ? { osVersion: version } : {}),
  };
}
