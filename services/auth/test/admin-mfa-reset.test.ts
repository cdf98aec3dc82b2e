import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestAuth, enrolledUser, finishMfa, login, signUp, sql } from './helper.ts';

/** An admin turning off the MFA of a user who lost both the authenticator and the codes. */
const ADMIN = { email: 'root@example.com', password: 'mfa reset admin passphrase 9' };
const auth = await buildTestAuth({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
const { app } = auth;
const admin = await login(app, ADMIN.email, ADMIN.password);

const enrolled = () => enrolledUser(app);

const reset = (
  id: string,
  token = admin.accessToken,
  payload: object | null = { current_password: ADMIN.password },
  remoteAddress?: string,
) =>
  app.inject({
    method: 'DELETE',
    url: `/accounts/v1/users/${id}/mfa`,
    headers: bearer(token),
    ...(payload ? { payload } : {}),
    ...(remoteAddress ? { remoteAddress } : {}),
  });
const loginWith = (email: string, password: string) =>
  app.inject({ method: 'POST', url: '/accounts/v1/login', payload: { email, password } });
const refresh = (refresh_token: string) =>
  app.inject({ method: 'POST', url: '/accounts/v1/refresh', payload: { refresh_token } });

test('after an admin reset the user signs in with the password alone and is signed out everywhere', async () => {
  const user = await enrolled();
  // A second session, opened with both factors.
  const challenged = (await loginWith(user.email, user.password)).json();
  assert.equal(challenged.mfa_required, true);
  const second = await finishMfa(app, {
    mfa_token: challenged.mfa_token,
    recovery_code: user.recoveryCodes[0],
  });
  assert.equal(second.statusCode, 200, second.body);
  const mailsBefore = (await auth.mails()).length;

  const res = await reset(user.id);
  assert.equal(res.statusCode, 204, res.body);
  assert.equal(res.body, '');

  for (const token of [user.accessToken, second.json().access_token as string]) {
    const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(token) });
    assert.equal(me.statusCode, 401, 'every access token of the user is refused');
  }
  for (const token of [user.refreshToken, second.json().refresh_token as string]) {
    const refused = await refresh(token);
    assert.equal(refused.statusCode, 401, 'every refresh token of the user is refused');
    assert.equal(refused.json().code, 'invalid_refresh_token');
  }
  const signIn = await loginWith(user.email, user.password);
  assert.equal(signIn.statusCode, 200, signIn.body);
  const body = signIn.json();
  assert.equal(body.mfa_required, undefined, 'no second factor asked');
  assert.ok(body.access_token);
  assert.equal(body.user.mfa_enabled, false);

  assert.deepEqual(
    await sql(auth.databaseUrl, 'select 1 from totp_factors where user_id = $1', [user.id]),
    [],
  );
  assert.deepEqual(
    await sql(auth.databaseUrl, 'select 1 from recovery_codes where user_id = $1', [user.id]),
    [],
  );

  const events = await app.inject({
    url: `/accounts/v1/audit-events?user_id=${user.id}&type=mfa.disabled`,
    headers: bearer(admin.accessToken),
  });
  assert.equal(events.statusCode, 200, events.body);
  const [event] = events.json().items as {
    actor_id: string;
    user_id: string;
    details: Record<string, unknown>;
  }[];
  assert.ok(event, 'mfa.disabled is audited');
  assert.equal(event.user_id, user.id);
  const adminId = (
    await sql(auth.databaseUrl, 'select id from users where email = $1', [ADMIN.email])
  )[0].id;
  assert.equal(event.actor_id, adminId, 'the admin is the actor');
  assert.equal(event.details.reason, 'admin_reset');
  assert.equal(event.details.revoked_sessions, 2);

  const mails = (await auth.mails()).slice(mailsBefore);
  assert.ok(
    mails.some((m) => m.includes(user.email) && /Two-factor sign-in is off/.test(m)),
    'the owner is told',
  );

  // Once off, a second reset is a conflict: there is nothing to reset.
  const again = await reset(user.id);
  assert.equal(again.statusCode, 409);
  assert.equal(again.json().code, 'mfa_not_enabled');
});

