import { isIPv6 } from 'node:net';

/**
 * What the throttle counts as one address. An IPv6 host is handed a whole /64 (a VPS, a home
 * line, a phone's privacy addresses that change daily) and may send from any of its 2^64
 * addresses, so counting each one alone let a single machine hop past the per-address limits;
 * the /64 is the unit, as other rate limiters take it. An IPv4 address written as IPv6
 * (`::ffff:192.0.2.1`, a dual-stack socket) is that IPv4 address, in any notation (full, upper
 * case, hex tail `::ffff:c000:201`): the address is read as its 128 bits, not as its text.
 */
export function addressBlock(address: string): string {
  const bare = address.split('%', 1)[0]!;
  if (!isIPv6(bare)) return address;
  const groups = groupsOf(bare);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
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
