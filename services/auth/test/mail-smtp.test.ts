import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { parseMail } from '@platform/testing';
import { buildTestAuth } from './helper.ts';

/** A message an SMTP client handed over: its envelope and its raw RFC 5322 text. */
interface Received {
  from: string;
  to: string[];
  data: string;
}

/**
 * The smallest SMTP server a client can deliver to (RFC 5321 without extensions): enough to see
 * what auth sends when SMTP_URL is set, without a mail server on the machine.
 */
async function startSmtpReceiver() {
  const received: Received[] = [];
  const server = createServer((socket: Socket) => {
    socket.setEncoding('utf8');
    let buffer = '';
    let current: Received = { from: '', to: [], data: '' };
    let inData = false;
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 contract.test ESMTP');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end === -1) return;
          current.data = buffer.slice(0, end).replace(/^\.\./gm, '.');
          buffer = buffer.slice(end + 5);
          inData = false;
          received.push(current);
          current = { from: '', to: [], data: '' };
          reply('250 queued');
          continue;
        }
        const newline = buffer.indexOf('\r\n');
        if (newline === -1) return;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') reply('250 contract.test');
        else if (verb === 'MAIL') {
          current.from = line.slice(10);
          reply('250 ok');
        } else if (verb === 'RCPT') {
          current.to.push(line.slice(8));
          reply('250 ok');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 end with <CRLF>.<CRLF>');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('250 ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Side by side: the second waits out a 10 s timeout (the first's sign-up and delivery need not
// wait for it). Each builds its own auth on its own database.
describe('auth sending mail over SMTP', { concurrency: 2 }, () => {
  test('with SMTP_URL, mail goes out over SMTP with a text and an HTML part, and no .eml is kept', async (t) => {
    const smtp = await startSmtpReceiver();
    t.after(smtp.close);
    const { app, mails } = await buildTestAuth({ SMTP_URL: smtp.url });
    const email = `smtp-${process.pid}@example.com`;
    const registered = await app.inject({
      method: 'POST',
      url: '/accounts/v1/register',
      payload: { email, username: `smtp${process.pid}`, password: 'correct horse smtp' },
    });
    assert.equal(registered.statusCode, 201);

    const deadline = Date.now() + 20_000;
    while (smtp.received.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(smtp.received.length, 1, 'one mail, the verification');
    const [message] = smtp.received;
    assert.ok(
      message!.to.some((to) => to.includes(email)),
      message!.to.join(),
    );
    const mail = await parseMail(message!.data);
    assert.equal(mail.to, email);
    assert.ok(mail.text.length > 0, 'a text part');
    assert.ok(mail.html.length > 0, 'an HTML part');
    const link = mail.links.find((url) => url.pathname.endsWith('/verify-email'));
    assert.ok(link?.searchParams.get('token'), 'a …/verify-email?token=… link');
    assert.deepEqual(await mails(), [], 'nothing written to MAIL_DIR');
  });

  test('a mail server that accepts and then says nothing holds a sign-up for 10 s, not 30 s or more', async (t) => {
    const accepted = new Set<Socket>();
    // Accepts, never greets.
    const silent = createServer((socket) => accepted.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const socket of accepted) socket.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const { port } = silent.address() as { port: number };
    const { app, logs } = await buildTestAuth({ SMTP_URL: `smtp://127.0.0.1:${port}` });
    const started = Date.now();
    const registered = await app.inject({
      method: 'POST',
      url: '/accounts/v1/register',
      payload: {
        email: `silent-${process.pid}@example.com`,
        username: `silent${process.pid}`,
        password: 'correct horse silent',
      },
    });
    const took = Date.now() - started;
    // The account is made; the mail is given up after the greeting timeout, and said so.
    assert.equal(registered.statusCode, 201);
    assert.ok(took >= 9_000 && took < 25_000, `took ${took} ms`);
    assert.match(logs.text(), /verification mail not sent/);
  });
});
