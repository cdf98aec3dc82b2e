import type { FastifyBaseLogger } from 'fastify';
import type { QueuedEvent, Store } from '../store/types.ts';
import type { Row } from './queue-rows.ts';
import { type Arena, createArena, type Slice } from './writer-arena.ts';
import { type EncodedRow, numberItem } from './writer-batches.ts';
import { claimsOf, type OnClaimed, type RowClaims } from './writer-claims.ts';

/**
 * A row as the cache keeps it: its items, or the body the store made of them
 * (Store.encodeEvents) with its items' message id claims.
 */
export type Cached = Row | (EncodedRow & { claims?: RowClaims });

/** Items the writer keeps in memory at most (see Writer.remember). */
const MAX_CACHED_ITEMS = 50_000;

/**
 * The queue rows this process committed and handed to its writer (Writer.remember), so that a
 * pass need not read back and parse what the process already holds. Bounded: while the store is
 * down the queue grows, the cache does not. Bodies are kept outside V8's heap (writer-arena.ts),
 * so their memory is used again once nothing reads it: a pass takes rows with `hold` and gives
 * them back with `release` when it is done, whether it wrote them or failed.
 */
export interface RowCache {
  /** Keeps a committed row, encoded now (in the caller's turn) when the store encodes. */
  remember(row: Row): void;
  /** The row, held by the caller until it releases it (undefined: not kept). */
  hold(seq: number): Cached | undefined;
  /** Gives back rows `hold` returned, once each. */
  release(rows: Cached[]): void;
  /** The rows kept, by seq. */
  seqs(): number[];
  forget(seq: number): void;
}

/** What the cache knows of a row it handed out: who still reads it. */
interface Entry {
  slice: Slice | undefined;
  holds: number;
  kept: boolean;
}

export function createRowCache(deps: {
  store: Store;
  log: FastifyBaseLogger;
  onClaimed?: OnClaimed;
  arena?: Arena | undefined;
}): RowCache {
  const { store, log } = deps;
  const arena = deps.arena ?? createArena();
  const cache = new Map<number, Cached>();
  const entries = new WeakMap<Cached, Entry>();
  let cachedItems = 0;
  const encodes = Boolean(store.encodeEvents && store.writeEncoded);

  /** A remembered row as the cache keeps it: the store's body for its events when it makes one. */
  function encode(row: Row): { cached: Cached; slice?: Slice } {
    if (!encodes || row.kind === 'sample') return { cached: row };
    const events: QueuedEvent[] = [];
    for (const [index, value] of row.item.entries()) {
      if (!value) return { cached: row };
      numberItem(value, row, index);
      events.push(value as unknown as QueuedEvent);
    }
    try {
      const claims = claimsOf(row.item);
      // What is handed over as ids are taken needs the items themselves.
      if (claims && deps.onClaimed) return { cached: row };
      const text = store.encodeEvents!(events);
      const slice = arena.put(text);
      const cached = {
        seq: row.seq,
        kind: row.kind,
        count: events.length,
        body: slice ? slice.bytes : text,
        ...(claims ? { claims } : {}),
      };
      return slice ? { cached, slice } : { cached };
    } catch (err) {
      // The row is committed: failing its request now would make the client send it again.
      log.warn({ err, seq: row.seq }, 'could not encode a queue row ahead; it is written as is');
      return { cached: row };
    }
  }

  /** Frees the row's bytes once neither the cache nor any pass reads them. */
  function settle(entry: Entry) {
    if (entry.kept || entry.holds > 0 || !entry.slice) return;
    arena.free(entry.slice);
    entry.slice = undefined;
  }

  return {
    remember(row) {
      if (cachedItems + row.item.length > MAX_CACHED_ITEMS) return;
      // Kept once: a second copy would leave the first one's bytes held for good.
      if (cache.has(row.seq)) return;
      const { cached, slice } = encode(row);
      cache.set(row.seq, cached);
      entries.set(cached, { slice, holds: 0, kept: true });
      cachedItems += row.item.length;
    },
    hold(seq) {
      const row = cache.get(seq);
      if (row) entries.get(row)!.holds += 1;
      return row;
    },
    release(rows) {
      for (const row of rows) {
        const entry = entries.get(row);
        if (!entry) continue;
        entry.holds -= 1;
        settle(entry);
      }
    },
    seqs: () => [...cache.keys()],
    forget(seq) {
      const row = cache.get(seq);
      if (!row) return;
      cachedItems -= 'body' in row ? row.count : row.item.length;
      cache.delete(seq);
      const entry = entries.get(row)!;
      entry.kept = false;
      settle(entry);
    },
  };
}
