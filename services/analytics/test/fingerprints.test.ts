import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { createFingerprints } from '../src/ingestion/fingerprints.ts';

// `npm test` runs test processes without V8's optimising compiler (`--no-turbofan`,
// scripts/test.ts): most of them run their code a few times. This file is hot loops (some
// 100,000 table operations, each checked against a Map): optimised, its CPU is under half.
setFlagsFromString('--turbofan');

/**
 * The dedup index's in-memory table (fingerprints.ts) against a plain Map, operation by
 * operation: random adds, moves, lookups and drops, past two growths, with many fingerprints
 * crowding the last and first slots so their probe runs wrap around the end of the table and
 * backward-shift deletion has to move entries back across the wrap.
 */

/** A seeded generator (mulberry32): a failure names its seed and can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A fingerprint's two words, and its key in the reference Map. */
type Fp = [hi: number, lo: number, key: string];
const fpOf = (hi: number, lo: number): Fp => [hi, lo, `${hi}:${lo}`];

const WORD = 2 ** 32;
/** The width of one home slot's range of low words while the table has its first 16384 slots. */
const SLOT = WORD / 16384;

for (const seed of [1, 2]) {
  test(`fingerprints match a Map through random operations (seed ${seed})`, () => {
    const rand = random(seed);
    const int = (n: number) => Math.floor(rand() * n);
    const memory = createFingerprints();
    /** What the table should hold: block by key. */
    const reference = new Map<string, number>();
    /** Every fingerprint used so far, by key. */
    const known = new Map<string, Fp>();
    const crowded: Fp[] = [];
    const expectBlock = (fp: Fp, what: string) => {
      const want = reference.get(fp[2]) ?? 0;
      const got = memory.get(fp[0], fp[1]);
      if (got !== want) assert.fail(`${what}: ${fp[2]} is in block ${got}, not ${want}`);
    };
    const expectSize = (what: string) => {
      if (memory.size !== reference.size) {
        assert.fail(`${what}: size ${memory.size}, not ${reference.size}`);
      }
    };

    // Homes in the last three and the first three slots, at any table size: the run of the
    // last ones wraps to slot 0 and pushes those whose home is 0–2 further on.
    for (let i = 0; i < 48; i += 1) {
      const previous = crowded.at(-1);
      // Some share the low word with another and differ only in the high one.
      const fp =
        i % 7 === 3 && previous
          ? fpOf((previous[0] + 1) >>> 0, previous[1])
          : fpOf(int(WORD), i % 2 === 0 ? WORD - 1 - int(3 * SLOT) : int(3 * SLOT));
      crowded.push(fp);
      known.set(fp[2], fp);
    }
    const seen = [...known.values()];
    const pick = (): Fp => {
      // A crowded one, one seen before, or (most often) a new one.
      if (rand() < 0.15) return crowded[int(crowded.length)]!;
      if (rand() < 0.2) return seen[int(seen.length)]!;
      const fp = fpOf(int(WORD), int(WORD));
      known.set(fp[2], fp);
      seen.push(fp);
      return fp;
    };
    const oldest = () => {
      let min = 0;
      for (const b of reference.values()) if (min === 0 || b < min) min = b;
      return min;
    };
    let dropped = 0;
    /** dropBefore(cut) on both, then everything left is found and nothing dropped is. */
    const drop = (cut: number) => {
      const gone: Fp[] = [];
      for (const [key, b] of reference) {
        if (b < cut) {
          reference.delete(key);
          gone.push(known.get(key)!);
        }
      }
      assert.equal(memory.dropBefore(cut), gone.length, `dropBefore(${cut})`);
      dropped += gone.length;
      expectSize(`dropBefore(${cut})`);
      for (const fp of gone) expectBlock(fp, `dropBefore(${cut}) dropped`);
      for (const key of reference.keys()) expectBlock(known.get(key)!, `dropBefore(${cut}) kept`);
      for (const fp of crowded) expectBlock(fp, `dropBefore(${cut}) crowded`);
      assert.equal(memory.oldestBlock(), oldest(), `dropBefore(${cut}): oldest block`);
    };

    let block = 1;
    let peak = 0;
    // Two waves: past the first table's 12288 entries (16384 slots), then past the second's
    // 24576 (32768 slots), each followed by a drop of most of it; moves and lookups throughout.
    for (const target of [13_000, 26_000]) {
      for (let step = 0; reference.size < target; step += 1) {
        const fp = pick();
        const [hi, lo, key] = fp;
        const r = rand();
        if (r < 0.6) {
          const before = reference.get(key) ?? 0;
          const got = memory.add(hi, lo, block);
          if (got !== before) assert.fail(`add ${key} at step ${step}: ${got}, not ${before}`);
          if (before === 0) reference.set(key, block);
        } else if (r < 0.75) {
          // A later block claims it (catch-up), or a new one.
          memory.set(hi, lo, block);
          reference.set(key, block);
        } else if (r < 0.999) {
          expectBlock(fp, `get at step ${step}`);
        } else {
          // The oldest few blocks go: the crowded runs lose entries here and there.
          drop(oldest() + 1 + int(3));
        }
        if (rand() < 0.02) block += 1;
        expectSize(`step ${step}`);
        for (const c of crowded) expectBlock(c, `step ${step}, crowded`);
        if (step % 1000 === 0) {
          assert.equal(memory.oldestBlock(), oldest(), `step ${step}: oldest block`);
        }
        peak = Math.max(peak, reference.size);
      }
      // Then most of it goes, the newest blocks stay.
      drop(block - 3);
    }
    assert.ok(peak > 24_576, `grew twice (peak ${peak})`);
    assert.ok(dropped > 20_000, `dropped ${dropped}`);

    memory.clear();
    assert.equal(memory.size, 0);
    assert.equal(memory.oldestBlock(), 0);
    for (const [hi, lo] of crowded) assert.equal(memory.get(hi, lo), 0);
  });
}

