import { isIPv6 } from 'node:net';

/**
 * What a per-address limit counts a client address under (the gateway's rate limits, body shares
 * and connections; auth's sign-in throttle and known addresses). An IPv4 address is one client.
 * An IPv6 address is not: a subscriber, an office or a cloud VM is given a whole /64 (RFC 6177)
 * and may send from any of its 2^64 addresses — a phone's privacy addresses change daily —, so
 * counting them apart would let one client rotate past every per-address limit: IPv6 clients are
 * counted by their /64. An IPv4 address written as IPv6 (`::ffff:192.0.2.1`, a dual-stack
 * listener's IPv4 clients) is that IPv4 address in any notation (full, upper case, hex tail
 * `::ffff:c000:201`), read as its 128 bits rather than its text, so such clients are never
 * lumped together into `::ffff:0:0/64`. So is one a translator (NAT64, SIIT) hands on under the
 * well-known prefix `64:ff9b::/96` (RFC 6052): every IPv4 client of an IPv6-only service behind
 * one comes from `64:ff9b::/64`, and as a /64 one guesser locked every owner out there. Under
 * the local-use prefix `64:ff9b:1::/48` (RFC 8215), where the IPv4 bits' place depends on the
 * operator's prefix length, each address is one client, written in full.
 * Anything else (not an address) is returned as it is.
 */
export function addressBlock(address: string): string {
  const bare = address.split('%', 1)[0]!;
  if (!isIPv6(bare)) return address;
  const groups = groupsOf(bare);
  const [a, b, c, d, e, f] = groups;
  const mapped = a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff;
  const translated = a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0;
  if (mapped || translated) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  // RFC 8215's local-use prefix 64:ff9b:1::/48, for translators an operator runs (SIIT-DC, a
  // NAT64 of its own): the IPv4 address sits where the prefix length the operator chose puts it
  // (RFC 6052, /48 to /96 within it, the rest zero), so each address there is one IPv4 client,
  // and as a /64 every IPv4 client behind the translator was one address again.
  if (a === 0x64 && b === 0xff9b && c === 1) {
    return groups.map((group) => group.toString(16)).join(':');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, an IPv4 tail as two groups). */
function groupsOf(address: string): number[] {
  const parse = (part: string) =>
    part
      ? part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [Number.parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        })
      : [];
  const [head = '', tail] = address.split('::');
  const before = parse(head);
  if (tail === undefined) return before;
  const after = parse(tail);
  return [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after];
}
