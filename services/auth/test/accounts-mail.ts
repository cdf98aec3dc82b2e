import type { TestAuth } from './helper.ts';

export interface Mail {
  to: string;
  subject: string;
  body: string;
}

/** Headers and the decoded text of an .eml written by the file mailer. */
export function parseMail(eml: string): Mail {
  const [head = '', ...rest] = eml.split('\n\n');
  const header = (name: string) =>
    new RegExp(`^${name}: (.*)$`, 'mi').exec(head)?.[1]?.trim() ?? '';
  let body = rest.join('\n\n');
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  if (encoding === 'quoted-printable') body = decodeQuotedPrintable(body);
  else if (encoding === 'base64') body = Buffer.from(body, 'base64').toString('utf8');
  return { to: header('To'), subject: header('Subject'), body };
}

function decodeQuotedPrintable(text: string): string {
  const s = text.replace(/=\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const hex = s.slice(i + 1, i + 3);
    if (s[i] === '=' && /^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(s.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The token a mail carries on a line of its own. */
export function tokenIn(mail: Mail): string {
  const token = /^ {4}([\w-]{43})$/m.exec(mail.body)?.[1];
  if (!token) throw new Error(`no token in mail: ${mail.body}`);
  return token;
}

/** Mails to `to` (optionally with `subject`), oldest first. */
export async function mailsTo(auth: TestAuth, to: string, subject?: string): Promise<Mail[]> {
  return (await auth.mails())
    .map(parseMail)
    .filter((m) => m.to === to && (subject === undefined || m.subject === subject));
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