test('a drop across the end of the table moves the wrapped entries back', () => {
  const memory = createFingerprints();
  // Five entries whose home is the last slot: slots 16383, 0, 1, 2, 3. Then two whose home is
  // slot 0, pushed to 4 and 5.
  const last = WORD - 1;
  for (let hi = 1; hi <= 5; hi += 1) memory.set(hi, last, hi);
  memory.set(6, 0, 6);
  memory.set(7, 1, 7);
  assert.equal(memory.size, 7);
  assert.equal(memory.oldestBlock(), 1);
  // Blocks 1 and 2 go: the one in the last slot and the first wrapped one.
  assert.equal(memory.dropBefore(3), 2);
  assert.equal(memory.size, 5);
  assert.equal(memory.oldestBlock(), 3);
  for (let hi = 1; hi <= 7; hi += 1) {
    assert.equal(memory.get(hi, hi <= 5 ? last : hi - 6), hi < 3 ? 0 : hi, `entry ${hi}`);
  }
  // Everything but the newest: what is left must still be found, what went must not be.
  assert.equal(memory.dropBefore(7), 4);
  assert.equal(memory.get(7, 1), 7);
  assert.equal(memory.get(5, last), 0);
  assert.equal(memory.oldestBlock(), 7);
  assert.equal(memory.add(5, last, 8), 0);
  assert.equal(memory.add(7, 1, 8), 7);
  assert.equal(memory.size, 2);
});

test('the table doubles as it fills, and stops at the slots maxIds needs', () => {
  const spread = (n: number): [number, number] => [n, Math.floor((n * 2654435761) % WORD)];
  const open = createFingerprints();
  for (let n = 1; n <= 12_289; n += 1) open.add(...spread(n), 1);
  // 16384 slots hold 12288 at 75 %: the next one doubles them.
  assert.equal(open.capacity, 32_768);
  for (let n = 12_290; n <= 24_577; n += 1) open.add(...spread(n), 1);
  assert.equal(open.capacity, 65_536);

  // 30 000 ids need 40 001 slots at 75 %: the second growth stops there, not at 65 536.
  const capped = createFingerprints({ maxIds: 30_000 });
  for (let n = 1; n <= 30_000; n += 1) capped.add(...spread(n), 1);
  assert.equal(capped.capacity, 40_001);
  assert.equal(capped.size, 30_000);
  for (let n = 1; n <= 30_000; n += 1) assert.equal(capped.get(...spread(n)), 1);
});
