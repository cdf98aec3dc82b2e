import type { FastifyBaseLogger } from 'fastify';
import { type AuditClient, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { problem } from '../errors.ts';
import { deleteChallengesOfIdentity } from '../second-factor/repository.ts';
import {
  publishRevocations,
  type RevocationEntry,
  revokeSessionsOpenedBy,
} from '../sessions/revocations.ts';
import { requireRecentSignIn } from '../sessions/service.ts';
import { removeSignInMethod } from '../users/service.ts';
import {
  deleteIdentity,
  deletePendingLinkCodes,
  type IdentityRow,
  listIdentities,
} from './repository.ts';
import type { OidcDeps } from './service.ts';

/** 409: removing it would leave the account with no way to sign in. */
export const lastSignInMethod = () =>
  problem(
    'last_sign_in_method',
    'This is the last way to sign in to the account; add a password, passkey or another provider first.',
  );

export function toIdentityView(row: IdentityRow, deps: OidcDeps) {
  return {
    id: row.id,
    provider: row.provider,
    provider_name: deps.providers.get(row.provider)?.name ?? row.provider,
    email: row.email,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
  };
}

export async function identitiesOf(ctx: AuthContext, deps: OidcDeps, userId: string) {
  const rows = await listIdentities(ctx.db, userId);
  return { items: rows.map((row) => toIdentityView(row, deps)) };
}

/**
 * Unlinks one of the caller's identities; someone else's is not found. Needs a recent sign-in,
 * as removing a passkey does, and, as that does, ends the sessions the identity opened (all but
 * the caller's): a provider account taken over is signed out with it.
 */
export async function unlinkIdentity(
  ctx: AuthContext,
  principal: { userId: string; sessionId: string },
  id: string,
  client: AuditClient & { log: FastifyBaseLogger },
) {
  const { userId } = principal;
  let revoked: RevocationEntry[] = [];
  const removed = await removeSignInMethod(ctx, userId, {
    allowed: (tx) =>
      requireRecentSignIn(tx, principal.sessionId, 'Sign in again to unlink a provider.'),
    remove: (tx) => deleteIdentity(tx, userId, id),
    notFound: 'No such identity.',
    last: lastSignInMethod,
    audit: async (tx, removed) => {
      // Its sign-ins waiting for a code too: one finished after the unlink opened a session no
      // later unlink could find. And those begun before it was linked, which carry the link
      // itself: finished, they put back what the owner just removed.
      await deleteChallengesOfIdentity(tx, userId, removed);
      await deletePendingLinkCodes(tx, userId, removed);
      revoked = await revokeSessionsOpenedBy(
        tx,
        userId,
        { identityId: removed.id },
        ctx.config.ACCESS_TOKEN_MAX_LIFETIME,
        principal.sessionId,
      );
      await recordAudit(tx, {
        type: 'identity.unlinked',
        userId,
        actorId: userId,
        client,
        details: {
          provider: removed.provider,
          identity_id: removed.id,
          revoked_sessions: revoked.length,
        },
      });
    },
  });
  await publishRevocations(ctx.revocations, revoked, client.log);
  return removed;
}
