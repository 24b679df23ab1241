import si from 'systeminformation';
import { describe, expect, it } from 'vitest';
import { hostIdentity, linuxRelease, macAddress } from '../src/identity.js';

const iface = (mac: string, internal: boolean) => ({
  address: '10.0.0.2',
  netmask: '255.0.0.0',
  family: 'IPv4' as const,
  mac,
  internal,
  cidr: '10.0.0.2/8',
});

describe('identity', () => {
  it('is the MAC address of the first non-internal interface', () => {
    const interfaces = {
      lo: [iface('00:00:00:00:00:00', true)],
      tun0: [iface('00:00:00:00:00:00', false)],
      eth0: [iface('6a:d6:96:d3:45:35', false)],
      eth1: [iface('6a:d6:96:d3:45:36', false)],
    };
    expect(macAddress(interfaces)).toBe('6a:d6:96:d3:45:35');
    expect(macAddress({ lo: [iface('00:00:00:00:00:00', true)] })).toBeNull();
  });

  it('takes hostname and OS from systeminformation, and a given client id over the MAC', async () => {
    const osInfo = async () => ({
      platform: 'linux',
      distro: 'Ubuntu',
      release: '18.04 LTS',
      hostname: 'web-1',
    });
    const interfaces = { eth0: [iface('6a:d6:96:d3:45:35', false)] };
    expect(await hostIdentity({}, osInfo, interfaces)).toEqual({
      clientId: '6a:d6:96:d3:45:35',
      hostname: 'web-1',
      osType: 'Linux',
      osVersion: 'Ubuntu 18.04 LTS',
    });
    expect((await hostIdentity({ clientId: 'given' }, osInfo, interfaces)).clientId).toBe('given');
    // No MAC (a container with only loopback): the hostname.
    expect((await hostIdentity({}, osInfo, {})).clientId).toBe('web-1');
  });

  it('reads this machine: its OS as systeminformation names it', async () => {
    const identity = await hostIdentity();
    expect(identity.clientId.length).toBeGreaterThan(0);
    expect(identity.hostname?.length).toBeGreaterThan(0);
    expect(identity.osType).toBe('Linux');
    const os = await si.osInfo();
    expect(identity.osVersion).toBe(`${os.distro} ${os.release}`);
    expect(identity.hostname).toBe(os.hostname);
  });

  it('names the distribution and release as systeminformation does', () => {
    const debian =
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"';
    expect(linuxRelease(debian)).toEqual({ distro: 'Debian GNU/Linux', release: '12' });
    // Ubuntu's /etc/lsb-release, then its os-release: DISTRIB_ID wins, the version from PRETTY_NAME.
    const ubuntu = [
      'DISTRIB_ID=Ubuntu',
      'DISTRIB_RELEASE=18.04',
      'DISTRIB_CODENAME=bionic',
      'NAME="Ubuntu"',
      'VERSION="18.04.6 LTS (Bionic Beaver)"',
      'PRETTY_NAME="Ubuntu 18.04.6 LTS"',
      'VERSION_ID="18.04"',
    ].join('\n');
    expect(linuxRelease(ubuntu)).toEqual({ distro: 'Ubuntu', release: '18.04.6 LTS' });
    expect(linuxRelease('ID=alpine\nVERSION_ID=3.20.0')).toEqual({ distro: 'unknown', release: '3.20.0' });
    expect(linuxRelease('')).toEqual({ distro: 'unknown', release: 'unknown' });
  });
});
