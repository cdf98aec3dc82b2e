import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { mailsTo, tokenIn, waitForMail } from './accounts-mail.ts';
import {
  bearer,
  buildTestAuth,
  enrolledUser,
  login,
  recordingPublisher,
  sql as runSql,
  signUp,
} from './helper.ts';
import { softwareAuthenticator } from './software-authenticator.ts';

const auth = await buildTestAuth();
const { app } = auth;

const SUBJECT = 'Reset your password';
const requestReset = (email: string) =>
  app.inject({ method: 'POST', url: '/accounts/v1/reset-password', payload: { email } });
const confirm = (payload: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: '/accounts/v1/reset-password/confirm', payload });
const loginStatus = async (email: string, password: string) =>
  (await app.inject({ method: 'POST', url: '/accounts/v1/login', payload: { email, password } }))
    .statusCode;
const userStatus = async (accessToken: string) =>
  (await app.inject({ url: '/accounts/v1/user', headers: bearer(accessToken) })).statusCode;

const sql = (text: string, values: unknown[] = []) => runSql(auth.databaseUrl, text, values);

/** Asks for a reset as `asked` (any spelling) and returns the token mailed to `email`. */
async function resetToken(email: string, asked = email): Promise<string> {
  const res = await requestReset(asked);
  assert.equal(res.statusCode, 202);
  return tokenIn(await waitForMail(auth, email, SUBJECT));
}

test('reset end to end: mail, confirm, new password works, every session is signed out', async () => {
  const user = await signUp(app);
  const other = await login(app, user.email, user.password);
  const token = await resetToken(user.email, user.email.toUpperCase());
  const res = await confirm({ token, new_password: 'recovered passphrase 1' });
  assert.equal(res.statusCode, 204);
  assert.equal(res.body, '');

  assert.equal(await loginStatus(user.email, user.password), 401);
  assert.equal(await loginStatus(user.email, 'recovered passphrase 1'), 200);
  assert.equal(await userStatus(user.accessToken), 401);
  assert.equal(await userStatus(other.accessToken), 401);
  const rows = await sql(
    `select payload from outbox where type = 'user.password_changed' and payload->>'user_id' = $1`,
    [user.id],
  );
  assert.deepEqual(rows, [{ payload: { user_id: user.id, via: 'reset' } }]);
});

