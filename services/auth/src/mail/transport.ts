import { randomUUID } from 'node:crypto';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, folderProblem } from '@platform/config';
import type { Transporter } from 'nodemailer';
import type { Config } from '../config.ts';
import type { Mailer } from './mailer.ts';

/**
 * SMTP when SMTP_URL is set; otherwise each message is written as an .eml file under MAIL_DIR,
 * which any mail client opens (handy in development and tests).
 *
 * nodemailer (~3 MB of heap) loads with the first mail, not at start: mail goes out on sign-ups
 * and resets, seconds after the service starts at the earliest. Creating a transport opens no
 * connection, so nothing is checked later than before (SMTP_URL's form is checked at start).
 */
/**
 * Mail is sent while the request that causes it waits (a sign-up's verification, an email
 * change's confirmation), so a mail server that accepts and then says nothing must not hold it:
 * nodemailer waits 2 minutes for a connection, 30 s for the greeting and 10 minutes of silence
 * by default. The same settings in SMTP_URL's query (`?greetingTimeout=…`) win over these.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

export function createMailer(config: Pick<Config, 'SMTP_URL' | 'MAIL_DIR' | 'MAIL_FROM'>): Mailer {
  if (!config.SMTP_URL) checkMailDir(config.MAIL_DIR);
  let created: Transporter | undefined;
  let loading: Promise<Transporter> | undefined;
  const transport = () => {
    loading ??= import('nodemailer').then(({ default: nodemailer }) => {
      created = config.SMTP_URL
        ? nodemailer.createTransport({ url: config.SMTP_URL, ...SMTP_TIMEOUTS })
        : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
      return created;
    });
    loading.catch(() => {
      loading = undefined;
    });
    return loading;
  };
  const message = (m: Parameters<Mailer['send']>[0]) => ({
    from: config.MAIL_FROM,
    to: m.to,
    subject: m.subject,
    text: part('text/plain', m.text, !config.SMTP_URL),
    html: part('text/html', m.html, !config.SMTP_URL),
  });
  return {
    send: async (m) => {
      const info = await (await transport()).sendMail(message(m));
      if (config.SMTP_URL) return;
      mkdirSync(config.MAIL_DIR, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.eml`;
      writeFileSync(path.join(config.MAIL_DIR, name), info.message as Buffer, { mode: 0o600 });
    },
    close: () => created?.close(),
  };
}

/**
 * Makes MAIL_DIR, or checks the one there is a folder auth can write to, at start (as the
 * launcher checks DATA_DIR): a file there, or a folder auth may not write to, was noticed only when
 * the first mail was due, as a 500 to whoever signed up, and the mail was lost.
 */
function checkMailDir(dir: string) {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    const why = folderProblem(error);
    throw new ConfigError(
      `MAIL_DIR is invalid: ${dir} cannot hold the mail (${why}); expected a folder auth can write to (or set SMTP_URL)`,
    );
  }
}

/** Printable ASCII, tabs and line breaks only. */
const SEVEN_BIT = /^[\x20-\x7e\t\r\n]*$/;
/** No control characters but tabs and line breaks (UTF-8 text as it is). */
const EIGHT_BIT = /^(?:[^\p{Cc}]|[\t\r\n])*$/u;

/**
 * A part sent as it is written when it can be: plain ASCII (7bit) in lines a mail may carry
 * (RFC 5322: 998 octets), and in an .eml file any UTF-8 text too (8bit: no SMTP server to ask).
 * nodemailer quoted-prints any part with a line over 76 characters, and the line with the mailed
 * link always is one: whoever read the .eml as text (a developer, a test, `grep token=`) found
 * `token=3D…`, the token folded with `=` at 76. Anything else is left to nodemailer's encoding.
 */
export function part(type: 'text/plain' | 'text/html', content: string, toFile: boolean) {
  const encoding = SEVEN_BIT.test(content)
    ? '7bit'
    : toFile && EIGHT_BIT.test(content)
      ? '8bit'
      : undefined;
  const fits = content.split('\n').every((line) => Buffer.byteLength(line) <= 998);
  if (!encoding || !fits) return content;
  const body = content.replace(/\r?\n/g, '\r\n');
  return {
    raw: `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${body}`,
  };
}
