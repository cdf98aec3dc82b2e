import { problems } from '@platform/http';
import { eq } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { spendOutstandingTokens } from '../accounts/one-time-tokens.ts';
import { sendEmailVerification } from '../accounts/verification.ts';
import type { AuthContext } from '../context.ts';
import { users } from '../db/schema.ts';
import {
  conflictingField,
  loadUserWithAccess,
  rolesAndPermissions,
  toUserView,
} from './repository.ts';

export async function getUser(ctx: AuthContext, userId: string) {
  const found = await loadUserWithAccess(ctx.db, userId);
  if (!found) throw problems.notFound('The user does not exist.');
  return toUserView(found, ctx.config.PUBLIC_URL);
}

export interface ProfileChanges {
  username?: string;
  email?: string;
  display_name?: string | null;
  bio?: string | null;
}

/** Blank text means "not set": storing whitespace would show an empty name. */
const textOrNull = (value: string | null) => (value?.trim() ? value.trim() : null);

export async function updateUser(
  ctx: AuthContext,
  userId: string,
  changes: ProfileChanges,
  log: FastifyBaseLogger,
) {
  // Unknown properties are stripped by validation, so a body of only those arrives empty here.
  if (Object.keys(changes).length === 0) {
    throw problems.badRequest('Give at least one of username, email, display_name or bio.');
  }
  const { user, emailChanged } = await ctx.db
    .transaction(async (tx) => {
      const [current] = await tx
        .select()
        .from(users)
        .where(eq(users.id, userId))
        .for('no key update');
      if (!current) throw problems.notFound('The user does not exist.');
      // Another spelling of the same address (case) keeps the proof of ownership.
      const emailChanged =
        changes.email !== undefined && changes.email.toLowerCase() !== current.email.toLowerCase();
      const [updated] = await tx
        .update(users)
        .set({
          ...(changes.username !== undefined ? { username: changes.username } : {}),
          ...(changes.email !== undefined ? { email: changes.email } : {}),
          ...(emailChanged ? { emailVerified: false } : {}),
          ...(changes.display_name !== undefined
            ? { displayName: textOrNull(changes.display_name) }
            : {}),
          ...(changes.bio !== undefined ? { bio: textOrNull(changes.bio) } : {}),
          updatedAt: new Date(),
        })
        .where(eq(users.id, userId))
        .returning();
      // A link mailed to an earlier address would come back to life if the user returned to it.
      if (emailChanged) await spendOutstandingTokens(tx, userId, 'verify-email');
      return { user: updated!, emailChanged };
    })
    .catch((error: unknown) => {
      const field = conflictingField(error);
      if (field) {
        throw problems.conflict(`That ${field} is already taken.`, [
          { field, message: 'is already taken' },
        ]);
      }
      throw error;
    });
  if (emailChanged) {
    // After commit: the profile change stands even when the mail cannot be sent; the user can
    // ask for another verification later.
    try {
      await sendEmailVerification(ctx, ctx.db, user);
    } catch (error) {
      // Only the error's kind: mail errors may quote the address or the message with its token.
      const { name, code } = error as { name?: string; code?: string };
      log.warn({ user_id: user.id, error: { name, code } }, 'verification mail not sent');
    }
  }
  return toUserView(
    { user, ...(await rolesAndPermissions(ctx.db, userId)) },
    ctx.config.PUBLIC_URL,
  );
}