test('a reset token works once', async () => {
  const user = await signUp(app);
  const token = await resetToken(user.email);
  assert.equal((await confirm({ token, new_password: 'first new passphrase' })).statusCode, 204);
  const again = await confirm({ token, new_password: 'second new passphrase' });
  assert.equal(again.statusCode, 400);
  assert.equal(again.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(again.json().errors[0].field, 'token');
  assert.equal(await loginStatus(user.email, 'first new passphrase'), 200);
  assert.equal(await loginStatus(user.email, 'second new passphrase'), 401);
});

test('an expired or unknown reset token is refused with the same answer', async () => {
  const user = await signUp(app);
  const token = await resetToken(user.email);
  await sql(
    `update one_time_tokens set expires_at = now() - interval '1 second'
     where user_id = $1 and purpose = 'reset-password'`,
    [user.id],
  );
  const expired = await confirm({ token, new_password: 'too late passphrase' });
  const unknown = await confirm({ token: 'y'.repeat(43), new_password: 'too late passphrase' });
  assert.equal(expired.statusCode, 400);
  assert.equal(unknown.statusCode, 400);
  const { request_id: _a, ...expiredBody } = expired.json();
  const { request_id: _b, ...unknownBody } = unknown.json();
  assert.deepEqual(expiredBody, unknownBody);
  assert.equal(await loginStatus(user.email, user.password), 200);
});

test('the token lasts 30 minutes', async () => {
  const user = await signUp(app);
  await resetToken(user.email);
  const [row] = await sql(
    `select extract(epoch from expires_at - created_at) as ttl from one_time_tokens
     where user_id = $1 and purpose = 'reset-password'`,
    [user.id],
  );
  assert.ok(Math.abs(Number(row.ttl) - 1800) < 5, String(row.ttl));
});

test('a refused new password leaves the token usable', async () => {
  const user = await signUp(app);
  const token = await resetToken(user.email);
  const common = await confirm({ token, new_password: 'Password123' });
  assert.equal(common.statusCode, 400);
  assert.equal(common.json().errors[0].field, 'new_password');
  assert.equal((await confirm({ token, new_password: 'an uncommon one 77' })).statusCode, 204);
});

test('an unknown email gets the same 202 and no mail is written', async () => {
  const user = await signUp(app);
  const before = (await auth.mails()).length;
  const unknown = await requestReset('nobody-here@example.com');
  const known = await requestReset(user.email);
  assert.equal(unknown.statusCode, 202);
  assert.equal(known.statusCode, 202);
  assert.equal(unknown.body, known.body);
  assert.match(unknown.json().detail, /reset token/);
  // Both jobs started in order; once the known one has mailed, the unknown one is long done.
  await waitForMail(auth, user.email, SUBJECT);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const written = (await auth.mails()).length - before;
  assert.equal(written, 1);
  assert.equal((await mailsTo(auth, 'nobody-here@example.com')).length, 0);
});

test('a second request within a minute mails nothing more', async () => {
  const user = await signUp(app);
  const bystander = await signUp(app);
  await resetToken(user.email);
  assert.equal((await requestReset(user.email)).statusCode, 202);
  await resetToken(bystander.email);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal((await mailsTo(auth, user.email, SUBJECT)).length, 1);
});

test('reset bodies are validated with 400 and errors', async () => {
  const bad = await app.inject({
    method: 'POST',
    url: '/accounts/v1/reset-password',
    payload: { email: 'not-an-email' },
  });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().errors[0].field, 'email');
  const empty = await confirm({});
  assert.equal(empty.statusCode, 400);
  assert.deepEqual(
    empty
      .json()
      .errors.map((e: { field: string }) => e.field)
      .sort(),
    ['new_password', 'token'],
  );
  const short = await confirm({ token: 'z'.repeat(43), new_password: 'short' });
  assert.equal(short.statusCode, 400);
  assert.equal(short.json().errors[0].field, 'new_password');
});

test('every session revoked by a reset is published to other processes', async () => {
  const { publisher, published } = recordingPublisher();
  const recording = await buildTestAuth({}, { revocations: publisher });
  const user = await signUp(recording.app);
  const other = await login(recording.app, user.email, user.password);
  await recording.app.inject({
    method: 'POST',
    url: '/accounts/v1/reset-password',
    payload: { email: user.email },
  });
  const token = tokenIn(await waitForMail(recording, user.email, SUBJECT));
  const res = await recording.app.inject({
    method: 'POST',
    url: '/accounts/v1/reset-password/confirm',
    payload: { token, new_password: 'published reset phrase' },
  });
  assert.equal(res.statusCode, 204);
  const sessions = [user.accessToken, other.accessToken].map((t) => decodeJwt(t).sid);
  assert.deepEqual(published.map((e) => e.sessionId).sort(), sessions.sort());
});

test('a reset of a never-verified account unlinks provider identities that came without mailbox proof', async () => {
  // Pre-hijacking: someone signed up through a provider that does not verify emails, with the
  // victim's address; the victim then takes the account over by reset. The intruder's identity
  // must not survive that; on a verified account, identities stay.
  const victim = await signUp(app);
  const verified = await signUp(app);
  await sql('update users set email_verified = true where id = $1', [verified.id]);
  for (const [userId, subject] of [
    [victim.id, `intruder-${victim.id}`],
    [verified.id, `own-${verified.id}`],
  ]) {
    await sql(
      `insert into user_identities (user_id, provider, subject, email) values ($1, 'idp', $2, null)`,
      [userId, subject],
    );
  }
  for (const user of [victim, verified]) {
    const res = await confirm({
      token: await resetToken(user.email),
      new_password: 'taken back phrase',
    });
    assert.equal(res.statusCode, 204);
  }
  const left = async (userId: string) =>
    (await sql('select subject from user_identities where user_id = $1', [userId])).length;
  assert.equal(await left(victim.id), 0);
  assert.equal(await left(verified.id), 1);
});

