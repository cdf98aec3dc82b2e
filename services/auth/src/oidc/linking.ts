import { insertAccount } from '../accounts/service.ts';
import { recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import type { Executor } from '../db/index.ts';
import type { ClientInfo } from '../sessions/service.ts';
import { findUserByEmail, findUserByLogin } from '../users/repository.ts';
import type { Claims } from './claims.ts';
import { findIdentity, insertIdentity, touchIdentity } from './repository.ts';
import { deriveUsername } from './usernames.ts';

export type Resolution =
  | {
      kind: 'signed-in';
      userId: string;
      identityId: string;
      /** Linked now to an account that existed: its owner is told (a way in without a password). */
      linkedToExisting?: true;
    }
  | { kind: 'refused'; error: string; detail: string; userId?: string };

/**
 * The account an identity signs in as: the one it is linked to; else the account with its email,
 * linked now only if the provider asserts the email is verified AND the account verified it too
 * (a provider that does not check emails must not open someone else's account); else a new one,
 * only for an email the provider vouches for: an account made from an unverified email would let
 * whoever claimed that address at a careless provider keep a way into it once its owner takes it
 * over by verifying or resetting (account pre-hijacking).
 */
export async function resolveAccount(
  ctx: AuthContext,
  providerId: string,
  claims: Claims,
  client: ClientInfo,
): Promise<Resolution> {
  const linked = (tx: Executor, userId: string, identityId: string, how: string) =>
    recordAudit(tx, {
      type: 'identity.linked',
      userId,
      actorId: userId,
      client,
      details: { provider: providerId, identity_id: identityId, how },
    });
  const resolve = async (tx: Executor): Promise<Resolution> => {
    const known = await findIdentity(tx, providerId, claims.sub);
    if (known) {
      await touchIdentity(tx, known.id, claims.email ?? null);
      return { kind: 'signed-in', userId: known.userId, identityId: known.id };
    }
    if (!claims.email) {
      return {
        kind: 'refused',
        error: 'email_required',
        detail: 'The provider did not share an email address.',
      };
    }
    const existing = await findUserByEmail(tx, claims.email);
    if (existing) {
      if (!(claims.emailVerified && existing.emailVerified)) {
        return {
          kind: 'refused',
          userId: existing.id,
          error: 'email_in_use',
          detail:
            'An account with this email exists. Sign in to it another way; it is linked once both it and the provider have verified the email.',
        };
      }
      const identity = await insertIdentity(tx, {
        userId: existing.id,
        provider: providerId,
        subject: claims.sub,
        email: claims.email,
      });
      await linked(tx, existing.id, identity.id, 'verified_email');
      return {
        kind: 'signed-in',
        userId: existing.id,
        identityId: identity.id,
        linkedToExisting: true,
      };
    }
    if (!claims.emailVerified) {
      return {
        kind: 'refused',
        error: 'email_not_verified',
        detail: 'The provider has not verified this email address; verify it there, or register.',
      };
    }
    const username = await deriveUsername(claims, async (candidate) =>
      Boolean(await findUserByLogin(tx, candidate)),
    );
    const userId = await insertAccount(tx, {
      email: claims.email,
      username,
      passwordHash: null,
      roles: ['user'],
      emailVerified: true,
    });
    const identity = await insertIdentity(tx, {
      userId,
      provider: providerId,
      subject: claims.sub,
      email: claims.email,
    });
    await linked(tx, userId, identity.id, 'sign_up');
    return { kind: 'signed-in', userId, identityId: identity.id };
  };
  // What this transaction inserts (an account, an identity) may be committed by another meanwhile:
  // a registration of the same address, a sign-up taking the same username, the same person
  // signing in from two tabs. Its insert then fails on the unique index, and the callback was a
  // 500 with the flow spent; run again, it finds the other's row and answers as for it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.db.transaction(resolve);
    } catch (error) {
      if (attempt >= 3 || !isUniqueViolation(error)) throw error;
    }
  }
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } };
  return (e.code ?? e.cause?.code) === '23505';
}
