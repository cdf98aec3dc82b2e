import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@platform/config';
import Mustache from 'mustache';
import type { Config } from '../config.ts';
import type { MailMessage } from './mailer.ts';

/**
 * Mails and the pages their links open, from Mustache templates a team edits without touching
 * code: `services/auth/templates/{mail,pages}/`, or a folder of the same layout named by
 * MAIL_TEMPLATES_DIR whose files replace the built-in ones of the same name. Mustache is
 * logic-less: a template cannot run code, and `{{value}}` is HTML-escaped in .html files (text
 * and subjects are left as they are). Every template is read and parsed at start, so a broken
 * override stops the service with its file name rather than failing a mail later.
 */
export const BUILT_IN_TEMPLATES = path.resolve(import.meta.dirname, '../../templates');

export type MailName =
  | 'verify-email'
  | 'confirm-new-email'
  | 'address-in-use'
  | 'email-change-notice'
  | 'email-changed'
  | 'reset-password'
  | 'password-changed'
  | 'mfa-enabled'
  | 'mfa-disabled'
  | 'mfa-reset-by-admin'
  | 'recovery-code-used'
  | 'recovery-codes-regenerated'
  | 'passkey-added'
  | 'identity-linked';

export type PageName = 'verify-email' | 'reset-password' | 'request-reset' | 'message';

/** Where a mailed link leads; the token travels in the query. */
export type LinkAction = 'verify-email' | 'reset-password';

export const MAILS: MailName[] = [
  'verify-email',
  'confirm-new-email',
  'address-in-use',
  'email-change-notice',
  'email-changed',
  'reset-password',
  'password-changed',
  'mfa-enabled',
  'mfa-disabled',
  'mfa-reset-by-admin',
  'recovery-code-used',
  'recovery-codes-regenerated',
  'passkey-added',
  'identity-linked',
];
const PAGES: PageName[] = ['verify-email', 'reset-password', 'request-reset', 'message'];

type View = Record<string, unknown>;

export interface RenderedPage {
  html: string;
  /** A Content-Security-Policy that allows exactly the page's own <style> blocks, nothing else. */
  csp: string;
}

export interface Templates {
  mail(name: MailName, to: string, view: View): MailMessage;
  page(name: PageName, view: View): RenderedPage;
  /** `APP_URL/<action>?token=…`, or auth's own page when APP_URL is unset. */
  link(action: LinkAction, token: string): string;
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (value: unknown) => String(value).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
const asIs = (value: unknown) => String(value);

export function loadTemplates(
  config: Pick<Config, 'APP_URL' | 'APP_NAME' | 'PUBLIC_URL' | 'MAIL_TEMPLATES_DIR'>,
  pagesBase: string,
): Templates {
  // A folder that is not there (a typo, a volume not mounted) replaced nothing, silently: every
  // mail went out with the built-in text while the operator believed theirs was used.
  const own = config.MAIL_TEMPLATES_DIR;
  if (own !== undefined && !statSync(own, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ConfigError(`MAIL_TEMPLATES_DIR is invalid: ${own} is not a folder`);
  }
  const read = (file: string): string => {
    for (const dir of [config.MAIL_TEMPLATES_DIR, BUILT_IN_TEMPLATES]) {
      if (!dir || !existsSync(path.join(dir, file))) continue;
      const text = readFileSync(path.join(dir, file), 'utf8');
      try {
        Mustache.parse(text);
      } catch (error) {
        throw new ConfigError(
          `template ${path.join(dir, file)} is invalid: ${(error as Error).message}`,
        );
      }
      return text;
    }
    throw new ConfigError(`template ${file} is missing`);
  };
  const mails = new Map(
    MAILS.map((name) => [
      name,
      {
        subject: read(`mail/${name}.subject.txt`),
        text: read(`mail/${name}.txt`),
        html: read(`mail/${name}.html`),
      },
    ]),
  );
  const pages = new Map(PAGES.map((name) => [name, read(`pages/${name}.html`)]));
  const layouts = {
    text: read('mail/layout.txt'),
    html: read('mail/layout.html'),
    page: read('pages/layout.html'),
  };
  const base = (config.APP_URL ?? `${config.PUBLIC_URL}${pagesBase}`).replace(/\/+$/, '');
  // reset_url: where every notice mail's "if this was not you" leads (the reset page without a
  // token asks for the address; an app at APP_URL serves its own page there).
  const common = { app_name: config.APP_NAME, app_url: base, reset_url: `${base}/reset-password` };

  const render = (template: string, view: View, escapeValue: (v: unknown) => string) =>
    Mustache.render(template, { ...common, ...view }, {}, { escape: escapeValue });

  return {
    link: (action, token) => `${base}/${action}?token=${encodeURIComponent(token)}`,
    mail(name, to, view) {
      const mail = mails.get(name)!;
      const text = render(mail.text, view, asIs);
      const html = render(mail.html, view, escapeHtml);
      return {
        to,
        // One line: a header cannot carry a line break.
        subject: render(mail.subject, view, asIs).replace(/\s+/g, ' ').trim(),
        text: render(layouts.text, { ...view, content: text }, asIs),
        html: render(layouts.html, { ...view, content: html }, escapeHtml),
      };
    },
    page(name, view) {
      const content = render(pages.get(name)!, view, escapeHtml);
      const html = render(layouts.page, { ...view, content }, escapeHtml);
      return { html, csp: pagePolicy(html) };
    },
  };
}

/**
 * No script at all, styles only the page's own <style> blocks (by hash, so an injected one
 * would not apply), forms only back to this origin, no framing, no <base> tricks.
 */
function pagePolicy(html: string): string {
  const hashes = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`,
  );
  return [
    "default-src 'none'",
    `style-src ${hashes.length ? hashes.join(' ') : "'none'"}`,
    "img-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}
