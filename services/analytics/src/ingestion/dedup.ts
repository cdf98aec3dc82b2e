import { sql } from 'drizzle-orm';
import type { Tx } from '../db/index.ts';

/**
 * Claims message ids in the dedup index (`received_ids`, kept DEDUP_DAYS), in the transaction
 * that queues their events: resolves to the ids claimed now, i.e. not seen before. PostgreSQL's
 * unique index decides, so it holds across restarts, replicas and both stores (InfluxDB cannot
 * refuse a duplicate itself); a concurrent claim of the same id waits for the first to commit or
 * roll back. Claimed in sorted order, so two requests sharing ids never deadlock.
 */
export async function claimIds(tx: Tx, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const sorted = [...new Set(ids)].sort();
  const { rows } = await tx.execute<{ id: string }>(sql`
    insert into received_ids (id)
    select id from jsonb_array_elements_text(${JSON.stringify(sorted)}::jsonb) as x(id)
    order by id
    on conflict do nothing
    returning id`);
  return new Set(rows.map((r) => r.id));
}

/** The dedup key of a write-key message: one namespace for every key (rotating keeps it). */
export const segmentKey = (messageId: string) => `segment:${messageId}`;

/**
 * The dedup key of a `/track-event` item's `message_id`: per sender, so nobody can claim the id
 * of someone else's event and have it dropped.
 */
export const clientKey = (userId: string | null, anonymousId: string | null, messageId: string) =>
  `client:${userId ? `u:${userId}` : anonymousId ? `a:${anonymousId}` : '-'}:${messageId}`;
