// The revocation feed: sessions revoked, appended for every verifier to follow (gateway,
// services, other auth replicas), in the order their ids were drawn.
import { and, asc, gt, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { revocations } from '../db/schema.ts';
import { uuidArray } from './repository.ts';

export interface RevocationEntry {
  id: number;
  sessionId: string;
  expiresAt: Date;
}

/**
 * Held to commit by whoever appends to the feed. Followers read it by "id > last seen"; ids come
 * from a sequence, so two concurrent writers could commit 6 before 5 and a follower would skip 5
 * forever. The lock makes ids become visible in order.
 */
export async function lockRevocationFeed(db: Executor): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext('revocation-feed'))`);
}

/** PostgreSQL channel told the newest feed id whenever entries are appended. */
export const FEED_CHANNEL = 'revocation_feed';

/**
 * Appends to the feed and notifies FEED_CHANNEL with the newest id. NOTIFY is transactional: every
 * auth replica LISTENing hears it when the caller's transaction commits, never before, and never
 * if it rolls back.
 */
export async function appendToFeed(
  db: Executor,
  sessionIds: string[],
  expiresAt: Date,
): Promise<RevocationEntry[]> {
  const { rows } = await db.execute<{ id: string; session_id: string; expires_at: Date }>(sql`
    insert into ${revocations} (session_id, expires_at)
    select s, ${expiresAt.toISOString()}::timestamptz
      from unnest(${uuidArray(sessionIds)}::uuid[]) with ordinality as t(s, n)
     order by n
    returning id, session_id, expires_at`);
  const entries = rows.map((row) => ({
    id: Number(row.id),
    sessionId: row.session_id,
    expiresAt: new Date(row.expires_at),
  }));
  if (entries.length > 0) {
    const newest = entries.reduce((n, e) => Math.max(n, e.id), 0);
    await db.execute(sql`select pg_notify(${FEED_CHANNEL}, ${String(newest)})`);
  }
  return entries;
}

/** The newest feed id, expired or not (0 for an empty feed). */
export async function newestRevocationId(db: Executor): Promise<number> {
  const [row] = await db
    .select({ id: sql<number>`coalesce(max(${revocations.id}), 0)::int8` })
    .from(revocations);
  return Number(row?.id ?? 0);
}

/** Unexpired feed entries after `after`, oldest first. */
export function revocationsAfter(db: Executor, after: number, limit: number) {
  return db
    .select()
    .from(revocations)
    .where(and(gt(revocations.id, after), gt(revocations.expiresAt, new Date())))
    .orderBy(asc(revocations.id))
    .limit(limit);
}

export async function pruneRevocations(db: Executor): Promise<number> {
  const { rowCount } = await db.execute(sql`delete from revocations where expires_at < now()`);
  return rowCount ?? 0;
}
