import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config.ts';
import type { Mailer } from './mailer.ts';

/**
 * SMTP when SMTP_URL is set; otherwise each message is written as an .eml file under MAIL_DIR,
 * which any mail client opens (handy in development and tests).
 */
export function createMailer(config: Pick<Config, 'SMTP_URL' | 'MAIL_DIR' | 'MAIL_FROM'>): Mailer {
  if (config.SMTP_URL) {
    const transport = nodemailer.createTransport(config.SMTP_URL);
    return {
      send: async (m) => {
        await transport.sendMail({
          from: config.MAIL_FROM,
          to: m.to,
          subject: m.subject,
          text: m.text,
          html: m.html,
        });
      },
      close: () => transport.close(),
    };
  }
  const transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });
  return {
    send: async (m) => {
      const info = await transport.sendMail({
        from: config.MAIL_FROM,
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
      });
      mkdirSync(config.MAIL_DIR, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.eml`;
      writeFileSync(path.join(config.MAIL_DIR, name), info.message as Buffer, { mode: 0o600 });
    },
    close: () => transport.close(),
  };
}
