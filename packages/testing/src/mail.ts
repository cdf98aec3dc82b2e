import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';

/** A mail as a person's client shows it: both parts decoded, and the links of the text part. */
export interface Mail {
  to: string;
  subject: string;
  /** The plain-text part. */
  text: string;
  /** The HTML part ('' when the mail has none). */
  html: string;
  /** The same as `text`, for tests that read the body. */
  body: string;
  /** Every http(s) URL of the text part, in order. */
  links: URL[];
}

/** Parses an .eml (MIME, multipart or not) with mailparser, the decoder of nodemailer's authors. */
export async function parseMail(eml: string | Buffer): Promise<Mail> {
  const parsed = await simpleParser(eml);
  const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
  const text = parsed.text ?? '';
  return {
    to: to?.value[0]?.address ?? '',
    subject: parsed.subject ?? '',
    text,
    html: typeof parsed.html === 'string' ? parsed.html : '',
    body: text,
    links: [...text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => new URL(m[0])),
  };
}

/** Every .eml file of `dir` (written by the auth service's file mailer), oldest first. */
export async function readMailDir(dir: string): Promise<Mail[]> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml'));
  files.sort();
  return Promise.all(files.map(async (file) => parseMail(await readFile(path.join(dir, file)))));
}

/** The link of a mail that leads to `page` (e.g. `verify-email`, `reset-password`), if any. */
export const linkTo = (mail: Mail, page: string): URL | undefined =>
  mail.links.find((url) => url.pathname.endsWith(`/${page}`) && url.searchParams.has('token'));

/** The single-use token of the mail's link, if it has one. */
export const tokenIn = (mail: Mail): string | undefined =>
  mail.links.find((url) => url.searchParams.has('token'))?.searchParams.get('token') ?? undefined;