test('only admins reset MFA; unknown ids are 404, malformed ones 400', async () => {
  const user = await enrolled();
  const other = await signUp(app);
  for (const token of [other.accessToken, user.accessToken]) {
    const res = await reset(user.id, token);
    assert.equal(res.statusCode, 403, res.body);
    assert.equal(res.json().status, 403);
  }
  const anonymous = await app.inject({
    method: 'DELETE',
    url: `/accounts/v1/users/${user.id}/mfa`,
  });
  assert.equal(anonymous.statusCode, 401);
  // Still on: the refused calls changed nothing.
  assert.equal((await loginWith(user.email, user.password)).json().mfa_required, true);
  assert.equal((await refresh(user.refreshToken)).statusCode, 200);

  const unknown = await reset('6f1c1f1e-8d3a-4c57-9d1e-0b8f3f0c2a11');
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json().status, 404);
  assert.equal((await reset('not-a-uuid')).statusCode, 400);
  const off = await reset(other.id);
  assert.equal(off.statusCode, 409);
  assert.equal(off.json().code, 'mfa_not_enabled');
});

test("a reset needs the admin's own current password: a stolen admin token alone strips no MFA", async () => {
  const user = await enrolled();
  const stillOn = async () =>
    assert.equal((await loginWith(user.email, user.password)).json().mfa_required, true);

  const missing = await reset(user.id, admin.accessToken, null);
  assert.equal(missing.statusCode, 400, missing.body);
  const empty = await reset(user.id, admin.accessToken, {});
  assert.equal(empty.statusCode, 400, empty.body);
  assert.equal(empty.json().code, 'validation_failed');
  assert.deepEqual(
    empty.json().errors.map((e: { field: string }) => e.field),
    ['current_password'],
  );
  // The user's password, or a wrong one, is not the admin's.
  for (const current_password of [user.password, 'not the admin passphrase']) {
    const wrong = await reset(user.id, admin.accessToken, { current_password });
    assert.equal(wrong.statusCode, 403, wrong.body);
    assert.equal(wrong.json().code, 'current_password_incorrect');
    assert.deepEqual(wrong.json().errors, [{ field: 'current_password', message: 'is incorrect' }]);
  }
  await stillOn();
  const audited = await sql(
    auth.databaseUrl,
    "select 1 from audit_events where user_id = $1 and type = 'mfa.disabled'",
    [user.id],
  );
  assert.deepEqual(audited, [], 'nothing was reset');
  // The password is checked before anything about the target is told: no 404 or 409 without it.
  const unknown = await reset('6f1c1f1e-8d3a-4c57-9d1e-0b8f3f0c2a11', admin.accessToken, {
    current_password: 'wrong',
  });
  assert.equal(unknown.statusCode, 403, unknown.body);
  assert.equal((await reset(user.id)).statusCode, 204);
});

test('wrong admin passwords from elsewhere are throttled without locking the admin out', async () => {
  const user = await enrolled();
  let refused: Awaited<ReturnType<typeof reset>> | undefined;
  for (let i = 0; i < 12 && !refused; i++) {
    const res = await reset(
      user.id,
      admin.accessToken,
      { current_password: `guess ${i}` },
      '203.0.113.40',
    );
    assert.ok([403, 429].includes(res.statusCode), res.body);
    if (res.statusCode === 429) refused = res;
  }
  assert.ok(refused, 'the guesser is stopped');
  assert.equal(refused.json().code, 'rate_limited');
  assert.ok(refused.headers['retry-after']);
  // Even the right password is refused from there now.
  const stillRefused = await reset(
    user.id,
    admin.accessToken,
    { current_password: ADMIN.password },
    '203.0.113.40',
  );
  assert.equal(stillRefused.statusCode, 429, stillRefused.body);
  // From the address the admin signed in from, the reset still works.
  const res = await reset(user.id);
  assert.equal(res.statusCode, 204, res.body);
});

test('an admin without a password (signed up through a provider) is refused like a wrong password', async () => {
  const user = await enrolled();
  const other = await signUp(app);
  await sql(auth.databaseUrl, "insert into user_roles (user_id, role) values ($1, 'admin')", [
    other.id,
  ]);
  const session = await login(app, other.email, other.password);
  await sql(auth.databaseUrl, 'update users set password_hash = null where id = $1', [other.id]);
  for (const current_password of [other.password, '']) {
    const res = await reset(user.id, session.accessToken, { current_password });
    assert.equal(res.statusCode, current_password ? 403 : 400, res.body);
    if (current_password) assert.equal(res.json().code, 'current_password_incorrect');
  }
  assert.equal((await loginWith(user.email, user.password)).json().mfa_required, true);
});
