import { BlockList, isIP } from 'node:net';

/** IPv4 ranges that are not publicly routable (IANA special-purpose registry, multicast, reserved). */
const nonPublicIPv4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // shared address space (CGNAT)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  nonPublicIPv4.addSubnet(network, prefix, 'ipv4');
}

/** Global unicast: every public IPv6 address lies in 2000::/3 (loopback, ULA, link-local, multicast do not). */
const globalIPv6 = new BlockList();
globalIPv6.addSubnet('2000::', 3, 'ipv6');

/** Special-purpose ranges inside 2000::/3. */
const nonPublicIPv6 = new BlockList();
for (const [network, prefix] of [
  ['2001::', 23], // IETF protocol assignments (Teredo, benchmarking, ORCHID)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 (deprecated; embeds any IPv4 address)
  ['3fff::', 20], // documentation
] as const) {
  nonPublicIPv6.addSubnet(network, prefix, 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address (`isIP(ip) === 6`, without a zone). */
function ipv6Groups(ip: string): number[] {
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // A dotted IPv4 tail (::ffff:127.0.0.1) is the last two groups.
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const before = head === '' ? [] : head.split(':');
  const after = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : Array<string>(8 - before.length - after.length).fill('0');
  return [...before, ...zeros, ...after].map((group) => Number.parseInt(group, 16));
}

/**
 * The IPv4 address an IPv6 address stands for: IPv4-mapped (`::ffff:0:0/96`) or NAT64 (`64:ff9b::/96`,
 * which a NAT64 gateway translates to that IPv4 address); `null` for any other.
 */
function embeddedIPv4(ip: string): string | null {
  const g = ipv6Groups(ip);
  const mapped = g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0;
  if (!mapped && !nat64) return null;
  const high = g[6] ?? 0;
  const low = g[7] ?? 0;
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/**
 * Whether `ip` is a public unicast address: not loopback, private, link-local, unspecified, CGNAT,
 * multicast, documentation or otherwise reserved, in IPv4 or IPv6. An IPv4-mapped or NAT64 IPv6 address
 * is judged by the IPv4 address it carries; an IPv6 zone (`%eth0`) is ignored. `false` for anything that is
 * not an IP address.
 */
export function isPublicAddress(ip: string): boolean {
  const address = ip.replace(/%.*$/, '');
  switch (isIP(address)) {
    case 4:
      return !nonPublicIPv4.check(address, 'ipv4');
    case 6: {
      const v4 = embeddedIPv4(address);
      if (v4 !== null) return isPublicAddress(v4);
      return globalIPv6.check(address, 'ipv6') && !nonPublicIPv6.check(address, 'ipv6');
    }
    default:
      return false;
  }
}

/**
 * Whether a URL's `hostname` (as `new URL()` normalises it: `127.0.0.1` for `2130706433` or `0x7f.1`,
 * `[::ffff:7f00:1]` for `[::ffff:127.0.0.1]`) may be public: `false` for an IP literal that is not a public
 * address and for `localhost` or a name under `.localhost`; `true` for any other name, whose addresses are
 * known only once it is resolved.
 */
export function isPublicHostname(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return false;
  const literal = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(literal) === 0 || isPublicAddress(literal);
}
