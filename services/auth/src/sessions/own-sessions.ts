import type { Principal } from '@platform/auth';
import { problems } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import { type AuditClient, recordAudit, recordAudits } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { lockUser } from '../users/repository.ts';
import { liveSessions, ownsLiveSession } from './repository.ts';
import { publishRevocations, revokeSessions, revokeUserSessions } from './revocations.ts';
import { requireLiveSession } from './service.ts';

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
  id: string,
  client: AuditClient & { log: FastifyBaseLogger },
) {
  // As PostgreSQL reads it (the uuid format takes either case): compared with the token's
  // session id and written into the audit event as every other id is.
  const sessionId = id.toLowerCase();
  const entries = await ctx.db.transaction(async (tx) => {
    if (!(await ownsLiveSession(tx, principal.userId, sessionId))) {
      throw problems.notFound('No such session.');
    }
    const revoked = await revokeSessions(
      tx,
      [sessionId],
      'ended by user',
      ctx.config.ACCESS_TOKEN_MAX_LIFETIME,
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

/**
 * Ends every session of the caller but the one asking ("sign out other devices": Supabase's
 * `signOut({scope: 'others'})`, better-auth's `revokeOtherSessions`, Keycloak's account console),
 * each as `endSession` would, one `session.revoked` apiece. Under the user's row lock, as every
 * other revocation of a user's sessions: a sign-in racing it either opens its session first and
 * is ended, or opens it after, as a sign-in after the click would.
 */
export async function endOtherSessions(
  ctx: AuthContext,
  principal: Principal,
  client: AuditClient & { log: FastifyBaseLogger },
) {
  const entries = await ctx.db.transaction(async (tx) => {
    await lockUser(tx, principal.userId);
    // Signed out meanwhile (another device ended this one first): nothing to keep.
    await requireLiveSession(tx, principal.sessionId);
    const revoked = await revokeUserSessions(
      tx,
      principal.userId,
      'ended by user',
      ctx.config.ACCESS_TOKEN_MAX_LIFETIME,
      principal.sessionId,
    );
    await recordAudits(
      tx,
      revoked.map((entry) => ({
        type: 'session.revoked' as const,
        userId: principal.userId,
        actorId: principal.userId,
        client,
        details: { session_id: entry.sessionId, current: false, scope: 'others' },
      })),
    );
    return revoked;
  });
  await publishRevocations(ctx.revocations, entries, client.log);
}
