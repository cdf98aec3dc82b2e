import type { FastifyBaseLogger } from 'fastify';
import type { AuthContext } from '../context.ts';
import { describeError } from '../mail/errors.ts';
import type { MailMessage } from '../mail/mailer.ts';
import type { UserRow } from '../users/repository.ts';

// The mails of an email change: to the new address (a token, or word that it is taken) and a
// notice to the current one.

/** After commit; a mail that cannot be sent is logged (without the address) and left at that. */
export async function sendMails(ctx: AuthContext, mails: MailMessage[], log: FastifyBaseLogger) {
  for (const mail of mails) {
    try {
      await ctx.mailer.send(mail);
    } catch (error) {
      log.warn(
        { error: describeError(error), subject: mail.subject },
        'email change mail not sent',
      );
    }
  }
}

export function confirmationMail(
  ctx: AuthContext,
  user: UserRow,
  email: string,
  token: string,
): MailMessage {
  return ctx.templates.mail('confirm-new-email', email, {
    username: user.username,
    token,
    link: ctx.templates.link('verify-email', token),
  });
}

export function addressInUse(ctx: AuthContext, email: string): MailMessage {
  return ctx.templates.mail('address-in-use', email, {});
}

export function changeNotice(ctx: AuthContext, user: UserRow, email: string): MailMessage {
  return ctx.templates.mail('email-change-notice', user.email, {
    username: user.username,
    new_email: email,
  });
}
