import assert from 'node:assert/strict';
import { after, mock, test } from 'node:test';
import { connect } from '@platform/db';
import type { App } from '@platform/http';
import { decodeJwt } from 'jose';
import * as schema from '../src/db/schema.ts';
import { bearer, buildTestAuth, signUp } from './helper.ts';

const { app, databaseUrl, logs } = await buildTestAuth();
const database = connect(databaseUrl, schema);
after(() => database.close());

const refresh = (target: App, token: string) =>
  target.inject({ method: 'POST', url: '/accounts/v1/refresh', payload: { refresh_token: token } });
const me = (token: string) => app.inject({ url: '/accounts/v1/user', headers: bearer(token) });

test('refresh returns a working new pair for the same session', async () => {
  const user = await signUp(app);
  const res = await refresh(app, user.refreshToken);
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.user.id, user.id);
  assert.notEqual(body.refresh_token, user.refreshToken);
  assert.notEqual(body.access_token, user.accessToken);
  assert.equal(decodeJwt(body.access_token).sid, decodeJwt(user.accessToken).sid);
  assert.equal((await me(body.access_token)).statusCode, 200);
  assert.equal((await refresh(app, body.refresh_token)).statusCode, 200);
});

test('a spent refresh token is refused and revokes every token of its session', async () => {
  const user = await signUp(app);
  const newest = (await refresh(app, user.refreshToken)).json();
  const reused = await refresh(app, user.refreshToken);
  assert.equal(reused.statusCode, 401);
  assert.equal(reused.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal((await me(newest.access_token)).statusCode, 401);
  assert.equal((await me(user.accessToken)).statusCode, 401);
  assert.equal((await refresh(app, newest.refresh_token)).statusCode, 401);

  const warning = logs.lines
    .map((l) => JSON.parse(l))
    .find((l) => l.reason === 'refresh-token-reuse');
  assert.equal(warning?.level, 'warn');
  assert.equal(warning.session_id, decodeJwt(user.accessToken).sid);
  assert.ok(!logs.text().includes(user.refreshToken));
  assert.ok(!logs.text().includes(newest.refresh_token));
});

test('two concurrent uses of one refresh token: one wins, the other counts as reuse', async () => {
  const user = await signUp(app);
  const results = await Promise.all([
    refresh(app, user.refreshToken),
    refresh(app, user.refreshToken),
  ]);
  assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 401]);
  const winner = results.find((r) => r.statusCode === 200)!.json();
  assert.equal((await me(winner.access_token)).statusCode, 401);
  assert.equal((await refresh(app, winner.refresh_token)).statusCode, 401);
});

test('roles are read again at refresh, so a role change shows in the next access token', async () => {
  const user = await signUp(app);
  await database.db.insert(schema.userRoles).values({ userId: user.id, role: 'editor' });
  const body = (await refresh(app, user.refreshToken)).json();
  assert.deepEqual(decodeJwt(body.access_token).roles, ['editor', 'user']);
  assert.deepEqual(body.user.roles, ['editor', 'user']);
});

test('refresh validates its body with 400', async () => {
  for (const payload of [{}, { refresh_token: '' }]) {
    const res = await app.inject({ method: 'POST', url: '/accounts/v1/refresh', payload });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().errors[0].field, 'refresh_token');
  }
});

test('a session ends at its absolute expiry however often it is refreshed', async () => {
  const short = (await buildTestAuth({ SESSION_TTL: '2' })).app;
  // Auth runs in this process and reads its clock: held still, then moved on, instead of
  // sleeping (which also made a slow sign-up on a loaded machine look like an expired session).
  mock.timers.enable({ apis: ['Date'], now: Date.now() });
  try {
    const user = await signUp(short);
    mock.timers.tick(1000);
    const renewed = await refresh(short, user.refreshToken);
    assert.equal(renewed.statusCode, 200);
    mock.timers.tick(1300);
    const late = await refresh(short, renewed.json().refresh_token);
    assert.equal(late.statusCode, 401);
    assert.equal(late.json().status, 401);
  } finally {
    mock.timers.reset();
  }
});

test('every refused refresh answers the same 401 body', async () => {
  const unknown = await refresh(app, 'x'.repeat(43));
  const user = await signUp(app);
  await refresh(app, user.refreshToken);
  const spent = await refresh(app, user.refreshToken);
  const other = await signUp(app);
  await app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    headers: bearer(other.accessToken),
  });
  const revoked = await refresh(app, other.refreshToken);
  const shape = (res: Awaited<ReturnType<typeof refresh>>) => {
    const { request_id: _, ...rest } = res.json();
    return { status: res.statusCode, ...rest };
  };
  assert.equal(unknown.statusCode, 401);
  assert.deepEqual(shape(spent), shape(unknown));
  assert.deepEqual(shape(revoked), shape(unknown));
});
