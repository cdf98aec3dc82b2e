import type { Principal } from '@platform/auth';
import { problems } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import { type AuditClient, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { liveSessions, ownsLiveSession } from './repository.ts';
import { publishRevocations, revokeSessions } from './revocations.ts';

/**
 * The caller's live sessions. `last_used_at` is the sign-in or the last refresh: access tokens are
 * checked by every service without asking auth, so their use is not seen here (it is at most one
 * access-token lifetime behind). Writing on every request would cost a write per API call.
 */
export async function listSessions(ctx: AuthContext, principal: Principal) {
  const rows = await liveSessions(ctx.db, principal.userId);
  return {
    items: rows.map((s) => ({
      id: s.id,
      created_at: s.createdAt.toISOString(),
      last_used_at: s.lastUsedAt.toISOString(),
      ip: s.ip,
      user_agent: s.userAgent,
      current: s.id === principal.sessionId,
    })),
  };
}

/**
 * Ends one of the caller's sessions, as a logout from that device would. Someone else's session,
 * an ended one and an unknown id all get the same 404: ids say nothing about other users.
 */
export async function endSession(
  ctx: AuthContext,
  principal: Principal,
  sessionId: string,
  client: AuditClient & { log: FastifyBaseLogger },
) {
  const entries = await ctx.db.transaction(async (tx) => {
    if (!(await ownsLiveSession(tx, principal.userId, sessionId))) {
      throw problems.notFound('No such session.');
    }
    const revoked = await revokeSessions(
      tx,
      [sessionId],
      'ended by user',
      ctx.config.ACCESS_TOKEN_TTL,
    );
    // Two requests ending the same session: only the one that revoked it records it.
    if (revoked.length === 0) throw problems.notFound('No such session.');
    await recordAudit(tx, {
      type: 'session.revoked',
      userId: principal.userId,
      actorId: principal.userId,
      client,
      details: { session_id: sessionId, current: sessionId === principal.sessionId },
    });
    return revoked;
  });
  await publishRevocations(ctx.revocations, entries, client.log);
}
