import { createHash } from 'node:crypto';
import { lt, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import { messageIds } from '../db/schema.ts';

/** 128 bits of the SHA-256 of a namespaced id, as a uuid: the dedup index's key. */
function hashOf(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Claims message ids in the dedup index (`message_ids`, kept DEDUP_DAYS), in the transaction
 * that queues their events: resolves to the ids claimed now, i.e. not seen before. PostgreSQL's
 * unique index decides, so it holds across restarts, replicas and both stores (InfluxDB cannot
 * refuse a duplicate itself); a concurrent claim of the same id waits for the first to commit or
 * roll back. Claimed in sorted order, so two transactions sharing ids never deadlock.
 */
export async function claimIds(tx: Tx, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const byHash = new Map<string, string>();
  for (const id of ids) byHash.set(hashOf(id), id);
  const hashes = [...byHash.keys()].sort();
  const { rows } = await tx.execute<{ hash: string }>(sql`
    insert into message_ids (hash)
    select h from unnest(${`{${hashes.join(',')}}`}::uuid[]) as x(h)
    order by h
    on conflict do nothing
    returning hash`);
  return new Set(rows.map((r) => byHash.get(r.hash)!));
}

/** Forgets ids received before `before` (DEDUP_DAYS). */
export async function pruneMessageIds(db: Db, before: Date) {
  await db.delete(messageIds).where(lt(messageIds.receivedAt, before));
}

/** The dedup key of a write-key message: one namespace for every key (rotating keeps it). */
export const segmentKey = (messageId: string) => `segment:${messageId}`;

/**
 * The dedup key of a `/track-event` item's `message_id`: per sender, so nobody can claim the id
 * of someone else's event and have it dropped.
 */
export const clientKey = (userId: string | null, anonymousId: string | null, messageId: string) =>
  `client:${userId ? `u:${userId}` : anonymousId ? `a:${anonymousId}` : '-'}:${messageId}`;
