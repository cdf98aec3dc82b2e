import type { FastifyBaseLogger } from 'fastify';
import { recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import type { Executor } from '../db/index.ts';
import type { PendingLink } from '../second-factor/service.ts';
import { holdIdentity, linkIdentity } from '../users/methods-repository.ts';
import { notify } from '../users/notice.ts';
import { findUserByEmail } from '../users/repository.ts';
import type { ClientInfo } from './service.ts';

// A provider account whose verified email matched an account's (oidc/linking.ts) is linked when
// the sign-in through it completes, never before: linked at the callback, whoever holds such a
// provider account kept a way in without passing the owner's second factor, or spending the code.

/** The identity a completing sign-in opens its session with, and whether it linked it now. */
export interface Linked {
  userId: string;
  identityId: string;
  created: boolean;
}

/**
 * Makes the pending link, in the transaction that opens the session, under the user's lock
 * (`lockUser`): audited `identity.linked`. Undefined, and nothing linked, when the account no
 * longer has the verified email the provider matched (changed meanwhile), or when the provider
 * account got linked to another account meanwhile. Linked to this one by another sign-in of the
 * same provider account that completed first, its row is used.
 */
export async function completeLink(
  tx: Executor,
  userId: string,
  link: PendingLink,
  client: ClientInfo,
): Promise<Linked | undefined> {
  const owner = await findUserByEmail(tx, link.email);
  if (owner?.id !== userId || !owner.emailVerified) return undefined;
  const identity = await linkIdentity(tx, { userId, ...link });
  if (identity?.userId !== userId) return undefined;
  if (identity.created) {
    await recordAudit(tx, {
      type: 'identity.linked',
      userId,
      actorId: userId,
      client,
      details: { provider: link.provider, identity_id: identity.id, how: 'verified_email' },
    });
  }
  return { userId, identityId: identity.id, created: identity.created };
}

/**
 * The identity a sign-in opens its session with, still there, held until commit (see
 * holdIdentity): one unlinked meanwhile must open no session.
 */
export const identityStillLinked = (tx: Executor, userId: string, identityId: string) =>
  holdIdentity(tx, userId, identityId);

/**
 * A new way into an existing account, with no password: the owner hears of it, as of a passkey
 * added. After commit.
 */
export async function noticeOfLink(
  ctx: AuthContext,
  linked: Linked | undefined,
  log: FastifyBaseLogger,
) {
  if (linked?.created) await notify(ctx, linked.userId, 'identity-linked', log);
}
