import { and, eq, gt, isNull, ne } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { AuthContext } from '../context.ts';
import { sessions } from '../db/schema.ts';
import type { Executor } from '../events/outbox.ts';
import { describeError } from '../mail/errors.ts';
import { revokeSessions } from '../sessions/revocations.ts';

type RevocationEntries = Awaited<ReturnType<typeof revokeSessions>>;

/** Revokes the user's live sessions, but `keep` (the one changing its own password). */
export async function revokeUserSessions(
  ctx: AuthContext,
  tx: Executor,
  userId: string,
  reason: string,
  keep?: string,
): Promise<RevocationEntries> {
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

/**
 * Pushes committed revocations to other processes. A failure is only logged: they also poll the
 * database feed, so the revocation still reaches them, just later.
 */
export async function publishRevocations(
  ctx: AuthContext,
  entries: RevocationEntries,
  log: FastifyBaseLogger,
): Promise<void> {
  if (entries.length === 0) return;
  try {
    await ctx.revocations.publish(entries);
  } catch (error) {
    log.warn({ error: describeError(error) }, 'revocations not published');
  }
}
