/**
 * Which addresses a callback may reach. In production Cauri refuses to POST to anything but a
 * public unicast address, so that a merchant's callback URL cannot make the gateway probe its own
 * network (server-side request forgery). The ranges are IANA's special-purpose registries
 * (RFC 6890 and its updates: RFC 6598 shared space, RFC 4193 unique local, RFC 4291 link-local and
 * IPv4-mapped, RFC 6052 NAT64, RFC 3056 6to4). Embedded IPv4 addresses (mapped, NAT64, 6to4) are
 * judged as the IPv4 address they reach.
 */
export type IpClass =
  'public' | 'private' | 'loopback' | 'link-local' | 'unspecified' | 'multicast' | 'reserved' | 'invalid';

interface Range {
  readonly base: bigint;
  readonly prefix: number;
  readonly kind: Exclude<IpClass, 'public' | 'invalid'>;
}

const IPV4_RANGES: readonly Range[] = [
  v4('0.0.0.0', 8, 'unspecified'),
  v4('10.0.0.0', 8, 'private'),
  v4('100.64.0.0', 10, 'private'),
  v4('127.0.0.0', 8, 'loopback'),
  v4('169.254.0.0', 16, 'link-local'),
  v4('172.16.0.0', 12, 'private'),
  v4('192.0.0.0', 24, 'reserved'),
  v4('192.0.2.0', 24, 'reserved'),
  v4('192.88.99.0', 24, 'reserved'),
  v4('192.168.0.0', 16, 'private'),
  v4('198.18.0.0', 15, 'reserved'),
  v4('198.51.100.0', 24, 'reserved'),
  v4('203.0.113.0', 24, 'reserved'),
  v4('224.0.0.0', 4, 'multicast'),
  v4('240.0.0.0', 4, 'reserved'),
];

const IPV6_RANGES: readonly Range[] = [
  v6('::', 128, 'unspecified'),
  v6('::1', 128, 'loopback'),
  v6('64:ff9b:1::', 48, 'private'),
  v6('100::', 64, 'reserved'),
  v6('2001::', 23, 'reserved'),
  v6('2001:db8::', 32, 'reserved'),
  v6('fc00::', 7, 'private'),
  v6('fe80::', 10, 'link-local'),
  v6('fec0::', 10, 'private'),
  v6('ff00::', 8, 'multicast'),
];

function v4(text: string, prefix: number, kind: Range['kind']): Range {
  const base = parseIpv4(text);
  if (base === undefined) throw new Error(`bad range ${text}`);
  return { base, prefix: prefix + 96, kind };
}

function v6(text: string, prefix: number, kind: Range['kind']): Range {
  const base = parseIpv6(text);
  if (base === undefined) throw new Error(`bad range ${text}`);
  return { base, prefix, kind };
}

/** An IPv4 address as the low 32 bits of a 128-bit number, or undefined. */
export function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

/** An IPv6 address (with `::`, an embedded dotted IPv4 tail, and an ignored `%zone`) as 128 bits. */
export function parseIpv6(input: string): bigint | undefined {
  const text = input.split('%', 1)[0] ?? '';
  if (text.length === 0 || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? '';
      if (i === pieces.length - 1 && piece.includes('.')) {
        const tail = parseIpv4(piece);
        if (tail === undefined) return undefined;
        out.push(Number(tail >> 16n), Number(tail & 0xffffn));
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let value = 0n;
  for (const group of [...head, ...new Array<number>(missing).fill(0), ...tail])
    value = (value << 16n) | BigInt(group);
  return value;
}

function inRange(address: bigint, range: Range): boolean {
  const shift = BigInt(128 - range.prefix);
  return address >> shift === range.base >> shift;
}

function classifyIpv4(address: bigint): IpClass {
  for (const range of IPV4_RANGES) if (inRange(address, range)) return range.kind;
  return 'public';
}

/** The class of an IP address given as text (IPv4 dotted quad or IPv6, brackets allowed). */
export function classifyIp(text: string): IpClass {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const ipv4 = parseIpv4(bare);
  if (ipv4 !== undefined) return classifyIpv4(ipv4);
  const ipv6 = parseIpv6(bare);
  if (ipv6 === undefined) return 'invalid';
  const low32 = ipv6 & 0xffffffffn;
  if (ipv6 >> 32n === 0xffffn) return classifyIpv4(low32); // ::ffff:a.b.c.d, IPv4-mapped
  if (ipv6 >> 32n === 0x64ff9b0000000000000000n) return classifyIpv4(low32); // 64:ff9b::/96, NAT64
  if (ipv6 >> 112n === 0x2002n) return classifyIpv4((ipv6 >> 80n) & 0xffffffffn); // 2002::/16, 6to4
  for (const range of IPV6_RANGES) if (inRange(ipv6, range)) return range.kind;
  if (ipv6 >> 32n === 0n) return 'reserved'; // ::a.b.c.d, the deprecated IPv4-compatible form
  // Global unicast is 2000::/3; everything outside it is unassigned.
  return ipv6 >> 125n === 1n ? 'public' : 'reserved';
}
