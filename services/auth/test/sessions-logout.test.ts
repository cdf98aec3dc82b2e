import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { bearer, buildTestAuth, login, recordingPublisher, signUp } from './helper.ts';

const { publisher, published } = recordingPublisher();
const { app } = await buildTestAuth({}, { revocations: publisher });

const logout = (token: string, payload?: object) =>
  app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    headers: bearer(token),
    ...(payload ? { payload } : {}),
  });
const refresh = (token: string) =>
  app.inject({ method: 'POST', url: '/accounts/v1/refresh', payload: { refresh_token: token } });
const me = (token: string) => app.inject({ url: '/accounts/v1/user', headers: bearer(token) });

test('logout ends the session: its access and refresh tokens are refused', async () => {
  const user = await signUp(app);
  const res = await logout(user.accessToken);
  assert.equal(res.statusCode, 204);
  assert.equal(res.body, '');
  const after = await me(user.accessToken);
  assert.equal(after.statusCode, 401);
  assert.equal(after.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal((await refresh(user.refreshToken)).statusCode, 401);
  assert.equal((await logout(user.accessToken)).statusCode, 401);
});

test('logout leaves the user’s other sessions alone', async () => {
  const user = await signUp(app);
  const phone = await login(app, user.email, user.password);
  await logout(user.accessToken);
  assert.equal((await me(phone.accessToken)).statusCode, 200);
  assert.equal((await refresh(phone.refreshToken)).statusCode, 200);
});

test('logout with the refresh token of another own session ends that one too', async () => {
  const user = await signUp(app);
  const phone = await login(app, user.email, user.password);
  assert.equal(
    (await logout(user.accessToken, { refresh_token: phone.refreshToken })).statusCode,
    204,
  );
  assert.equal((await me(phone.accessToken)).statusCode, 401);
  assert.equal((await refresh(phone.refreshToken)).statusCode, 401);
});

test('logout ignores a refresh token that belongs to someone else', async () => {
  const user = await signUp(app);
  const stranger = await signUp(app);
  assert.equal(
    (await logout(user.accessToken, { refresh_token: stranger.refreshToken })).statusCode,
    204,
  );
  assert.equal((await me(stranger.accessToken)).statusCode, 200);
  assert.equal((await refresh(stranger.refreshToken)).statusCode, 200);
});

test('logout needs a bearer token or the refresh token of a live session', async () => {
  const anonymous = await app.inject({ method: 'POST', url: '/accounts/v1/logout' });
  assert.equal(anonymous.statusCode, 401);
  assert.equal(anonymous.json().status, 401);
  // Without a token the body is what signs out, so it is validated like any other.
  const badBody = await app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    payload: { refresh_token: '' },
  });
  assert.equal(badBody.statusCode, 400);
  const unknown = await app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    payload: { refresh_token: 'A'.repeat(43) },
  });
  assert.equal(unknown.statusCode, 401);
});

test('logout validates the optional refresh token', async () => {
  const user = await signUp(app);
  const res = await logout(user.accessToken, { refresh_token: '' });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().errors[0].field, 'refresh_token');
  assert.equal((await me(user.accessToken)).statusCode, 200);
});

test('logout publishes the revoked session after commit', async () => {
  const user = await signUp(app);
  const before = published.length;
  await logout(user.accessToken);
  const entry = published
    .slice(before)
    .find((e) => e.sessionId === decodeJwt(user.accessToken).sid);
  assert.ok(entry, 'the session was published');
  assert.ok(entry.expiresAt.getTime() > Date.now() + 900_000);
  assert.equal(typeof entry.id, 'number');
});

test('logout with a spent refresh token and no access token is a reuse: its session is revoked, as at /refresh', async () => {
  const user = await signUp(app);
  // The thief rotated first; the owner, idle past its access token, signs out with the old one.
  const rotated = await refresh(user.refreshToken);
  assert.equal(rotated.statusCode, 200);
  const thief = rotated.json() as { access_token: string; refresh_token: string };
  const before = published.length;
  const res = await app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    headers: bearer('expired.or.garbage'),
    payload: { refresh_token: user.refreshToken },
  });
  assert.equal(res.statusCode, 401);
  assert.equal((await me(thief.access_token)).statusCode, 401);
  assert.equal((await refresh(thief.refresh_token)).statusCode, 401);
  assert.ok(published.slice(before).some((e) => e.sessionId === decodeJwt(user.accessToken).sid));
  const other = await login(app, user.email, user.password);
  const events = await app.inject({
    url: '/accounts/v1/user/audit-events?type=token.reuse_detected',
    headers: bearer(other.accessToken),
  });
  assert.equal(events.json().items.length, 1);
  assert.equal(events.json().items[0].actor_id, null);
});

test('logout with only the refresh token of a live session: its still-valid access token is refused and published at once, the audit names its user', async () => {
  const user = await signUp(app);
  const stranger = await signUp(app);
  const before = published.length;
  const res = await app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    payload: { refresh_token: user.refreshToken },
  });
  assert.equal(res.statusCode, 204);
  assert.equal((await me(user.accessToken)).statusCode, 401);
  assert.ok(published.slice(before).some((e) => e.sessionId === decodeJwt(user.accessToken).sid));
  assert.equal((await me(stranger.accessToken)).statusCode, 200);
  const other = await login(app, user.email, user.password);
  const events = await app.inject({
    url: '/accounts/v1/user/audit-events?type=logout',
    headers: bearer(other.accessToken),
  });
  const [event] = events.json().items;
  assert.equal(event.user_id, decodeJwt(user.accessToken).sub);
  assert.equal(event.actor_id, decodeJwt(user.accessToken).sub);
  assert.deepEqual(event.details.session_ids, [decodeJwt(user.accessToken).sid]);
});
