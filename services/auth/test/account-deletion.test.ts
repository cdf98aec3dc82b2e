import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import {
  bearer,
  buildTestAuth,
  login,
  recordingPublisher,
  revokedWhileWaiting,
  sql as runSql,
  signUp,
} from './helper.ts';
import { avatarForm, blackPng } from './uploads.ts';

const ADMIN = { email: 'only-admin@example.com', password: 'deletion admin passphrase 5' };
const { publisher, published } = recordingPublisher();
const auth = await buildTestAuth(
  {
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS: '3',
  },
  { revocations: publisher },
);
const { app } = auth;
const sql = (text: string, values: unknown[] = []) => runSql(auth.databaseUrl, text, values);

const remove = (token: string | undefined, payload?: unknown) =>
  app.inject({
    method: 'DELETE',
    url: '/accounts/v1/user',
    headers: token ? bearer(token) : {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
const me = (token: string) => app.inject({ url: '/accounts/v1/user', headers: bearer(token) });

test('deleting the account ends every session and frees the email and username', async () => {
  const user = await signUp(app);
  const phone = await login(app, user.email, user.password);
  const form = avatarForm(blackPng(8, 8));
  const avatar = await app.inject({
    method: 'PUT',
    url: '/accounts/v1/user/avatar',
    payload: form.payload,
    headers: { ...form.headers, ...bearer(user.accessToken) },
  });
  assert.equal(avatar.statusCode, 200, avatar.body);
  const avatarPath = new URL(avatar.json().user.avatar_url).pathname;
  assert.equal((await app.inject({ url: avatarPath })).statusCode, 200);

  const before = published.length;
  const res = await remove(user.accessToken, { current_password: user.password });
  assert.equal(res.statusCode, 204, res.body);
  assert.equal(res.body, '');

  assert.equal((await me(user.accessToken)).statusCode, 401);
  assert.equal((await me(phone.accessToken)).statusCode, 401);
  const refreshed = await app.inject({
    method: 'POST',
    url: '/accounts/v1/refresh',
    payload: { refresh_token: phone.refreshToken },
  });
  assert.equal(refreshed.statusCode, 401);
  assert.deepEqual(
    published
      .slice(before)
      .map((e) => e.sessionId)
      .sort(),
    [decodeJwt(user.accessToken).sid, decodeJwt(phone.accessToken).sid].sort(),
  );
  assert.equal((await app.inject({ url: avatarPath })).statusCode, 404);
  const signIn = await app.inject({
    method: 'POST',
    url: '/accounts/v1/login',
    payload: { email: user.email, password: user.password },
  });
  assert.equal(signIn.statusCode, 401);

  // No row of the user is left but their id in the audit log and the outbox.
  for (const table of ['users', 'sessions', 'avatars', 'user_roles', 'one_time_tokens']) {
    const column = table === 'users' ? 'id' : 'user_id';
    assert.deepEqual(await sql(`select 1 from ${table} where ${column} = $1`, [user.id]), []);
  }
  const audit = await sql(
    'select type, user_id, actor_id, details from audit_events where user_id = $1 order by id',
    [user.id],
  );
  assert.equal(audit.at(-1)?.type, 'account.deleted');
  assert.deepEqual(audit.at(-1)?.details, { revoked_sessions: 2 });
  const everything = JSON.stringify(await sql('select * from audit_events'));
  assert.ok(!everything.includes(user.email) && !everything.includes(user.username));
  const [event] = await sql(`select payload from outbox where type = 'user.deleted'`);
  assert.deepEqual(event?.payload, { user_id: user.id });

  const again = await app.inject({
    method: 'POST',
    url: '/accounts/v1/register',
    payload: {
      email: user.email.toUpperCase(),
      username: user.username,
      password: 'a fresh start 42',
    },
  });
  assert.equal(again.statusCode, 201, again.body);
  assert.notEqual(again.json().user.id, user.id);
});

test('deletion needs the current password; wrong ones are throttled like sign-ins', async () => {
  const user = await signUp(app);
  assert.equal((await remove(undefined, { current_password: user.password })).statusCode, 401);
  const missing = await remove(user.accessToken, {});
  assert.equal(missing.statusCode, 400);
  assert.equal(missing.json().errors[0].field, 'current_password');
  assert.equal((await remove(user.accessToken)).statusCode, 400);

  const wrong = await remove(user.accessToken, { current_password: 'not my password 1' });
  assert.equal(wrong.statusCode, 403);
  assert.deepEqual(wrong.json().errors, [{ field: 'current_password', message: 'is incorrect' }]);
  assert.equal(
    (await remove(user.accessToken, { current_password: 'nope nope 2' })).statusCode,
    403,
  );
  assert.equal(
    (await remove(user.accessToken, { current_password: 'nope nope 3' })).statusCode,
    403,
  );
  // Locked now, even for the right password: a stolen token gives no unthrottled guesses.
  const locked = await remove(user.accessToken, { current_password: user.password });
  assert.equal(locked.statusCode, 429);
  assert.ok(Number(locked.headers['retry-after']) > 0);
  assert.equal((await me(user.accessToken)).statusCode, 200);
  const failures = await sql('select 1 from users where id = $1', [user.id]);
  assert.equal(failures.length, 1);
});

test('the last admin cannot delete their account', async () => {
  const admin = await login(app, ADMIN.email, ADMIN.password);
  const res = await remove(admin.accessToken, { current_password: ADMIN.password });
  assert.equal(res.statusCode, 409);
  assert.equal((await me(admin.accessToken)).statusCode, 200);
});

// The password was checked before the deletion locked the user: a reset by the owner that
// committed meanwhile (every session revoked) did not stop the deletion asked for by whoever knew
// the old password, from a session the reset had signed out.
test('a deletion whose session a password reset revoked while it waited deletes nothing', async () => {
  const user = await signUp(app);
  const res = await revokedWhileWaiting(auth.databaseUrl, user.id, () =>
    remove(user.accessToken, { current_password: user.password }),
  );
  assert.equal(res.statusCode, 401, res.body);
  assert.equal((await sql('select 1 from users where id = $1', [user.id])).length, 1);
});
