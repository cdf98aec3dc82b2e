/**
 * What the per-address limits (rate limits, body shares, connections) count a client address
 * under. An IPv4 address is one client. An IPv6 address is not: a subscriber, an office or a
 * cloud VM is given a whole /64 (RFC 6177) and may send from any of its 2^64 addresses, so
 * counting them apart would let one client rotate past every per-address limit. IPv6 clients
 * are counted by their /64, IPv4-mapped ones (a dual-stack listener's IPv4 clients) by their
 * IPv4 address, so that those are never lumped together into `::ffff:0:0/64`.
 */
export function clientKey(address: string): string {
  if (!address.includes(':')) return address;
  const groups = ipv6Groups(address);
  if (!groups) return address;
  if (groups[5] === 0xffff && groups.slice(0, 5).every((g) => g === 0)) {
    const [high, low] = [groups[6]!, groups[7]!];
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

const DOTTED_TAIL = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a dotted IPv4 tail read), if valid. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.split('%', 1)[0]!.toLowerCase();
  const dotted = DOTTED_TAIL.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined) =>
    part
      ? part.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : NaN))
      : [];
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return groups.some(Number.isNaN) ? undefined : groups;
}
