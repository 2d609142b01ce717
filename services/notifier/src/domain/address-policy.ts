import { BlockList, isIP, isIPv4 } from 'node:net';

/**
 * Which network addresses a webhook may be delivered to (the SSRF guard's rule, without I/O):
 * public unicast only. Everything in the IANA special-purpose registries is refused — loopback,
 * private (RFC 1918), carrier-grade NAT, link-local (169.254.0.0/16: cloud metadata), unique-local
 * and site-local IPv6, multicast, documentation, benchmarking, reserved — and so is an IPv6
 * address that carries an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible, NAT64, 6to4,
 * Teredo) when the IPv4 inside is refused (Teredo always: its embedded address is obfuscated).
 */

const REFUSED_V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const REFUSED_V6: Array<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'discard-only'],
  ['2001::', 32, 'Teredo'],
  ['2001::', 23, 'IETF protocol assignments'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'segment routing'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function blockListOf(ranges: Array<[string, number, string]>, family: 'ipv4' | 'ipv6') {
  return ranges.map(([network, prefix, reason]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return { list, reason };
  });
}

const v4Ranges = blockListOf(REFUSED_V4, 'ipv4');
const v6Ranges = blockListOf(REFUSED_V6, 'ipv6');

/** The eight 16-bit groups of an IPv6 address (with `::` and a dotted IPv4 tail expanded). */
export function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - front.length - back.length).fill(0);
  return [...front, ...zeros, ...back];
}

function ipv4OfGroups(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** The IPv4 address an IPv6 one carries (mapped, compatible, NAT64, 6to4), if any. */
export function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(5) && g[5] === 0xffff) return ipv4OfGroups(g[6], g[7]); // ::ffff:a.b.c.d (mapped)
  if (zeroUpTo(6) && (g[6] !== 0 || g[7] > 1)) return ipv4OfGroups(g[6], g[7]); // ::a.b.c.d (compatible)
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0))
    return ipv4OfGroups(g[6], g[7]); // NAT64
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return ipv4OfGroups(g[6], g[7]); // local-use NAT64 (64:ff9b:1::/48)
  if (g[0] === 0x2002) return ipv4OfGroups(g[1], g[2]); // 6to4
  return undefined;
}

/**
 * Why a webhook may not be delivered to this address, or undefined when it may (a public unicast
 * address). Anything that is not an IP address is refused.
 */
export function refusedAddressReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  if (isIPv4(address)) return v4Ranges.find((r) => r.list.check(address, 'ipv4'))?.reason;
  const embedded = embeddedIpv4(address);
  if (embedded !== undefined) {
    const inner = refusedAddressReason(embedded);
    return inner === undefined ? undefined : `${inner} (IPv4 inside IPv6)`;
  }
  return v6Ranges.find((r) => r.list.check(address, 'ipv6'))?.reason;
}

/** Networks (CIDRs) that are allowed despite the rule: the explicit development/test allow-list. */
export class AddressAllowList {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(cidrs: string[]) {
    for (const cidr of cidrs) {
      const [network, prefix] = cidr.split('/');
      const family = isIPv4(network) ? 'ipv4' : 'ipv6';
      this.list.addSubnet(
        network,
        prefix === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefix),
        family,
      );
    }
    this.empty = cidrs.length === 0;
  }

  has(address: string): boolean {
    if (this.empty || isIP(address) === 0) return false;
    return this.list.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
  }
}

/** A CIDR (or a bare address) as the allow-list takes it. */
export function isCidr(text: string): boolean {
  const [network, prefix, extra] = text.split('/');
  if (extra !== undefined || isIP(network) === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (isIPv4(network) ? 32 : 128);
}
