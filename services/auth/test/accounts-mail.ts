import { type Mail, parseMail, tokenIn as tokenOf } from '@platform/testing';
import type { TestAuth } from './helper.ts';

export type { Mail };

/** The token of the mail's link (`…/verify-email?token=…`, `…/reset-password?token=…`). */
export function tokenIn(mail: Mail): string {
  const token = tokenOf(mail);
  if (!token) throw new Error(`no link with a token in mail: ${mail.text}`);
  return token;
}

/** Mails to `to` (optionally with `subject`), oldest first. */
export async function mailsTo(auth: TestAuth, to: string, subject?: string): Promise<Mail[]> {
  const mails = await Promise.all((await auth.mails()).map((eml) => parseMail(eml)));
  return mails.filter((m) => m.to === to && (subject === undefined || m.subject === subject));
}

/** Waits for a mail sent off the response path, e.g. the password reset mail. */
export async function waitForMail(
  auth: TestAuth,
  to: string,
  subject: string,
  count = 1,
): Promise<Mail> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = await mailsTo(auth, to, subject);
    if (found.length >= count) return found[count - 1]!;
    if (Date.now() > deadline) throw new Error(`no mail "${subject}" to ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
