import type { App } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import type { AuthContext } from '../context.ts';
import { issueOneTimeToken } from '../credentials/one-time-tokens.ts';
import { issuedSince } from '../credentials/repository.ts';
import { describeError } from '../mail/errors.ts';
import { findUserByEmail } from '../users/repository.ts';

const RESET_TTL = 30 * 60;
/** At most one reset mail per account per this many seconds, so nobody can flood a mailbox. */
const RESET_COOLDOWN = 60;

/**
 * Mails a single-use reset token when an account has this email; does nothing otherwise. Runs
 * after the 202 has been sent, so neither the answer nor its timing tells whether it exists.
 */
export async function mailResetToken(ctx: AuthContext, email: string): Promise<void> {
  const user = await findUserByEmail(ctx.db, email);
  if (!user) return;
  const since = new Date(Date.now() - RESET_COOLDOWN * 1000);
  if (await issuedSince(ctx.db, user.id, 'reset-password', since)) return;
  const token = await issueOneTimeToken(ctx.db, {
    userId: user.id,
    purpose: 'reset-password',
    ttlSeconds: RESET_TTL,
    // Bound to the address it is mailed to: see confirmReset.
    email: user.email,
  });
  await ctx.mailer.send(
    ctx.templates.mail('reset-password', user.email, {
      username: user.username,
      token,
      link: ctx.templates.link('reset-password', token),
    }),
  );
}

/**
 * `mailResetToken` off the response path, for the API's 202 and the page's answer alike: the
 * answer goes out first, so its timing does not tell whether an account uses the address. Closing
 * `app` waits for the mails still being sent rather than cut them off mid-query.
 */
export function resetMailer(app: App, ctx: AuthContext) {
  const pending = new Set<Promise<void>>();
  app.addHook('onClose', async () => {
    await Promise.allSettled(pending);
  });
  return (email: string, log: FastifyBaseLogger) => {
    const job = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => mailResetToken(ctx, email))
      .catch((error: unknown) =>
        log.error({ error: describeError(error) }, 'password reset mail not sent'),
      )
      .finally(() => pending.delete(job));
    pending.add(job);
  };
}
