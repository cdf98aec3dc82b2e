import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { bearer, buildTestAuth, signUp } from './helper.ts';

const { app } = await buildTestAuth();

test('register creates a user with the user role and never returns a password hash', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/accounts/v1/register',
    payload: { email: 'Ada@Example.com', username: 'ada', password: 'analytical engine 1843' },
  });
  assert.equal(res.statusCode, 201);
  const { user } = res.json();
  assert.equal(user.email, 'Ada@Example.com');
  assert.equal(user.username, 'ada');
  assert.equal(user.email_verified, false);
  assert.deepEqual(user.roles, ['user']);
  assert.deepEqual(user.permissions, ['posts:write']);
  assert.match(user.created_at, /^\d{4}-\d\d-\d\dT.*Z$/);
  assert.ok(!JSON.stringify(res.json()).includes('argon2'));
});

test('register refuses a taken email or username, case-insensitively, with 409', async () => {
  const base = { email: 'grace@example.com', username: 'grace', password: 'cobol compiler 1959' };
  assert.equal(
    (await app.inject({ method: 'POST', url: '/accounts/v1/register', payload: base })).statusCode,
    201,
  );
  const sameEmail = await app.inject({
    method: 'POST',
    url: '/accounts/v1/register',
    payload: { ...base, username: 'other', email: 'GRACE@example.com' },
  });
  assert.equal(sameEmail.statusCode, 409);
  assert.equal(sameEmail.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(sameEmail.json().errors[0].field, 'email');
  const sameName = await app.inject({
    method: 'POST',
    url: '/accounts/v1/register',
    payload: { ...base, email: 'g2@example.com', username: 'GRACE' },
  });
  assert.equal(sameName.statusCode, 409);
  assert.equal(sameName.json().errors[0].field, 'username');
});

test('register validates every field with 400 and a list of errors', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/accounts/v1/register',
    payload: { email: 'not-an-email', username: 'x', password: 'short' },
  });
  assert.equal(res.statusCode, 400);
  const body = res.json();
  assert.equal(body.status, 400);
  assert.ok(body.request_id);
  const fields = body.errors.map((e: { field: string }) => e.field).sort();
  assert.deepEqual(fields, ['email', 'password', 'username']);
});

test('register refuses one of the 10,000 commonest passwords', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/accounts/v1/register',
    payload: { email: 'common@example.com', username: 'common', password: 'Password123' },
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().errors[0].field, 'password');
});

test('register refuses a password of one character repeated, spaces included', async () => {
  for (const [i, password] of ['        ', 'qqqqqqqqqqqq', '\u00e9'.repeat(9)].entries()) {
    const res = await app.inject({
      method: 'POST',
      url: '/accounts/v1/register',
      payload: { email: `repeated${i}@example.com`, username: `repeated${i}`, password },
    });
    assert.equal(res.statusCode, 400, JSON.stringify(password));
    assert.equal(res.json().code, 'validation_failed');
    assert.equal(res.json().errors[0].field, 'password');
  }
});

test('login by email or username returns a token pair whose access token carries the claims', async () => {
  const user = await signUp(app);
  for (const payload of [
    { email: user.email, password: user.password },
    { username: user.username.toUpperCase(), password: user.password },
  ]) {
    const res = await app.inject({ method: 'POST', url: '/accounts/v1/login', payload });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 900);
    assert.equal(body.user.id, user.id);
    assert.match(body.refresh_token, /^[\w-]{43}$/);
    const claims = decodeJwt(body.access_token);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.iss, 'auth');
    assert.equal(claims.aud, 'microservice-template');
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 900);
    assert.ok(claims.sid && claims.jti);
    assert.deepEqual(claims.roles, ['user']);
    assert.deepEqual(claims.permissions, ['posts:write']);
    assert.equal(decodeProtectedHeader(body.access_token).alg, 'EdDSA');
  }
});

test('GET /user returns the signed-in user and 401 without a token', async () => {
  const user = await signUp(app);
  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.statusCode, 200);
  assert.equal(me.json().user.email, user.email);
  const anonymous = await app.inject({ url: '/accounts/v1/user' });
  assert.equal(anonymous.statusCode, 401);
  assert.equal(anonymous.json().status, 401);
});

test('JWKS publishes the public signing key and no private part', async () => {
  const res = await app.inject({ url: '/accounts/v1/.well-known/jwks.json' });
  assert.equal(res.statusCode, 200);
  const { keys } = res.json();
  assert.equal(keys.length, 1);
  assert.equal(keys[0].kty, 'OKP');
  assert.equal(keys[0].crv, 'Ed25519');
  assert.equal(keys[0].d, undefined);
});

test('a malformed username or email is described in words, never by its regular expression', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/accounts/v1/register',
    payload: { email: 'not-an-address', username: 'ada lovelace', password: 'analytical 1843' },
  });
  assert.equal(res.statusCode, 400, res.body);
  assert.deepEqual(res.json().errors, [
    { field: 'email', message: 'must be an email address' },
    { field: 'username', message: 'must be letters, digits, dots, dashes or underscores' },
  ]);
});