test('a reset of a never-verified account removes the passkeys and second factor someone else added', async () => {
  // Pre-hijacking: the intruder registers with the victim's address (which they cannot verify),
  // adds a passkey and turns TOTP on, and waits for the victim to take the account over by reset.
  // Neither may survive it: the passkey would still sign in, the factor would lock the owner out.
  const intruder = await enrolledUser(app);
  const authenticator = softwareAuthenticator();
  const inject = (url: string, token: string | undefined, payload: object) =>
    app.inject({
      method: 'POST',
      url: `/accounts/v1${url}`,
      ...(token ? { headers: bearer(token) } : {}),
      payload,
    });
  const options = (
    await inject('/user/passkeys/registration-options', intruder.accessToken, {})
  ).json();
  const added = await inject('/user/passkeys', intruder.accessToken, {
    response: authenticator.create(options),
  });
  assert.equal(added.statusCode, 201, added.body);
  const passkeySignIn = async () => {
    const login = (await inject('/login/passkey/options', undefined, {})).json();
    return inject('/login/passkey', undefined, {
      challenge_id: login.challenge_id,
      response: authenticator.get(login),
    });
  };
  assert.equal((await passkeySignIn()).statusCode, 200);

  const res = await confirm({
    token: await resetToken(intruder.email),
    new_password: 'the real owner phrase',
  });
  assert.equal(res.statusCode, 204);

  assert.equal((await passkeySignIn()).statusCode, 401);
  const signedIn = await app.inject({
    method: 'POST',
    url: '/accounts/v1/login',
    payload: { email: intruder.email, password: 'the real owner phrase' },
  });
  assert.equal(signedIn.statusCode, 200, signedIn.body);
  assert.ok(signedIn.json().access_token, 'no second step left by the intruder');
  assert.equal(signedIn.json().user.mfa_enabled, false);
  // The reset proved the mailbox: the owner's own passkeys survive the next reset.
  assert.equal(signedIn.json().user.email_verified, true);
  const events = await sql(
    `select type, details from audit_events where user_id = $1 and details->>'how' = 'password_reset'
       or user_id = $1 and details->>'reason' = 'password_reset' order by id`,
    [intruder.id],
  );
  assert.deepEqual(
    events.map((e) => e.type),
    ['passkey.removed', 'mfa.disabled'],
  );
});

test('a reset of a verified account keeps its passkeys and second factor', async () => {
  const owner = await enrolledUser(app);
  await sql('update users set email_verified = true where id = $1', [owner.id]);
  const authenticator = softwareAuthenticator();
  const options = (
    await app.inject({
      method: 'POST',
      url: '/accounts/v1/user/passkeys/registration-options',
      headers: bearer(owner.accessToken),
    })
  ).json();
  const added = await app.inject({
    method: 'POST',
    url: '/accounts/v1/user/passkeys',
    headers: bearer(owner.accessToken),
    payload: { response: authenticator.create(options) },
  });
  assert.equal(added.statusCode, 201, added.body);
  const res = await confirm({
    token: await resetToken(owner.email),
    new_password: 'new owner phrase',
  });
  assert.equal(res.statusCode, 204);
  assert.equal((await sql('select id from passkeys where user_id = $1', [owner.id])).length, 1);
  const signedIn = await app.inject({
    method: 'POST',
    url: '/accounts/v1/login',
    payload: { email: owner.email, password: 'new owner phrase' },
  });
  assert.equal(signedIn.json().mfa_required, true);
});

