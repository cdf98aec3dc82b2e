import type { FastifyBaseLogger } from 'fastify';
import { type AuditClient, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import {
  consumeOneTimeToken,
  holderOfToken,
  issueOneTimeToken,
} from '../credentials/one-time-tokens.ts';
import type { Executor } from '../db/index.ts';
import { problem } from '../errors.ts';
import { conflictingField, lockUser, markEmailVerified } from '../users/repository.ts';
import { completeEmailChange, sameAddress } from './email-change.ts';
import { sendMails } from './mails.ts';

const VERIFY_EMAIL_TTL = 24 * 3600;

/**
 * Mails a token that proves the user owns `email`, at registration. The token is bound to the
 * address (an email change mails its own, see email-change.ts).
 */
export async function sendEmailVerification(
  ctx: AuthContext,
  db: Executor,
  user: { id: string; email: string; username: string },
): Promise<void> {
  const token = await issueOneTimeToken(db, {
    userId: user.id,
    purpose: 'verify-email',
    ttlSeconds: VERIFY_EMAIL_TTL,
    email: user.email,
  });
  await ctx.mailer.send(
    ctx.templates.mail('verify-email', user.email, {
      username: user.username,
      token,
      link: ctx.templates.link('verify-email', token),
    }),
  );
}

/** Unknown, expired, spent and outdated tokens get one answer: telling them apart helps no user. */
const invalidToken = () =>
  problem('invalid_token', 'The verification token is invalid, expired or already used.', {
    errors: [{ field: 'token', message: 'is invalid, expired or already used' }],
  });

/**
 * Spends the token and, in the same transaction, either marks the current email verified or, for
 * the pending address, makes it the account's email. A token for any other address (one replaced
 * since) is refused and stays unspent: it can never succeed anyway. When another account took the
 * pending address meanwhile, nothing changes and the answer is 409.
 */
export async function verifyEmail(
  ctx: AuthContext,
  token: string,
  client: AuditClient & { log: FastifyBaseLogger },
): Promise<void> {
  const changed = await ctx.db
    .transaction(async (tx) => {
      // The user's row before the token, the order every change of the user locks in.
      const holder = await holderOfToken(tx, token, 'verify-email');
      const user = holder ? await lockUser(tx, holder) : undefined;
      const spent = user && (await consumeOneTimeToken(tx, token, 'verify-email'));
      if (!spent?.email) throw invalidToken();
      const proves = (address: string | null | undefined) =>
        address != null && sameAddress(address, spent.email!);
      if (user && proves(user.email)) {
        await markEmailVerified(tx, user.id);
        return undefined;
      }
      if (user && proves(user.pendingEmail)) {
        await completeEmailChange(tx, user);
        await recordAudit(tx, {
          type: 'email.changed',
          userId: user.id,
          actorId: user.id,
          client: { ip: client.ip, userAgent: client.userAgent },
          details: {},
        });
        return { user, newEmail: user.pendingEmail! };
      }
      throw invalidToken();
    })
    .catch((error: unknown) => {
      if (conflictingField(error) !== 'email') throw error;
      throw problem(
        'email_taken',
        'The new address now belongs to another account; ask for a change to another address.',
      );
    });
  // The old address is told: whoever lost control of the account learns where it went.
  if (changed) {
    await sendMails(
      ctx,
      [
        ctx.templates.mail('email-changed', changed.user.email, {
          username: changed.user.username,
          new_email: changed.newEmail,
        }),
      ],
      client.log,
    );
  }
}
