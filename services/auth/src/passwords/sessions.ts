import { and, eq, gt, isNull, ne } from 'drizzle-orm';
import type { AuthContext } from '../context.ts';
import type { Executor } from '../db/index.ts';
import { sessions } from '../db/schema.ts';
import { type RevocationEntry, revokeSessions } from '../sessions/revocations.ts';

/**
 * Revokes the user's live sessions but `keep` (the one changing its own password), inside the
 * caller's transaction; publish the returned entries after commit.
 */
export async function revokeUserSessions(
  ctx: AuthContext,
  tx: Executor,
  userId: string,
  reason: string,
  keep?: string,
): Promise<RevocationEntry[]> {
  const live = await tx
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, new Date()),
        keep ? ne(sessions.id, keep) : undefined,
      ),
    );
  return revokeSessions(
    tx,
    live.map((s) => s.id),
    reason,
    ctx.config.ACCESS_TOKEN_TTL,
  );
}
