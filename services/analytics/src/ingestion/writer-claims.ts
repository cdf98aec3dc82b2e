import type { Db, Tx } from '../db/index.ts';
import { type Dedup, fingerprintOf } from './dedup.ts';
import { decidedClaims, recordClaims } from './queue.ts';
import type { EncodedRow, Row } from './writer-batches.ts';

/** An item's claim on its message id: where it sits in its row, and its fingerprint. */
export interface ItemClaim {
  index: number;
  fp: string;
}

/** The claims of a row's items: those that carry a message id's key (queue.ts QueuedItem). */
export function claimsOf(items: Row['item']): ItemClaim[] {
  const claims: ItemClaim[] = [];
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index];
    if (item && typeof item.key === 'string') {
      claims.push({ index, fp: fingerprintOf(item.key) });
    }
  }
  return claims;
}

type Claimable = Row | (EncodedRow & { claims?: ItemClaim[] });

/** Runs in the transaction of a pass's claims with the items that took their id. */
export type OnClaimed = (tx: Tx, items: Record<string, unknown>[]) => Promise<void>;

/**
 * Claims the message ids of the rows a pass holds, in one transaction of its own, before any is
 * written, and resolves to each row's items that lost their id to another copy (indexes; empty:
 * none lost). The claims commit on their own, not in the pass's transaction: were they undone
 * with it after the store took the events (a crash, a failed commit), another copy could win the
 * id next and be written too. Committed first, with each row's outcome (`queue_claims`), a row
 * written again — its write failed, its process died — keeps that outcome instead of finding its
 * own ids taken, on whichever replica takes it next. `onClaimed` (the destinations' hand-over)
 * sees each item once, when its id is taken; it needs rows with their items (an encoded row has
 * none).
 */
export async function lostItems(
  db: Db,
  dedup: Dedup,
  rows: Claimable[],
  onClaimed?: OnClaimed,
): Promise<Map<number, number[]>> {
  const lost = new Map<number, number[]>();
  const keyed: { row: Claimable; claims: ItemClaim[] }[] = [];
  for (const row of rows) {
    const claims = 'item' in row ? claimsOf(row.item) : (row.claims ?? []);
    if (claims.length) keyed.push({ row, claims });
  }
  if (keyed.length === 0) return lost;
  await db.transaction(async (tx) => {
    const decided = await decidedClaims(
      tx,
      keyed.map((k) => k.row.seq),
    );
    const open = keyed.filter((k) => !decided.has(k.row.seq));
    const won = await dedup.claim(
      tx,
      open.flatMap((k) => k.claims.map((c) => c.fp)),
    );
    const outcomes: { seq: number; lost: number[] }[] = [];
    const taken: Record<string, unknown>[] = [];
    let at = 0;
    for (const { row, claims } of open) {
      const losers: number[] = [];
      for (const c of claims) {
        if (!won[at++]) losers.push(c.index);
        else if (onClaimed && 'item' in row) taken.push(row.item[c.index]!);
      }
      outcomes.push({ seq: row.seq, lost: losers });
    }
    await recordClaims(tx, outcomes);
    if (onClaimed && taken.length) await onClaimed(tx, taken);
    for (const d of [...decided.entries(), ...outcomes.map((o) => [o.seq, o.lost] as const)]) {
      if (d[1].length) lost.set(d[0], [...d[1]]);
    }
  });
  return lost;
}
