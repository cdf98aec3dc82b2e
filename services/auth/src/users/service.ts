import { problems } from '@platform/http';
import type { AuthContext } from '../context.ts';
import type { Tx } from '../db/index.ts';
import { loadUserWithAccess, type UserWithAccess } from './access-repository.ts';
import { signInMethods } from './methods-repository.ts';
import { lockUser } from './repository.ts';

export async function getUser(ctx: AuthContext, userId: string) {
  const found = await loadUserWithAccess(ctx.db, userId);
  if (!found) throw problems.notFound('The user does not exist.');
  return toUserView(found, ctx.config.PUBLIC_URL);
}

/** The public shape of a user; never includes the password hash. */
export function toUserView({ user, roles, permissions }: UserWithAccess, publicUrl: string) {
  return {
    id: user.id,
    email: user.email,
    email_verified: user.emailVerified,
    pending_email: user.pendingEmail,
    username: user.username,
    display_name: user.displayName,
    bio: user.bio,
    avatar_url: user.avatarEtag
      ? `${publicUrl}/accounts/v1/users/${user.id}/avatar?v=${user.avatarEtag}`
      : null,
    roles,
    permissions,
    mfa_enabled: user.mfaEnabled,
    created_at: user.createdAt.toISOString(),
  };
}

/**
 * Removes one of the user's ways to sign in (a passkey, a linked identity) in a transaction that
 * locks the user first, so two removals at once cannot each leave only the other: one that is not
 * the user's is not found, the last way left is refused with `last()`, and the removal is audited
 * in the same transaction.
 */
export async function removeSignInMethod<T>(
  ctx: AuthContext,
  userId: string,
  how: {
    /** Checked under the user's lock, before anything is read (the caller's sign-in age). */
    allowed(tx: Tx): Promise<void>;
    remove(tx: Tx): Promise<T | undefined>;
    notFound: string;
    last(): Error;
    audit(tx: Tx, removed: T): Promise<void>;
  },
): Promise<T> {
  return ctx.db.transaction(async (tx) => {
    await lockUser(tx, userId);
    await how.allowed(tx);
    const methods = await signInMethods(tx, userId);
    const removed = await how.remove(tx);
    if (!removed) throw problems.notFound(how.notFound);
    if (!methods || methods.total <= 1) throw how.last();
    await how.audit(tx, removed);
    return removed;
  });
}
