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
  return {
    to: email,
    subject: 'Confirm your new email address',
    text: [
      `Hello ${user.username},`,
      '',
      'You asked to use this address for your account. Confirm that it is yours by sending',
      `this token to POST ${ctx.config.PUBLIC_URL}/accounts/v1/verify-email as {"token": "<token>"}:`,
      '',
      `    ${token}`,
      '',
      'The token is valid for 24 hours. Until then your account keeps its current address.',
      'If you did not ask for this, ignore this mail.',
    ].join('\n'),
  };
}

export function addressInUse(ctx: AuthContext, email: string): MailMessage {
  return {
    to: email,
    subject: 'Someone tried to use this address',
    text: [
      'Hello,',
      '',
      'Someone asked to move another account to this email address. This address already',
      'belongs to an account, so nothing was changed.',
      '',
      'If that was you, sign in with this address instead, or reset its password at',
      `${ctx.config.PUBLIC_URL}/accounts/v1/reset-password. Otherwise you can ignore this mail.`,
    ].join('\n'),
  };
}

export function changeNotice(user: UserRow, email: string): MailMessage {
  return {
    to: user.email,
    subject: 'Your email address is being changed',
    text: [
      `Hello ${user.username},`,
      '',
      `Someone signed in to your account asked to change its email address to ${email}.`,
      'The change takes effect only when it is confirmed from that address.',
      '',
      'If you did not ask for this, change your password at once (or reset it from this',
      'address): that cancels the change and signs out your other sessions.',
    ].join('\n'),
  };
}
