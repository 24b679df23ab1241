import { isPublicAddress, isPublicHostname } from '@metrics-collector/schema/network';
import { describe, expect, it } from 'vitest';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '0.0.0.0',
    '10.1.2.3',
    '100.64.0.1',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '192.0.2.1',
    '198.18.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '::7f00:1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '2001:db8::1',
    '2002:7f00:1::1',
    '2001::1',
    'not an address',
  ])('says %s is not public', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('says %s is public', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });

  it('refuses localhost names and non-public IP literals as URL hostnames, and leaves other names to the lookup', () => {
    for (const url of [
      'http://localhost/',
      'http://LOCALHOST./',
      'http://a.b.localhost/',
      'http://0x7f.1/',
    ]) {
      expect({ url, public: isPublicHostname(new URL(url).hostname) }).toEqual({ url, public: false });
    }
    for (const url of ['http://hooks.example.com/', 'http://[2606:4700:4700::1111]/', 'http://8.8.8.8/']) {
      expect({ url, public: isPublicHostname(new URL(url).hostname) }).toEqual({ url, public: true });
    }
  });
});
