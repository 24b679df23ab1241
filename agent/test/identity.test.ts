import { describe, expect, it } from 'vitest';
import { hostIdentity, macAddress } from '../src/identity.js';

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

  it('reads this machine', async () => {
    const identity = await hostIdentity();
    expect(identity.clientId.length).toBeGreaterThan(0);
    expect(identity.hostname?.length).toBeGreaterThan(0);
    expect(identity.osType).toBe('Linux');
  });
});
