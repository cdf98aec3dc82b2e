/**
 * A held answer whose connection dies without a reset (a crashed host, a dropped NAT entry or
 * route) looks to its caller like one still held. A space (JSON allows leading whitespace) sent
 * this often, announced in a header, lets the caller tell the two apart: silence for longer means
 * the other end is gone, and it asks again.
 */
export const HEARTBEAT_MS = 1000;

interface Beating {
  write(chunk: string): unknown;
}

/**
 * One timer for every body it beats for (held answers number up to their limit, a thousand):
 * `beat` starts writing `' '` to `body` every `ms`, until the returned function is called.
 */
export function heartbeats(ms = HEARTBEAT_MS) {
  const beating = new Set<Beating>();
  let timer: NodeJS.Timeout | undefined;
  return function beat(body: Beating): () => void {
    beating.add(body);
    timer ??= setInterval(() => {
      for (const b of beating) b.write(' ');
    }, ms).unref();
    return () => {
      beating.delete(body);
      if (beating.size === 0) {
        clearInterval(timer);
        timer = undefined;
      }
    };
  };
}
