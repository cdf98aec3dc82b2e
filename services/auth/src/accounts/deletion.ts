import { problems } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import { adminIds, currentRoles, lockRoleChanges } from '../admin/repository.ts';
import { type AuditClient, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { problem } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { confirmPassword } from '../passwords/reauthenticate.ts';
import { deleteRefreshTokensOf } from '../sessions/repository.ts';
import { publishRevocations, revokeUserSessions } from '../sessions/revocations.ts';
import { requireLiveSession } from '../sessions/service.ts';
import { deleteUser, lockUser } from '../users/repository.ts';

/**
 * Deletes the signed-in user's account once the current password confirms it (wrong ones count
 * as failed sign-ins). One transaction revokes every session (onto the revocation feed first: the
 * session rows go with the user), deletes the user row, whose foreign keys take roles, avatar,
 * sessions, refresh and one-time tokens with it, and writes `account.deleted` to the audit log and
 * `user.deleted` to the outbox, from which main deletes the user's posts and analytics unlinks
 * their events. Email and username are free again at commit. The audit log keeps the user's id.
 */
export async function deleteAccount(
  ctx: AuthContext,
  { userId, sessionId }: { userId: string; sessionId: string },
  password: string,
  client: AuditClient & { ip: string; log: FastifyBaseLogger },
): Promise<void> {
  await confirmPassword(ctx, userId, password, client);
  const revoked = await ctx.db.transaction(async (tx) => {
    // Role changes and deletions take turns, so two admins cannot both go and leave none.
    await lockRoleChanges(tx);
    if (!(await lockUser(tx, userId))) throw problems.unauthorized();
    // The password was checked before the lock: a reset that committed meanwhile revoked this
    // session, and what it signed out must not delete the account the reset gave back.
    await requireLiveSession(tx, sessionId);
    if ((await currentRoles(tx, userId)).includes('admin')) {
      if (!(await adminIds(tx)).some((id) => id !== userId)) {
        throw problem(
          'last_admin',
          'The last admin cannot delete their account; make another user admin first.',
        );
      }
    }
    // Before the sessions, in the order a refresh locks them (deleteRefreshTokensOf says why).
    await deleteRefreshTokensOf(tx, userId);
    const entries = await revokeUserSessions(
      tx,
      userId,
      'account deleted',
      ctx.config.ACCESS_TOKEN_MAX_LIFETIME,
    );
    await deleteUser(tx, userId);
    await recordAudit(tx, {
      type: 'account.deleted',
      userId,
      actorId: userId,
      client,
      details: { revoked_sessions: entries.length },
    });
    await recordEvent(tx, 'user.deleted', { user_id: userId });
    return entries;
  });
  await publishRevocations(ctx.revocations, revoked, client.log);
  client.log.info({ user_id: userId }, 'account deleted');
}
