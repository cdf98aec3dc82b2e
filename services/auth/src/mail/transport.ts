import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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
export function createMailer(config: Pick<Config, 'SMTP_URL' | 'MAIL_DIR' | 'MAIL_FROM'>): Mailer {
  let created: Transporter | undefined;
  let loading: Promise<Transporter> | undefined;
  const transport = () => {
    loading ??= import('nodemailer').then(({ default: nodemailer }) => {
      created = config.SMTP_URL
        ? nodemailer.createTransport(config.SMTP_URL)
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
    text: m.text,
    html: m.html,
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
