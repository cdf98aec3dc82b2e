import type { Db } from '../db/index.ts';
import { claimForWriter } from './dedup.ts';
import type { EncodedRow, Row } from './writer-batches.ts';

/** An item's claim on its message id: where it sits in its row, its key, its event id. */
export interface ItemClaim {
  index: number;
  key: string;
  owner: string;
}

/** The claims of a row's items: those that carry a message id's key (queue.ts QueuedItem). */
export function claimsOf(items: Row['item']): ItemClaim[] {
  const claims: ItemClaim[] = [];
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index];
    if (item && typeof item.key === 'string' && typeof item.id === 'string') {
      claims.push({ index, key: item.key, owner: item.id });
    }
  }
  return claims;
}

type Claimable = Row | (EncodedRow & { claims?: ItemClaim[] });

/**
 * Claims the message ids of the rows a pass holds, in one statement, before any is written, and
 * resolves to each row's items that lost their id to another copy (indexes; empty: none lost).
 * The claims commit on their own, not in the pass's transaction: were they undone with it after
 * the store took the events (a crash, a failed commit), another copy could win the id next and be
 * written too. Committed first, the id stays with the event that claimed it, however often that
 * event's write is tried again (dedup.ts claimForWriter).
 */
export async function lostItems(db: Db, rows: Claimable[]): Promise<Map<number, number[]>> {
  const lost = new Map<number, number[]>();
  const claims = rows.map((row) => ('item' in row ? claimsOf(row.item) : (row.claims ?? [])));
  const all = claims.flat();
  if (all.length === 0) return lost;
  const losers = await claimForWriter(db, all);
  if (losers.size === 0) return lost;
  for (const [i, row] of rows.entries()) {
    const indexes = claims[i]!.filter((c) => losers.has(c.owner)).map((c) => c.index);
    if (indexes.length) lost.set(row.seq, indexes);
  }
  return lost;
}
