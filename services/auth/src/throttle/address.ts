import { isIPv6 } from 'node:net';

/**
 * What the throttle counts as one address. An IPv6 host is handed a whole /64 (a VPS, a home
 * line, a phone's privacy addresses that change daily) and may send from any of its 2^64
 * addresses, so counting each one alone let a single machine hop past the per-address limits;
 * the /64 is the unit, as other rate limiters take it. An IPv4 address written as IPv6
 * (`::ffff:192.0.2.1`, a dual-stack socket) is that IPv4 address.
 */
export function addressBlock(address: string): string {
  const bare = address.split('%', 1)[0]!;
  if (!isIPv6(bare)) return address;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped) return mapped[1]!;
  const [head = '', tail] = bare.split('::');
  const before = head ? head.split(':') : [];
  const after = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (`…:192.0.2.1`) is two groups, all past the first four.
  const width = after.reduce((n, group) => n + (group.includes('.') ? 2 : 1), 0);
  const groups =
    tail === undefined ? before : [...before, ...Array(8 - before.length - width).fill('0')];
  const prefix = groups.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16));
  return `${prefix.join(':')}::/64`;
}
