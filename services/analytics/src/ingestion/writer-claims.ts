import type { Db, Tx } from '../db/index.ts';
import { type Dedup, fingerprintOf } from './dedup.ts';
import { decidedClaims, markHanded, recordClaims } from './queue.ts';
import type { Row } from './queue-rows.ts';
import type { EncodedRow } from './writer-batches.ts';

/**
 * The message id claims of a row's items: their fingerprints end to end (16 hex digits each) and
 * the items they belong to, by index (null: every item, in order). One flat string per row, not an
 * object and a string per item: a row waits in the writer's cache (writer-cache.ts) long enough to
 * survive young-generation collections, and what survives is copied, twice, into the old
 * generation; per item, an object and a 16-character slice of its 64-digit hash (which the slice
 * kept alive) were ~150 bytes of that, as much as the row's line protocol
 * (docs/measurements/analytics-ingestion.md, session 29).
 */
export interface RowClaims {
  fps: string;
  at: number[] | null;
}

const FP = 16;

/** How many items of the row carry a claim. */
export const claimCount = (c: RowClaims) => c.fps.length / FP;
/** The index in its row of the `k`th claim's item. */
export const claimIndex = (c: RowClaims, k: number) => (c.at ? c.at[k]! : k);
/** The `k`th claim's fingerprint. */
export const claimFp = (c: RowClaims, k: number) => c.fps.slice(k * FP, k * FP + FP);

/** The claims of a row's items: those that carry a message id's key (queue.ts QueuedItem). */
export function claimsOf(items: Row['item']): RowClaims | undefined {
  const fps: string[] = [];
  const at: number[] = [];
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index];
    if (item && typeof item.key === 'string') {
      at.push(index);
      fps.push(fingerprintOf(item.key));
    }
  }
  if (fps.length === 0) return undefined;
  // join copies into one flat string; concatenated, it would keep every item's hash alive.
  return { fps: fps.join(''), at: at.length === items.length ? null : at };
}

type Claimable = Row | (EncodedRow & { claims?: RowClaims });

/** Hands over the items that took their id (the destinations), in a transaction of its own. */
export type OnClaimed = (tx: Tx, items: Record<string, unknown>[]) => Promise<void>;

/**
 * Claims the message ids of the rows a pass holds, in one transaction of its own, before any is
 * written, and resolves to each row's items that lost their id to another copy (indexes; empty:
 * none lost). The claims commit on their own, not in the pass's transaction: were they undone
 * with it after the store took the events (a crash, a failed commit), another copy could win the
 * id next and be written too. Committed first, with each row's outcome (`queue_claims`), a row
 * written again — its write failed, its process died — keeps that outcome instead of finding its
 * own ids taken, on whichever replica takes it next. `onClaimed` (the destinations' hand-over)
 * sees each item that took its id once: after the claim's commit, so not under the dedup lock
 * every claim of every replica waits for (5000 deliveries of up to 8 KB each were inserted under
 * it; review), in a transaction that flips the rows' `handed` — a row left unhanded by a crash is
 * handed over by whichever pass holds it next. It needs rows with their items (an encoded row has
 * none).
 */
export async function lostItems(
  db: Db,
  dedup: Dedup,
  rows: Claimable[],
  onClaimed?: OnClaimed,
): Promise<Map<number, number[]>> {
  const lost = new Map<number, number[]>();
  const keyed: { row: Claimable; claims: RowClaims }[] = [];
  for (const row of rows) {
    const claims = 'item' in row ? claimsOf(row.item) : row.claims;
    if (claims) keyed.push({ row, claims });
  }
  if (keyed.length === 0) return lost;
  /** Rows whose items that took their id still wait to be handed over. */
  const unhanded: { row: Row; claims: RowClaims; lost: number[] }[] = [];
  await db.transaction(async (tx) => {
    const decided = await decidedClaims(
      tx,
      keyed.map((k) => k.row.seq),
    );
    const open = keyed.filter((k) => !decided.has(k.row.seq));
    const won = await dedup.claim(
      tx,
      open.flatMap((k) =>
        Array.from({ length: claimCount(k.claims) }, (_, j) => claimFp(k.claims, j)),
      ),
    );
    const outcomes: { seq: number; lost: number[]; handed: boolean }[] = [];
    let at = 0;
    for (const { row, claims } of open) {
      const losers: number[] = [];
      const count = claimCount(claims);
      for (let j = 0; j < count; j += 1) if (!won[at++]) losers.push(claimIndex(claims, j));
      const hands = Boolean(onClaimed) && 'item' in row && losers.length < count;
      outcomes.push({ seq: row.seq, lost: losers, handed: !hands });
    }
    await recordClaims(tx, outcomes);
    const outcome = new Map(outcomes.map((o) => [o.seq, o] as const));
    for (const k of keyed) {
      const o = decided.get(k.row.seq) ?? outcome.get(k.row.seq)!;
      if (o.lost.length) lost.set(k.row.seq, [...o.lost]);
      if (!o.handed && 'item' in k.row)
        unhanded.push({ row: k.row, claims: k.claims, lost: o.lost });
    }
  });
  if (onClaimed && unhanded.length) {
    await db.transaction(async (tx) => {
      const marked = await markHanded(
        tx,
        unhanded.map((u) => u.row.seq),
      );
      const items: Record<string, unknown>[] = [];
      for (const { row, claims, lost: losers } of unhanded) {
        if (!marked.has(row.seq)) continue;
        for (let j = 0; j < claimCount(claims); j += 1) {
          const index = claimIndex(claims, j);
          if (!losers.includes(index)) items.push(row.item[index]!);
        }
      }
      if (items.length) await onClaimed(tx, items);
    });
  }
  return lost;
}
