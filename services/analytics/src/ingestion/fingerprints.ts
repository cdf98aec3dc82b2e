/**
 * The dedup index's memory (dedup.ts): 64-bit fingerprints of message ids, each with the number
 * of the block (`message_id_blocks` row) that claimed it. Open addressing with linear probing
 * over one Uint32Array, three words a slot (the fingerprint's two halves, the block), so an id
 * costs 16–32 bytes (16 once DEDUP_MAX_IDS are held) and a lookup one cache line, where a Map of strings costs ~100 bytes and
 * a hash per lookup. Block 0 marks an empty slot (blocks are numbered from 1). Fingerprints are
 * the leading bits of a SHA-256, so their low word places them evenly without mixing.
 */
export interface Fingerprints {
  readonly size: number;
  /** Slots in the table (tests). */
  readonly capacity: number;
  /** The block holding the fingerprint; 0: absent. */
  get(hi: number, lo: number): number;
  /** Adds the fingerprint under `block`, or moves it there if present. */
  set(hi: number, lo: number, block: number): void;
  /** Adds the fingerprint under `block` unless present; resolves to the block holding it before (0: none). */
  add(hi: number, lo: number, block: number): number;
  /** Forgets every fingerprint of a block numbered below `block`; resolves to how many. */
  dropBefore(block: number): number;
  /** The lowest block remembered (0: none). */
  oldestBlock(): number;
  /** The block of the `rank`th oldest fingerprint (1 ≤ rank ≤ size), by block number. */
  blockAtRank(rank: number): number;
  /** Lowers every block by `delta` (below every block remembered), so numbers stay in 32 bits. */
  rebase(delta: number): void;
  clear(): void;
}

const MIN_SLOTS = 1 << 14;
const MAX_LOAD = 0.75;

/**
 * `maxIds`: the most the caller keeps (DEDUP_MAX_IDS, dedup.ts makeRoom), so the table never
 * grows past the slots those need.
 */
export function createFingerprints(options: { maxIds?: number } = {}): Fingerprints {
  const maxSlots =
    options.maxIds === undefined
      ? Number.POSITIVE_INFINITY
      : Math.ceil(options.maxIds / MAX_LOAD) + 1;
  let slots = MIN_SLOTS;
  let table = new Uint32Array(slots * 3);
  let size = 0;

  // Range reduction by multiplication: any table size, no modulo. Exactness is not needed, only
  // the same slot for the same word (a double holds lo * slots closely enough for that).
  const home = (lo: number) => Math.floor((lo * slots) / 4294967296);

  /** The slot of the fingerprint, or of the empty slot where it would go. */
  function find(hi: number, lo: number): number {
    let i = home(lo);
    for (;;) {
      const at = i * 3;
      if (table[at + 2] === 0) return i;
      if (table[at] === hi && table[at + 1] === lo) return i;
      i += 1;
      if (i === slots) i = 0;
    }
  }

  /**
   * Doubles the table (up to what maxIds needs), as most hash tables do. Each growth writes
   * every entry again into a fresh array whose pages fault in at ~14 µs each on the machines
   * measured (docs/testing-and-benchmarks.md): a table growing by half, as it did, paid that a
   * third more often — ~137 MB of fresh pages where doubling pays ~88 MB on the way to 3.6
   * million ids (docs/measurements/analytics-ingestion.md, session 30).
   */
  function grow() {
    const old = table;
    const oldSlots = slots;
    slots = Math.max(slots + 1, Math.min(slots * 2, maxSlots));
    table = new Uint32Array(slots * 3);
    for (let i = 0; i < oldSlots; i += 1) {
      const at = i * 3;
      if (old[at + 2] === 0) continue;
      const to = find(old[at]!, old[at + 1]!) * 3;
      table[to] = old[at]!;
      table[to + 1] = old[at + 1]!;
      table[to + 2] = old[at + 2]!;
    }
  }

  /**
   * Empties slot i, then moves back the entries after it that probing would no longer reach
   * (backward-shift deletion: no tombstones, so lookups stay as short as before).
   */
  function remove(i: number) {
    let hole = i;
    let j = i;
    for (;;) {
      j += 1;
      if (j === slots) j = 0;
      const at = j * 3;
      if (table[at + 2] === 0) break;
      const h = home(table[at + 1]!);
      // Entry j may fill the hole unless its home lies cyclically in (hole, j].
      const reachable = hole <= j ? h > hole && h <= j : h > hole || h <= j;
      if (reachable) continue;
      table.copyWithin(hole * 3, at, at + 3);
      hole = j;
    }
    table.fill(0, hole * 3, hole * 3 + 3);
    size -= 1;
  }

  return {
    get size() {
      return size;
    },
    get capacity() {
      return slots;
    },
    get(hi, lo) {
      return table[find(hi, lo) * 3 + 2]!;
    },
    set(hi, lo, block) {
      const at = find(hi, lo) * 3;
      if (table[at + 2] === 0) {
        if ((size + 1) / slots > MAX_LOAD) {
          grow();
          this.set(hi, lo, block);
          return;
        }
        size += 1;
        table[at] = hi;
        table[at + 1] = lo;
      }
      table[at + 2] = block;
    },
    add(hi, lo, block) {
      const at = find(hi, lo) * 3;
      const held = table[at + 2]!;
      if (held !== 0) return held;
      if ((size + 1) / slots > MAX_LOAD) {
        grow();
        return this.add(hi, lo, block);
      }
      size += 1;
      table[at] = hi;
      table[at + 1] = lo;
      table[at + 2] = block;
      return 0;
    },
    dropBefore(block) {
      const before = size;
      // Start after an empty slot, so no run of entries wraps past where the sweep begins.
      let start = 0;
      while (start < slots && table[start * 3 + 2] !== 0) start += 1;
      for (let n = 0; n < slots; ) {
        const i = (start + n) % slots;
        const b = table[i * 3 + 2]!;
        // A removal may shift a later entry into slot i: look at it again before moving on.
        if (b !== 0 && b < block) remove(i);
        else n += 1;
      }
      return before - size;
    },
    oldestBlock() {
      let oldest = 0;
      for (let i = 2; i < table.length; i += 3) {
        const b = table[i]!;
        if (b !== 0 && (oldest === 0 || b < oldest)) oldest = b;
      }
      return oldest;
    },
    blockAtRank(rank) {
      // Two counting scans, by the high then the low 16 bits of the block: linear, no sort.
      const high = new Uint32Array(65536);
      for (let i = 2; i < table.length; i += 3) {
        const b = table[i]!;
        if (b !== 0) high[b >>> 16]! += 1;
      }
      let rest = rank;
      let top = 0;
      while (top < 65535 && rest > high[top]!) rest -= high[top++]!;
      const low = new Uint32Array(65536);
      for (let i = 2; i < table.length; i += 3) {
        const b = table[i]!;
        if (b !== 0 && b >>> 16 === top) low[b & 0xffff]! += 1;
      }
      let bottom = 0;
      while (bottom < 65535 && rest > low[bottom]!) rest -= low[bottom++]!;
      return top * 65536 + bottom;
    },
    rebase(delta) {
      for (let i = 2; i < table.length; i += 3) if (table[i] !== 0) table[i]! -= delta;
    },
    clear() {
      slots = MIN_SLOTS;
      table = new Uint32Array(slots * 3);
      size = 0;
    },
  };
}
