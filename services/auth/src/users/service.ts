import { problems } from '@platform/http';
import type { AuthContext } from '../context.ts';
import { loadUserWithAccess, type UserWithAccess } from './access-repository.ts';

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
