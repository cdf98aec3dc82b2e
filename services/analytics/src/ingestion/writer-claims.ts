import type { Db, Tx } from '../db/index.ts';
import { type Dedup, fingerprintOf } from './dedup.ts';
import type { EncodedRow, Row } from './writer-batches.ts';

/** An item's claim on its message id: where it sits in its row, its fingerprint, its event id. */
export interface ItemClaim {
  index: number;
  fp: string;
  owner: string;
}

/** The claims of a row's items: those that carry a message id's key (queue.ts QueuedItem). */
export function claimsOf(items: Row['item']): ItemClaim[] {
  const claims: ItemClaim[] = [];
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index];
    if (item && typeof item.key === 'string' && typeof item.id === 'string') {
      claims.push({ index, fp: fingerprintOf(item.key), owner: item.id });
    }
  }
  return claims;
}

type Claimable = Row | (EncodedRow & { claims?: ItemClaim[] });

/** Runs in the transaction of a pass's claims with the items that took their id now. */
export type OnClaimed = (tx: Tx, items: Record<string, unknown>[]) => Promise<void>;

/**
 * Claims the message ids of the rows a pass holds, in one transaction of its own, before any is
 * written, and resolves to each row's items that lost their id to another copy (indexes; empty:
 * none lost). The claims commit on their own, not in the pass's transaction: were they undone
 * with it after the store took the events (a crash, a failed commit), another copy could win the
 * id next and be written too. Committed first, the id stays with the event that claimed it,
 * however often that event's write is tried again (dedup.ts). `onClaimed` (the destinations'
 * hand-over) sees each item once: when its id is taken, not when its owner tries again; it needs
 * rows with their items (an encoded row has none).
 */
export async function lostItems(
  db: Db,
  dedup: Dedup,
  rows: Claimable[],
  onClaimed?: OnClaimed,
): Promise<Map<number, number[]>> {
  const lost = new Map<number, number[]>();
  const claims = rows.map((row) => ('item' in row ? claimsOf(row.item) : (row.claims ?? [])));
  const all = claims.flat();
  if (all.length === 0) return lost;
  const { won } = await db.transaction(async (tx) => {
    const outcome = await dedup.claim(tx, all);
    if (onClaimed && outcome.fresh.length) {
      const items = rows.flatMap((row, i) =>
        'item' in row
          ? claims[i]!.map((c) => row.item[c.index] ?? null)
          : claims[i]!.map(() => null),
      );
      const taken = outcome.fresh.map((k) => items[k]).filter((item) => item != null);
      if (taken.length) await onClaimed(tx, taken);
    }
    return outcome;
  });
  if (won.every(Boolean)) return lost;
  let at = 0;
  for (const [i, row] of rows.entries()) {
    const indexes: number[] = [];
    for (const c of claims[i]!) if (!won[at++]) indexes.push(c.index);
    if (indexes.length) lost.set(row.seq, indexes);
  }
  return lost;
}
