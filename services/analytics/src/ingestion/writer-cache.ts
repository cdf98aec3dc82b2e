import type { FastifyBaseLogger } from 'fastify';
import type { QueuedEvent, Store } from '../store/types.ts';
import type { Row } from './queue-rows.ts';
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
 * down the queue grows, the cache does not.
 */
export interface RowCache {
  /** Keeps a committed row, encoded now (in the caller's turn) when the store encodes. */
  remember(row: Row): void;
  get(seq: number): Cached | undefined;
  /** The rows kept, by seq. */
  seqs(): number[];
  forget(seq: number): void;
}

export function createRowCache(deps: {
  store: Store;
  log: FastifyBaseLogger;
  onClaimed?: OnClaimed;
}): RowCache {
  const { store, log } = deps;
  const cache = new Map<number, Cached>();
  let cachedItems = 0;
  const encodes = Boolean(store.encodeEvents && store.writeEncoded);

  /** A remembered row as the cache keeps it: the store's body for its events when it makes one. */
  function encode(row: Row): Cached {
    if (!encodes || row.kind === 'sample') return row;
    const events: QueuedEvent[] = [];
    for (const [index, value] of row.item.entries()) {
      if (!value) return row;
      numberItem(value, row, index);
      events.push(value as unknown as QueuedEvent);
    }
    try {
      const claims = claimsOf(row.item);
      // What is handed over as ids are taken needs the items themselves.
      if (claims && deps.onClaimed) return row;
      return {
        seq: row.seq,
        kind: row.kind,
        count: events.length,
        body: store.encodeEvents!(events),
        ...(claims ? { claims } : {}),
      };
    } catch (err) {
      // The row is committed: failing its request now would make the client send it again.
      log.warn({ err, seq: row.seq }, 'could not encode a queue row ahead; it is written as is');
      return row;
    }
  }

  return {
    remember(row) {
      if (cachedItems + row.item.length > MAX_CACHED_ITEMS) return;
      cache.set(row.seq, encode(row));
      cachedItems += row.item.length;
    },
    get: (seq) => cache.get(seq),
    seqs: () => [...cache.keys()],
    forget(seq) {
      const row = cache.get(seq);
      if (row) cachedItems -= 'body' in row ? row.count : row.item.length;
      cache.delete(seq);
    },
  };
}
