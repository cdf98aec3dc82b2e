import { and, gt, inArray, isNull, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Executor } from '../db/index.ts';
import { revocations, sessions } from '../db/schema.ts';

export interface RevocationEntry {
  id: number;
  sessionId: string;
  expiresAt: Date;
}

/**
 * Tells other processes that sessions were revoked. The database feed (`/internal/revocations`)
 * always works; with REDIS_URL the ids are also pushed through Redis so verifiers learn at once.
 */
export interface RevocationPublisher {
  /** Never rejects: a failed push is only slower, the feed still carries the entry. */
  publish(entries: RevocationEntry[]): Promise<void>;
  close(): Promise<void>;
}

export const noPublisher: RevocationPublisher = {
  publish: async () => {},
  close: async () => {},
};

/**
 * Marks sessions revoked and appends them to the revocation feed, inside the caller's
 * transaction. Returns the feed entries so the caller can publish them after commit.
 */
export async function revokeSessions(
  db: Executor,
  sessionIds: string[],
  reason: string,
  accessTokenTtl: number,
): Promise<RevocationEntry[]> {
  if (sessionIds.length === 0) return [];
  // Followers read the feed by "id > last seen". Ids come from a sequence, so two concurrent
  // writers could commit 6 before 5 and a follower would skip 5 forever; holding this lock to
  // commit makes ids become visible in order.
  await db.execute(sql`select pg_advisory_xact_lock(hashtext('revocation-feed'))`);
  const revoked = await db
    .update(sessions)
    .set({ revokedAt: new Date(), revokeReason: reason })
    .where(
      and(
        inArray(sessions.id, sessionIds),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, new Date()),
      ),
    )
    .returning({ id: sessions.id });
  if (revoked.length === 0) return [];
  // Access tokens live at most accessTokenTtl (+ clock tolerance); after that the entry is moot.
  const expiresAt = new Date(Date.now() + (accessTokenTtl + 60) * 1000);
  return db
    .insert(revocations)
    .values(revoked.map((s) => ({ sessionId: s.id, expiresAt })))
    .returning({
      id: revocations.id,
      sessionId: revocations.sessionId,
      expiresAt: revocations.expiresAt,
    });
}

/** Call after commit; a publisher that breaks its promise and throws must not fail the request. */
export async function publishRevocations(
  publisher: RevocationPublisher,
  entries: RevocationEntry[],
  log: FastifyBaseLogger,
): Promise<void> {
  if (entries.length === 0) return;
  await publisher.publish(entries).catch((err: unknown) => {
    log.error({ err }, 'publishing revocations failed; followers will read them from the feed');
  });
}
