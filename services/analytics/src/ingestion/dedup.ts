import { lt, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import { messageIds } from '../db/schema.ts';

/**
 * Claims message ids in the dedup index (`message_ids`, kept DEDUP_DAYS), in the transaction
 * that queues their events: resolves to the ids claimed now, i.e. not seen before. PostgreSQL's
 * unique index decides, so it holds across restarts, replicas and both stores (InfluxDB cannot
 * refuse a duplicate itself); a concurrent claim of the same id waits for the first to commit or
 * roll back. The key is 128 bits of each id's SHA-256 as a uuid, computed by PostgreSQL (in C, a
 * third of what hashing in Node cost per event); claimed in key order, so two transactions
 * sharing ids never deadlock. The answer is one text of the positions claimed.
 */
export async function claimIds(tx: Tx, ids: string[]): Promise<Set<string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Set();
  const { rows } = await tx.execute<{ claimed: string | null }>(sql`
    with input as (
      select i, encode(substring(sha256(convert_to(k, 'UTF8')) for 16), 'hex')::uuid as h
      from jsonb_array_elements_text(${JSON.stringify(unique)}::jsonb) with ordinality as x(k, i)
    ), claimed as (
      insert into message_ids (hash) select h from input order by h
      on conflict do nothing
      returning hash
    )
    select string_agg(i::text, ',') as claimed from input join claimed on claimed.hash = input.h`);
  const positions = rows[0]?.claimed;
  if (!positions) return new Set();
  return new Set(positions.split(',').map((i) => unique[Number(i) - 1]!));
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
