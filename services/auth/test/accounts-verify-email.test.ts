import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createTestDatabase, logCapture, TEST_SECRETS } from '@platform/testing';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { readConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/index.ts';
import { mailsTo, tokenIn, waitForMail } from './accounts-mail.ts';
import { bearer, buildTestAuth, sql as runSql, signUp } from './helper.ts';

const auth = await buildTestAuth();
const { app } = auth;

const SUBJECT = 'Confirm your email address';
const verify = (token: unknown) =>
  app.inject({ method: 'POST', url: '/accounts/v1/verify-email', payload: { token } });
const me = async (accessToken: string) =>
  (await app.inject({ url: '/accounts/v1/user', headers: bearer(accessToken) })).json().user;
const withoutRequestId = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });

const sql = (text: string, values: unknown[] = []) => runSql(auth.databaseUrl, text, values);

test('registration mails a verification token that verifies the email once', async () => {
  const user = await signUp(app);
  const mails = await mailsTo(auth, user.email, SUBJECT);
  assert.equal(mails.length, 1);
  const token = tokenIn(mails[0]!);
  assert.equal((await me(user.accessToken)).email_verified, false);

  const first = await verify(token);
  assert.equal(first.statusCode, 204);
  assert.equal(first.body, '');
  assert.equal((await me(user.accessToken)).email_verified, true);

  const again = await verify(token);
  assert.equal(again.statusCode, 400);
  assert.equal(again.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.deepEqual(again.json().errors, [
    { field: 'token', message: 'is invalid, expired or already used' },
  ]);
  const unknown = await verify('x'.repeat(43));
  assert.equal(unknown.statusCode, 400);
  assert.deepEqual(withoutRequestId(unknown.json()), withoutRequestId(again.json()));
});

test('an expired verification token is refused like an unknown one', async () => {
  const user = await signUp(app);
  const token = tokenIn((await mailsTo(auth, user.email, SUBJECT))[0]!);
  await sql(
    `update one_time_tokens set expires_at = now() - interval '1 second' where user_id = $1`,
    [user.id],
  );
  const res = await verify(token);
  assert.equal(res.statusCode, 400);
  assert.match(res.json().detail, /invalid, expired or already used/);
  assert.equal((await me(user.accessToken)).email_verified, false);
});

test('confirming a new address makes it the email; tokens and reset links of the old one die', async () => {
  const user = await signUp(app);
  const oldToken = tokenIn((await mailsTo(auth, user.email, SUBJECT))[0]!);
  await app.inject({
    method: 'POST',
    url: '/accounts/v1/reset-password',
    payload: { email: user.email },
  });
  const reset = tokenIn(await waitForMail(auth, user.email, 'Reset your password'));
  const newEmail = `new.${user.email}`;
  const changed = await app.inject({
    method: 'PATCH',
    url: '/accounts/v1/user',
    headers: bearer(user.accessToken),
    payload: { email: newEmail, current_password: user.password },
  });
  assert.equal(changed.statusCode, 200);
  const notice = await mailsTo(auth, user.email, 'Your email address is being changed');
  assert.equal(notice.length, 1);
  assert.match(notice[0]!.body, new RegExp(newEmail.replace(/[.]/g, '\\.')));

  const newToken = tokenIn((await mailsTo(auth, newEmail, 'Confirm your new email address'))[0]!);
  assert.equal((await verify(newToken)).statusCode, 204);
  assert.equal((await me(user.accessToken)).email, newEmail);
  assert.equal((await me(user.accessToken)).email_verified, true);

  assert.equal((await verify(oldToken)).statusCode, 400);
  const confirm = await app.inject({
    method: 'POST',
    url: '/accounts/v1/reset-password/confirm',
    payload: { token: reset, new_password: 'a reset that came too late' },
  });
  assert.equal(confirm.statusCode, 400);
});

test('confirming an address another account took meanwhile is a 409; the token stays usable', async () => {
  const user = await signUp(app);
  const wanted = `wanted.${user.email}`;
  await app.inject({
    method: 'PATCH',
    url: '/accounts/v1/user',
    headers: bearer(user.accessToken),
    payload: { email: wanted, current_password: user.password },
  });
  const token = tokenIn((await mailsTo(auth, wanted, 'Confirm your new email address'))[0]!);
  const squatter = await signUp(app);
  await sql('update users set email = $1 where id = $2', [wanted.toUpperCase(), squatter.id]);

  const clash = await verify(token);
  assert.equal(clash.statusCode, 409);
  assert.equal(clash.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal((await me(user.accessToken)).email, user.email);
  assert.equal((await me(user.accessToken)).pending_email, wanted);

  // Once the address is free again, the same link completes the change.
  await sql('update users set email = $1 where id = $2', [squatter.email, squatter.id]);
  assert.equal((await verify(token)).statusCode, 204);
  assert.equal((await me(user.accessToken)).email, wanted);
});

test('a password reset mails only the confirmed address, never a pending one', async () => {
  const user = await signUp(app);
  const pending = `pending.${user.email}`;
  await app.inject({
    method: 'PATCH',
    url: '/accounts/v1/user',
    headers: bearer(user.accessToken),
    payload: { email: pending, current_password: user.password },
  });
  for (const email of [pending, user.email]) {
    const res = await app.inject({
      method: 'POST',
      url: '/accounts/v1/reset-password',
      payload: { email },
    });
    assert.equal(res.statusCode, 202);
  }
  await waitForMail(auth, user.email, 'Reset your password');
  assert.deepEqual(await mailsTo(auth, pending, 'Reset your password'), []);
});

test('the address match is case-insensitive', async () => {
  const user = await signUp(app);
  const token = tokenIn((await mailsTo(auth, user.email, SUBJECT))[0]!);
  await sql('update users set email = upper(email) where id = $1', [user.id]);
  assert.equal((await verify(token)).statusCode, 204);
  assert.equal((await me(user.accessToken)).email_verified, true);
});

test('a password reset token cannot verify an email', async () => {
  const user = await signUp(app);
  await app.inject({
    method: 'POST',
    url: '/accounts/v1/reset-password',
    payload: { email: user.email },
  });
  const reset = await waitForMail(auth, user.email, 'Reset your password');
  assert.equal((await verify(tokenIn(reset))).statusCode, 400);
  assert.equal((await me(user.accessToken)).email_verified, false);
});

test('verify-email validates its body with 400 and errors', async () => {
  for (const payload of [{}, { token: '' }, { token: 'x'.repeat(129) }]) {
    const res = await app.inject({ method: 'POST', url: '/accounts/v1/verify-email', payload });
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    assert.equal(res.json().errors[0].field, 'token');
  }
});

test('a failing mailer fails neither registration nor reset, and no token is logged', async () => {
  const database = await createTestDatabase();
  const config = readConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'info', ...TEST_SECRETS });
  const db = await openDatabase(config.DATABASE_URL);
  const logs = logCapture();
  const sent: string[] = [];
  const broken = await buildApp({
    config,
    database: db,
    mailer: {
      send: async (message) => {
        sent.push(message.text);
        throw Object.assign(new Error(`SMTP refused: ${message.text}`), { code: 'EENVELOPE' });
      },
      close: () => {},
    },
    logger: pino({ level: 'info' }, logs.stream),
  });
  after(async () => {
    await broken.close();
    await db.close();
    await database.drop();
  });
  const res = await broken.inject({
    method: 'POST',
    url: '/accounts/v1/register',
    payload: { email: 'nomail@example.com', username: 'nomail', password: 'unsent letters 1' },
  });
  assert.equal(res.statusCode, 201);
  assert.equal(sent.length, 1);
  const warning = logs.lines.map((l) => JSON.parse(l)).find((l) => l.level === 40);
  assert.equal(warning?.msg, 'verification mail not sent');
  assert.equal(warning?.error.code, 'EENVELOPE');

  const reset = await broken.inject({
    method: 'POST',
    url: '/accounts/v1/reset-password',
    payload: { email: 'nomail@example.com' },
  });
  assert.equal(reset.statusCode, 202);
  const failed = () => logs.lines.some((l) => l.includes('password reset mail not sent'));
  for (let i = 0; i < 200 && !failed(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(failed());
  const tokens = sent.map((text) => /^ {4}([\w-]{43})$/m.exec(text)?.[1]);
  assert.equal(tokens.length, 2);
  for (const token of tokens) {
    assert.ok(token);
    assert.ok(!logs.text().includes(token));
  }
});

test('a new address confirmed while a reset link is used: one wins, never a 500', async () => {
  for (let round = 0; round < 5; round++) {
    const user = await signUp(app);
    await app.inject({
      method: 'POST',
      url: '/accounts/v1/reset-password',
      payload: { email: user.email },
    });
    const reset = tokenIn(await waitForMail(auth, user.email, 'Reset your password'));
    const newEmail = `race${round}.${user.email}`;
    const changed = await app.inject({
      method: 'PATCH',
      url: '/accounts/v1/user',
      headers: bearer(user.accessToken),
      payload: { email: newEmail, current_password: user.password },
    });
    assert.equal(changed.statusCode, 200, changed.body);
    const confirmToken = tokenIn(
      (await mailsTo(auth, newEmail, 'Confirm your new email address'))[0]!,
    );
    // Either the change wins (the reset link was for the old address) or the reset does (it
    // cancels the pending change, and its link with it).
    const results = await Promise.all([
      verify(confirmToken),
      app.inject({
        method: 'POST',
        url: '/accounts/v1/reset-password/confirm',
        payload: { token: reset, new_password: 'racing the change 4' },
      }),
    ]);
    assert.deepEqual(
      results.map((r) => r.statusCode).sort(),
      [204, 400],
      `round ${round}: ${results.map((r) => r.body).join(' | ')}`,
    );
  }
});
