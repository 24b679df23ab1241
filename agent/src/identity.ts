import { networkInterfaces, hostname as osHostname } from 'node:os';
import si from 'systeminformation';
import type { Identity } from './report.js';

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

/**
 * Who this host is: `clientId` (given, or the MAC address, or the hostname when there is no MAC), the
 * hostname and the OS type and version (distribution and release) from systeminformation.
 */
export async function hostIdentity(
  options: { clientId?: string | undefined } = {},
  osInfo: () => Promise<{ platform: string; distro: string; release: string; hostname: string }> = () =>
    si.osInfo(),
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
