import { and, gt, inArray, isNull } from 'drizzle-orm';
import { revocations, sessions } from '../db/schema.ts';
import type { Executor } from '../events/outbox.ts';

/**
 * Tells other processes that sessions were revoked. The database feed (`/internal/revocations`)
 * always works; with REDIS_URL the ids are also pushed through Redis so verifiers learn at once.
 */
export interface RevocationPublisher {
  publish(entries: { id: number; sessionId: string; expiresAt: Date }[]): Promise<void>;
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
) {
  if (sessionIds.length === 0) return [];
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
