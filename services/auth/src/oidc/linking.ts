import { insertAccount } from '../accounts/service.ts';
import { recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import type { Executor } from '../db/index.ts';
import type { PendingLink } from '../second-factor/service.ts';
import type { ClientInfo } from '../sessions/service.ts';
import { findUserByEmail, findUserByLogin, lockUser } from '../users/repository.ts';
import type { Claims } from './claims.ts';
import { findIdentity, insertIdentity, touchIdentity } from './repository.ts';
import { deriveUsername } from './usernames.ts';

export type Resolution =
  | {
      kind: 'signed-in';
      userId: string;
      /** The identity it signed in with; none yet when it is to be linked (`link`). */
      identityId?: string;
      /**
       * Not linked yet, to an account that exists: linked when the sign-in completes (at the code
       * exchange, or after the second factor), never here (sessions/pending-link.ts).
       */
      link?: PendingLink;
    }
  | { kind: 'refused'; error: string; detail: string; userId?: string };

/**
 * The account an identity signs in as: the one it is linked to; else the account with its email,
 * to be linked once the sign-in completes, and only if the provider asserts the email is verified
 * AND the account verified it too (a provider that does not check emails must not open someone
 * else's account); else a new one, only for an email the provider vouches for: an account made
 * from an unverified email would let whoever claimed that address at a careless provider keep a
 * way into it once its owner takes it over by verifying or resetting (account pre-hijacking).
 *
 * `then` runs in the same transaction for a sign-in (it stores the login code): a known identity
 * is held (touched) until commit, so an unlink either waits and removes the code with it, or came
 * first and the sign-in is refused here, instead of the code's insert failing on its foreign key.
 */
export async function resolveAccount(
  ctx: AuthContext,
  providerId: string,
  claims: Claims,
  client: ClientInfo,
  then: (tx: Executor, signedIn: Extract<Resolution, { kind: 'signed-in' }>) => Promise<void>,
): Promise<Resolution> {
  const resolve = async (tx: Executor): Promise<Resolution> => {
    const known = await findIdentity(tx, providerId, claims.sub);
    if (known) {
      // The user's row before the identity's, the order of a deletion (its cascade) and of an
      // unlink: the identity locked first, the login code's foreign key then waited on the user
      // a deletion held while its cascade waited on the identity, a deadlock (a 500).
      if (!(await lockUser(tx, known.userId))) {
        return {
          kind: 'refused',
          error: 'sign_in_failed',
          detail: 'The account changed during the sign-in; sign in again.',
        };
      }
      if (!(await touchIdentity(tx, known.id, claims.email ?? null))) {
        return {
          kind: 'refused',
          userId: known.userId,
          error: 'sign_in_failed',
          detail: 'The provider was unlinked from the account during the sign-in; sign in again.',
        };
      }
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
      const link = { provider: providerId, subject: claims.sub, email: claims.email };
      return { kind: 'signed-in', userId: existing.id, link };
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
    await recordAudit(tx, {
      type: 'identity.linked',
      userId,
      actorId: userId,
      client,
      details: { provider: providerId, identity_id: identity.id, how: 'sign_up' },
    });
    return { kind: 'signed-in', userId, identityId: identity.id };
  };
  const resolveAndThen = async (tx: Executor) => {
    const resolution = await resolve(tx);
    if (resolution.kind === 'signed-in') await then(tx, resolution);
    return resolution;
  };
  // What this transaction inserts (an account, an identity) may be committed by another meanwhile:
  // a registration of the same address, a sign-up taking the same username, the same person
  // signing in from two tabs. Its insert then fails on the unique index, and the callback was a
  // 500 with the flow spent; run again, it finds the other's row and answers as for it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.db.transaction(resolveAndThen);
    } catch (error) {
      // The account deleted meanwhile: the login code's insert fails on its foreign key.
      if (sqlState(error) === '23503') {
        return {
          kind: 'refused',
          error: 'sign_in_failed',
          detail: 'The account changed during the sign-in; sign in again.',
        };
      }
      if (attempt >= 3 || sqlState(error) !== '23505') throw error;
    }
  }
}

/** PostgreSQL's error code (23505 unique, 23503 foreign key), as pg or drizzle hands it on. */
function sqlState(error: unknown): string | undefined {
  const e = error as { code?: string; cause?: { code?: string } };
  return e.code ?? e.cause?.code;
}
