import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { Row } from '../src/ingestion/queue-rows.ts';
import { createArena } from '../src/ingestion/writer-arena.ts';
import { type Cached, createRowCache } from '../src/ingestion/writer-cache.ts';
import type { Store } from '../src/store/types.ts';

/** A store that encodes a row's events as their names, one per line. */
const namesStore = {
  kind: 'influxdb',
  encodeEvents: (events: { event: string }[]) => events.map((e) => `${e.event}\n`).join(''),
  writeEncoded: async () => {},
} as unknown as Store;
const body = (cached: Cached) => (cached as { body: string | Buffer }).body;

/** The same numbers for the same seed, so a failure names a sequence that can be replayed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x80000000;
  };
}

// Characters of 1 to 4 bytes: offsets in blocks are bytes, not characters.
const chars = ['a', 'é', '✓', '😀', ','];

/**
 * Rows remembered, held by passes (several may hold one), forgotten and given back in random
 * order, in an arena of a few small blocks used again all the time: every body the cache keeps
 * or a pass holds reads as it was remembered, and the arena counts exactly those.
 */
test('in any order of remember, hold, forget and release, no body still read is written over', () => {
  for (let seed = 1; seed <= 60; seed += 1) {
    const next = random(seed);
    const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]!;
    const arena = createArena({ blockBytes: 128, maxBlocks: 4 });
    const cache = createRowCache({ store: namesStore, log: pino({ level: 'silent' }), arena });
    const texts = new Map<number, string>();
    const kept = new Set<number>();
    let passes: { seq: number; row: Cached }[][] = [];
    let seq = 0;
    const check = (step: number) => {
      const inArena = new Set<Cached>();
      const read = (at: number, row: Cached) => {
        assert.equal(String(body(row)), texts.get(at), `seed ${seed}, step ${step}, row ${at}`);
        if (Buffer.isBuffer(body(row))) inArena.add(row);
      };
      for (const pass of passes) for (const h of pass) read(h.seq, h.row);
      for (const at of kept) {
        const row = cache.hold(at)!;
        read(at, row);
        cache.release([row]);
      }
      assert.equal(arena.live, inArena.size, `seed ${seed}, step ${step}: slices in use`);
    };
    for (let step = 0; step < 300; step += 1) {
      const op = next();
      if (op < 0.35) {
        seq += 1;
        const name = Array.from({ length: 1 + Math.floor(next() * 40) }, () => pick(chars));
        cache.remember({ seq, kind: 'event', item: [{ event: name.join('') }], point: seq } as Row);
        texts.set(seq, `${name.join('')}\n`);
        kept.add(seq);
      } else if (op < 0.55) {
        const pass = [...kept]
          .filter(() => next() < 0.5)
          .map((at) => ({ seq: at, row: cache.hold(at)! }));
        passes.push(pass);
      } else if (op < 0.8 && kept.size) {
        const at = pick([...kept]);
        cache.forget(at);
        kept.delete(at);
      } else if (passes.length) {
        const pass = pick(passes);
        passes = passes.filter((p) => p !== pass);
        cache.release(pass.map((h) => h.row));
      }
      check(step);
    }
    for (const at of kept) cache.forget(at);
    kept.clear();
    for (const pass of passes) cache.release(pass.map((h) => h.row));
    passes = [];
    check(300);
    assert.ok(arena.blocks <= 2, `seed ${seed}: ${arena.blocks} blocks kept while idle`);
  }
});
