import type { Principal } from '@platform/auth';
import { type FieldError, problems } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import { type AuditClient, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import type { Executor } from '../db/index.ts';
import { problem } from '../errors.ts';
import { describeError } from '../mail/errors.ts';
import { confirmPassword } from '../passwords/reauthenticate.ts';
import { deleteSecondFactor, setMfaEnabled } from '../second-factor/repository.ts';
import { mfaNotEnabled } from '../second-factor/service.ts';
import { publishRevocations, revokeUserSessions } from '../sessions/revocations.ts';
import { requireRecentSignIn } from '../sessions/service.ts';
import { withAccess } from '../users/access-repository.ts';
import { findUserById, lockUser } from '../users/repository.ts';
import { getUser, toUserView } from '../users/service.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import {
  adminIds,
  callerAccess,
  currentRoles,
  existingRoles,
  findUsers,
  lockRoleChanges,
  replaceRoles,
} from './repository.ts';

export async function listUsers(
  ctx: AuthContext,
  query: { q?: string; role?: string; limit: number; cursor?: string },
) {
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const q = query.q?.trim();
  // One row more than asked says whether another page exists without a count query.
  const rows = await findUsers(ctx.db, {
    ...(q ? { q } : {}),
    ...(query.role ? { role: query.role } : {}),
    ...(after ? { after } : {}),
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const items = await withAccess(
    ctx.db,
    page.map((r) => r.user),
  );
  return {
    items: items.map((u) => toUserView(u, ctx.config.PUBLIC_URL)),
    next_cursor:
      rows.length > query.limit && last ? encodeCursor({ at: last.at, id: last.user.id }) : null,
  };
}

/**
 * Replaces the user's roles. Taking any role away revokes every session of the user in the same
 * transaction (published like a logout), so a token carrying the old roles is refused at once;
 * giving roles revokes nothing and shows in their tokens at the next refresh.
 */
export async function setRoles(
  ctx: AuthContext,
  actor: Principal,
  id: string,
  roles: string[],
  client: AuditClient & { log: FastifyBaseLogger },
) {
  const { log } = client;
  // As PostgreSQL reads it (the uuid format takes either case): the last-admin check below
  // compares it with the admins' ids as text, and in upper case the last admin was 'another'.
  const userId = id.toLowerCase();
  // Roles are the keys to everything: a stolen admin token must not make another admin. Who the
  // caller is comes first (401 revoked, 403 forbidden): signing in again would not help them.
  // The check under the lock below is the one that counts.
  await assertMayManageUsers(ctx.db, actor);
  await requireRecentSignIn(
    ctx.db,
    actor.sessionId,
    'Sign in again to change roles: the sign-in is too old.',
  );
  const known = await existingRoles(ctx.db, roles);
  const unknown: FieldError[] = roles.flatMap((role, i) =>
    known.has(role) ? [] : [{ field: `roles.${i}`, message: `"${role}" is not a role` }],
  );
  if (unknown.length > 0) throw problems.badRequest('Some roles do not exist.', unknown);

  const revoked = await ctx.db.transaction(async (tx) => {
    // Role changes take turns, and each checks its caller against the database: a request made
    // with an admin's token while that admin is being demoted runs after the demotion commits,
    // and is refused then, even on a replica that has not heard of the revocation yet.
    await lockRoleChanges(tx);
    await assertMayManageUsers(tx, actor);
    if (!(await lockUser(tx, userId))) throw problems.notFound('The user does not exist.');
    const from = await currentRoles(tx, userId);
    if (from.includes('admin') && !roles.includes('admin')) {
      const admins = await adminIds(tx);
      if (!admins.some((id) => id !== userId)) {
        throw problem('last_admin', 'The last admin cannot lose the admin role.', {
          errors: [{ field: 'roles', message: 'must include admin: this user is the last admin' }],
        });
      }
    }
    await replaceRoles(tx, userId, from, roles);
    const shrunk = from.some((role) => !roles.includes(role));
    const revoked = shrunk
      ? await revokeUserSessions(tx, userId, 'roles reduced', ctx.config.ACCESS_TOKEN_MAX_LIFETIME)
      : [];
    if (shrunk || roles.some((role) => !from.includes(role))) {
      await recordAudit(tx, {
        type: 'roles.changed',
        userId,
        actorId: actor.userId,
        client,
        details: {
          from: [...from].sort(),
          to: [...roles].sort(),
          revoked_sessions: revoked.length,
        },
      });
    }
    return revoked;
  });
  await publishRevocations(ctx.revocations, revoked, log);
  return getUser(ctx, userId);
}

/**
 * For a user who lost both the authenticator and the recovery codes (Keycloak's "remove OTP",
 * Supabase's admin factor deletion): removes the TOTP factor, every recovery code and open
 * sign-in challenge, and signs the user out everywhere in the same transaction, since whoever
 * asked for the reset may not be the owner. The owner is mailed that an administrator did it.
 * The admin's own password comes first, checked and throttled as the user's own sensitive MFA
 * changes check theirs: a stolen admin access token alone must not strip every second factor,
 * nor learn which users exist or have MFA on.
 */
export async function resetMfa(
  ctx: AuthContext,
  actor: Principal,
  userId: string,
  password: string,
  client: AuditClient & { ip: string; log: FastifyBaseLogger },
) {
  const { log } = client;
  await confirmPassword(ctx, actor.userId, password, client, 'mfa.admin_reset');
  const revoked = await ctx.db.transaction(async (tx) => {
    // Takes turns with role changes, so a demotion that commits first is seen here.
    await lockRoleChanges(tx);
    await assertMayManageUsers(tx, actor);
    const user = await lockUser(tx, userId);
    if (!user) throw problems.notFound('The user does not exist.');
    if (!user.mfaEnabled) throw mfaNotEnabled();
    await deleteSecondFactor(tx, userId);
    await setMfaEnabled(tx, userId, false);
    const revoked = await revokeUserSessions(
      tx,
      userId,
      'mfa reset by admin',
      ctx.config.ACCESS_TOKEN_MAX_LIFETIME,
    );
    await recordAudit(tx, {
      type: 'mfa.disabled',
      userId,
      actorId: actor.userId,
      client,
      details: { method: 'totp', reason: 'admin_reset', revoked_sessions: revoked.length },
    });
    return revoked;
  });
  await publishRevocations(ctx.revocations, revoked, log);
  const user = await findUserById(ctx.db, userId);
  if (!user) return;
  try {
    await ctx.mailer.send(
      ctx.templates.mail('mfa-reset-by-admin', user.email, { username: user.username }),
    );
  } catch (error) {
    log.warn(
      { user_id: userId, error: describeError(error), mail: 'mfa-reset-by-admin' },
      'notice mail not sent',
    );
  }
}

/** The caller's session is still live and their roles, as stored now, grant users:manage. */
async function assertMayManageUsers(tx: Executor, actor: Principal) {
  const { live, permissions } = await callerAccess(tx, actor.sessionId, actor.userId);
  if (!live) throw problems.unauthorized();
  if (!permissions.includes('users:manage')) throw problems.forbidden();
}
