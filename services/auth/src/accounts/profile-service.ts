import { problems } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import { recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { problem } from '../errors.ts';
import { confirmPassword } from '../passwords/reauthenticate.ts';
import { requireLiveSession } from '../sessions/service.ts';
import { rolesAndPermissions } from '../users/access-repository.ts';
import { conflictingField, lockUser, updateProfile } from '../users/repository.ts';
import { toUserView } from '../users/service.ts';
import { assertEmailChangeAllowed, stageEmailChange } from './email-change.ts';
import { sendMails } from './mails.ts';

export interface ProfileChanges {
  username?: string;
  email?: string;
  current_password?: string;
  display_name?: string | null;
  bio?: string | null;
}

/** Blank text means "not set": storing whitespace would show an empty name. */
const textOrNull = (value: string | null) => (value?.trim() ? value.trim() : null);

/**
 * Changes the profile. An email change needs the current password and only becomes pending (see
 * email-change.ts): a stolen access token must not be enough to move the account elsewhere.
 */
export async function updateUser(
  ctx: AuthContext,
  { userId, sessionId }: { userId: string; sessionId: string },
  { current_password: password, ...changes }: ProfileChanges,
  client: { ip: string; userAgent?: string | undefined; log: FastifyBaseLogger },
) {
  // Unknown properties are stripped by validation, so a body of only those arrives empty here.
  if (Object.keys(changes).length === 0) {
    throw problems.badRequest('Give at least one of username, email, display_name or bio.', [
      { field: '(root)', message: 'must have one of username, email, display_name or bio' },
    ]);
  }
  if (changes.email !== undefined) {
    if (password === undefined) {
      throw problems.badRequest('Changing the email needs the current password.', [
        { field: 'current_password', message: 'is required to change the email' },
      ]);
    }
    await assertEmailChangeAllowed(ctx, userId);
    await confirmPassword(ctx, userId, password, client);
  }
  const { user, mails } = await ctx.db
    .transaction(async (tx) => {
      const current = await lockUser(tx, userId);
      if (!current) throw problems.notFound('The user does not exist.');
      // The password was checked before the lock: a reset that committed meanwhile revoked this
      // session, and what it signed out must not stage its own address on the account.
      await requireLiveSession(tx, sessionId);
      const email =
        changes.email === undefined
          ? undefined
          : await stageEmailChange(ctx, tx, current, changes.email);
      const updated = await updateProfile(tx, userId, {
        ...(changes.username !== undefined ? { username: changes.username } : {}),
        ...email?.columns,
        ...(changes.display_name !== undefined
          ? { displayName: textOrNull(changes.display_name) }
          : {}),
        ...(changes.bio !== undefined ? { bio: textOrNull(changes.bio) } : {}),
      });
      if (email?.columns.pendingEmail) {
        // No addresses in details: the row outlives the account, and whether the new address
        // belongs to another account must not show in the user's own log either.
        await recordAudit(tx, {
          type: 'email.change_requested',
          userId,
          actorId: userId,
          client,
          details: {},
        });
      }
      return { user: updated!, mails: email?.mails ?? [] };
    })
    .catch((error: unknown) => {
      // Only the username can clash here: a new email is pending, and checked at confirmation.
      const field = conflictingField(error);
      if (field) {
        throw problem(`${field}_taken`, `That ${field} is already taken.`, {
          errors: [{ field, message: 'is already taken' }],
        });
      }
      throw error;
    });
  // After commit: the change stands even when a mail cannot be sent.
  await sendMails(ctx, mails, client.log);
  return toUserView(
    { user, ...(await rolesAndPermissions(ctx.db, userId)) },
    ctx.config.PUBLIC_URL,
  );
}
