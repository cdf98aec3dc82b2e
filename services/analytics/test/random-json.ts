// Random JSON values for the unlinking property tests (forgotten-lookup, store-postgres): seeded,
// so that a failure replays.

/** A small seeded generator: the same values at every run. `pick(n)` is in 0…n-1. */
export function seeded(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % n;
  };
}

/**
 * A value of strings from `text` at every depth: as keys and strings, in arrays and objects, and
 * as strings holding JSON text, escapes and all.
 */
export function randomValue(pick: (n: number) => number, text: () => string) {
  const value = (depth: number): unknown => {
    const kind = pick(depth > 2 ? 1 : 4);
    if (kind === 0) return text();
    if (kind === 1) return Array.from({ length: pick(3) }, () => value(depth + 1));
    if (kind === 2) return JSON.stringify(value(depth + 1));
    return Object.fromEntries(
      Array.from({ length: 1 + pick(3) }, () => [text(), value(depth + 1)]),
    );
  };
  return () => value(0);
}
