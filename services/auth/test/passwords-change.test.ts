import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { mailsTo } from './accounts-mail.ts';
import { bearer, buildTestAuth, login, recordingPublisher, signUp } from './helper.ts';

const auth = await buildTestAuth();
const { app } = auth;

const change = (accessToken: string, payload: Record<string, unknown>) =>
  app.inject({
    method: 'POST',
    url: '/accounts/v1/change-password',
    headers: bearer(accessToken),
    payload,
  });
const loginStatus = async (email: string, password: string) =>
  (
    await app.inject({
      method: 'POST',
      url: '/accounts/v1/login',
      payload: { email, password },
    })
  ).statusCode;
const userStatus = async (accessToken: string) =>
  (await app.inject({ url: '/accounts/v1/user', headers: bearer(accessToken) })).statusCode;

test('change-password keeps the current session and revokes every other one', async () => {
  const user = await signUp(app);
  const other = await login(app, user.email, user.password);
  const third = await login(app, user.email, user.password);
  const res = await change(user.accessToken, {
    current_password: user.password,
    new_password: 'a brand new passphrase',
  });
  assert.equal(res.statusCode, 204);
  assert.equal(res.body, '');

  assert.equal(await userStatus(user.accessToken), 200);
  assert.equal(await userStatus(other.accessToken), 401);
  assert.equal(await userStatus(third.accessToken), 401);
  const refreshed = await app.inject({
    method: 'POST',
    url: '/accounts/v1/refresh',
    payload: { refresh_token: other.refreshToken },
  });
  assert.equal(refreshed.statusCode, 401);

  assert.equal(await loginStatus(user.email, user.password), 401);
  assert.equal(await loginStatus(user.email, 'a brand new passphrase'), 200);
});

test('change-password records user.password_changed and tells the owner by mail', async () => {
  const user = await signUp(app);
  const res = await change(user.accessToken, {
    current_password: user.password,
    new_password: 'another fresh passphrase',
  });
  assert.equal(res.statusCode, 204);
  const client = new pg.Client({ connectionString: auth.databaseUrl });
  await client.connect();
  const { rows } = await client.query(
    `select payload from outbox where type = 'user.password_changed' and payload->>'user_id' = $1`,
    [user.id],
  );
  await client.end();
  assert.deepEqual(rows, [{ payload: { user_id: user.id, via: 'change' } }]);
  const mails = await mailsTo(auth, user.email, 'Your password was changed');
  assert.equal(mails.length, 1);
});

test('a wrong current password is a 403 on current_password and changes nothing', async () => {
  const user = await signUp(app);
  const other = await login(app, user.email, user.password);
  const res = await change(user.accessToken, {
    current_password: 'not my password',
    new_password: 'whatever passphrase 9',
  });
  assert.equal(res.statusCode, 403);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.deepEqual(
    res.json().errors.map((e: { field: string }) => e.field),
    ['current_password'],
  );
  assert.equal(await loginStatus(user.email, user.password), 200);
  assert.equal(await userStatus(other.accessToken), 200);
});

test('wrong current passwords are throttled like sign-ins: a token is no password oracle', async () => {
  const user = await signUp(app);
  for (let i = 0; i < 5; i++) {
    const res = await change(user.accessToken, {
      current_password: `guess ${i}`,
      new_password: 'whatever passphrase 9',
    });
    assert.equal(res.statusCode, 403);
  }
  const locked = await change(user.accessToken, {
    current_password: user.password,
    new_password: 'whatever passphrase 9',
  });
  assert.equal(locked.statusCode, 429);
  assert.ok(Number(locked.headers['retry-after']) >= 1);
  // Sign-in from the same address shares the count.
  assert.equal(await loginStatus(user.email, user.password), 429);
});

test('a password change cancels a pending email change', async () => {
  const user = await signUp(app);
  const pending = `pending.${user.email}`;
  const requested = await app.inject({
    method: 'PATCH',
    url: '/accounts/v1/user',
    headers: bearer(user.accessToken),
    payload: { email: pending, current_password: user.password },
  });
  assert.equal(requested.json().user.pending_email, pending);
  const res = await change(user.accessToken, {
    current_password: user.password,
    new_password: 'cancelling passphrase 4',
  });
  assert.equal(res.statusCode, 204);
  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.json().user.pending_email, null);
  const token = /^ {4}(\S{43})$/m.exec((await mailsTo(auth, pending))[0]!.body)?.[1];
  const verify = await app.inject({
    method: 'POST',
    url: '/accounts/v1/verify-email',
    payload: { token },
  });
  assert.equal(verify.statusCode, 400);
});

test('the new password must pass the policy and differ from the current one', async () => {
  const user = await signUp(app);
  for (const new_password of [user.password, 'Password123', 'short']) {
    const res = await change(user.accessToken, { current_password: user.password, new_password });
    assert.equal(res.statusCode, 400, new_password);
    assert.deepEqual(
      res.json().errors.map((e: { field: string }) => e.field),
      ['new_password'],
      new_password,
    );
  }
  assert.equal(await loginStatus(user.email, user.password), 200);
});

test('change-password needs a valid access token and a complete body', async () => {
  const anonymous = await app.inject({
    method: 'POST',
    url: '/accounts/v1/change-password',
    payload: { current_password: 'x', new_password: 'long enough passphrase' },
  });
  assert.equal(anonymous.statusCode, 401);
  const user = await signUp(app);
  const res = await change(user.accessToken, {});
  assert.equal(res.statusCode, 400);
  assert.deepEqual(
    res
      .json()
      .errors.map((e: { field: string }) => e.field)
      .sort(),
    ['current_password', 'new_password'],
  );
});

test('the revoked sessions are published to other processes after commit', async () => {
  const { publisher, published } = recordingPublisher();
  const recording = await buildTestAuth({}, { revocations: publisher });
  const user = await signUp(recording.app);
  const other = await login(recording.app, user.email, user.password);
  const res = await recording.app.inject({
    method: 'POST',
    url: '/accounts/v1/change-password',
    headers: bearer(user.accessToken),
    payload: { current_password: user.password, new_password: 'published passphrase' },
  });
  assert.equal(res.statusCode, 204);
  assert.deepEqual(
    published.map((e) => e.sessionId),
    [decodeJwt(other.accessToken).sid],
  );
});