test('a reset token works only while the account still has the address it was mailed to', async () => {
  // An email change spends outstanding reset tokens, but a reset request that looked the account
  // up just before the change committed issues one after it: the old mailbox must not get in.
  const user = await signUp(app);
  const token = await resetToken(user.email);
  // The change as the race leaves it: committed, with this token not among those it spent.
  await sql('update users set email = $2, email_verified = true where id = $1', [
    user.id,
    `moved-${user.email}`,
  ]);
  const res = await confirm({ token, new_password: 'old mailbox phrase 3' });
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(res.json().code, 'invalid_token');
  assert.equal(await loginStatus(`moved-${user.email}`, user.password), 200);
});

test('two reset tokens of one account confirmed at once: one wins, the other is spent, never a 500', async () => {
  for (let round = 0; round < 5; round++) {
    const user = await signUp(app);
    const first = await resetToken(user.email);
    // Past the one-mail-a-minute cooldown, so a second token is mailed.
    await sql(
      `update one_time_tokens set created_at = now() - interval '2 minutes' where user_id = $1`,
      [user.id],
    );
    await requestReset(user.email);
    const mails = await waitForMailCount(user.email, 2);
    const second = tokenIn(mails.at(-1)!);
    assert.notEqual(first, second);
    const results = await Promise.all([
      confirm({ token: first, new_password: 'first racer phrase' }),
      confirm({ token: second, new_password: 'second racer phrase' }),
    ]);
    assert.deepEqual(
      results.map((r) => r.statusCode).sort(),
      [204, 400],
      `round ${round}: ${results.map((r) => r.body).join(' | ')}`,
    );
  }
});

async function waitForMailCount(email: string, count: number) {
  for (let i = 0; i < 100; i++) {
    const mails = await mailsTo(auth, email, SUBJECT);
    if (mails.length >= count) return mails;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`fewer than ${count} reset mails to ${email}`);
}

test('the reset page opened without a token (the notice mails link there) mails a reset link, saying the same for any address', async () => {
  const user = await signUp(app);
  const page = await app.inject({ url: '/accounts/v1/reset-password' });
  assert.equal(page.statusCode, 200);
  assert.match(page.headers['content-type'] as string, /^text\/html/);
  assert.match(page.body, /<input id="email" name="email" type="email"/);
  assert.match(page.body, /action="pages\/reset-password"/);

  const post = (form: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/accounts/v1/pages/reset-password',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(form).toString(),
    });
  const known = await post({ email: user.email });
  assert.equal(known.statusCode, 200);
  assert.match(known.body, /Check your mail/);
  const token = tokenIn(await waitForMail(auth, user.email, SUBJECT));
  assert.equal((await confirm({ token, new_password: 'from the page 1' })).statusCode, 204);

  const unknown = await post({ email: 'nobody-here@example.com' });
  assert.equal(unknown.statusCode, 200);
  assert.equal(unknown.body, known.body);
  const empty = await post({});
  assert.equal(empty.statusCode, 400);
  assert.match(empty.body, /Enter the email address of your account/);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(await mailsTo(auth, 'nobody-here@example.com'), []);
});

test('the reset page answers a person’s form with a page, whatever they typed', async () => {
  // A browser sends what its own email check lets through (user@intranet has no dot, which the
  // API's format wants) or nothing checked at all: the answer is a page, never problem+json.
  const post = (body: string) =>
    app.inject({
      method: 'POST',
      url: '/accounts/v1/pages/reset-password',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: body,
    });
  const sent = await post('email=someone%40intranet');
  assert.equal(sent.statusCode, 200);
  assert.match(sent.headers['content-type'] as string, /^text\/html/);
  assert.match(sent.body, /Check your mail/);
  for (const [body, error] of [
    ['email=', /Enter the email address of your account/],
    ['email=+++', /Enter the email address of your account/],
    ['email=not-an-address', /Enter an email address, as name@example\.com/],
  ] as const) {
    const res = await post(body);
    assert.equal(res.statusCode, 400, body);
    assert.match(res.headers['content-type'] as string, /^text\/html/, body);
    assert.match(res.body, error, body);
    assert.match(res.body, /<input id="email" name="email" type="email"/, body);
  }
});
