import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { base64url, decodeJwt, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { readConfig } from '../src/config.ts';
import { bearer, buildTestAuth, signUp, TEST_SECRETS } from './helper.ts';
import { currentSigningKey } from './signing-key.ts';

const auth = await buildTestAuth();
const { app, config, databaseUrl } = auth;

const { kid, privateKey } = await currentSigningKey(databaseUrl);
const user = await signUp(app);
const real = decodeJwt(user.accessToken);
const now = Math.floor(Date.now() / 1000);
const claims = {
  sub: real.sub,
  sid: real.sid,
  roles: ['user'],
  permissions: ['posts:write'],
  iss: config.JWT_ISSUER,
  aud: config.JWT_AUDIENCE,
  iat: now,
  exp: now + 600,
  jti: randomUUID(),
};

/** Signs like the auth service does, with whatever claims or header a case changes. */
const sign = (overrides: JWTPayload = {}, header: Record<string, unknown> = {}, key = privateKey) =>
  new SignJWT({ ...claims, ...overrides })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt', ...header })
    .sign(key);

const encode = (part: object) => base64url.encode(JSON.stringify(part));

const getUser = (authorization: string) =>
  app.inject({ url: '/accounts/v1/user', headers: { authorization } });

async function assertRefused(authorization: string) {
  const res = await getUser(authorization);
  assert.equal(res.statusCode, 401);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(res.headers['www-authenticate'], 'Bearer');
  assert.equal(res.json().status, 401);
}

test('a token signed here with the real key is accepted (the cases below differ in one thing)', async () => {
  assert.equal((await getUser(`Bearer ${await sign()}`)).statusCode, 200);
});

test('an expired token is refused, beyond the clock tolerance', async () => {
  await assertRefused(`Bearer ${await sign({ iat: now - 120, exp: now - 30 })}`);
});

test('a token issued in the future, beyond the clock tolerance, is refused', async () => {
  await assertRefused(`Bearer ${await sign({ iat: now + 120, exp: now + 600 })}`);
  // Within the tolerance (clocks of two machines differ a little) it passes.
  assert.equal((await getUser(`Bearer ${await sign({ iat: now + 2 })}`)).statusCode, 200);
});

test('a token that lives longer than ACCESS_TOKEN_MAX_LIFETIME is refused', async () => {
  const max = config.ACCESS_TOKEN_MAX_LIFETIME;
  await assertRefused(`Bearer ${await sign({ iat: now, exp: now + max + 60 })}`);
  await assertRefused(`Bearer ${await sign({ iat: now - 10, exp: now + 30 * 24 * 3600 })}`);
  assert.equal((await getUser(`Bearer ${await sign({ exp: now + max })}`)).statusCode, 200);
});

test('auth refuses to start with ACCESS_TOKEN_TTL above ACCESS_TOKEN_MAX_LIFETIME', () => {
  const env = { DATABASE_URL: databaseUrl, ...TEST_SECRETS };
  assert.throws(() => readConfig({ ...env, ACCESS_TOKEN_TTL: '7200' }), {
    name: 'ConfigError',
    message: 'ACCESS_TOKEN_TTL is invalid: expected at most ACCESS_TOKEN_MAX_LIFETIME seconds',
  });
  const longer = readConfig({
    ...env,
    ACCESS_TOKEN_TTL: '7200',
    ACCESS_TOKEN_MAX_LIFETIME: '7200',
  });
  assert.equal(longer.ACCESS_TOKEN_TTL, 7200);
});

test('a token for another audience or from another issuer is refused', async () => {
  await assertRefused(`Bearer ${await sign({ aud: 'another-system' })}`);
  await assertRefused(`Bearer ${await sign({ iss: 'https://evil.example' })}`);
});

test('a token without a session id or of another type is refused', async () => {
  await assertRefused(`Bearer ${await sign({ sid: undefined })}`);
  await assertRefused(`Bearer ${await sign({}, { typ: 'JWT' })}`);
});

test('a token with a tampered payload is refused', async () => {
  const [header, , signature] = (await sign()).split('.');
  const payload = encode({ ...claims, roles: ['admin'], permissions: ['users:manage'] });
  await assertRefused(`Bearer ${header}.${payload}.${signature}`);
});

test('an unsigned token (alg: none) is refused', async () => {
  const header = encode({ alg: 'none', kid, typ: 'at+jwt' });
  await assertRefused(`Bearer ${header}.${encode(claims)}.`);
});

test('HS256 signed with the public key as the secret is refused', async () => {
  const jwks = (await app.inject({ url: '/accounts/v1/.well-known/jwks.json' })).json();
  const publicJwk = jwks.keys[0];
  for (const secret of [JSON.stringify(publicJwk), publicJwk.x]) {
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' })
      .sign(new TextEncoder().encode(secret));
    await assertRefused(`Bearer ${token}`);
  }
});

test('a token signed by a key the auth service never published is refused', async () => {
  const { privateKey: foreign } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  await assertRefused(`Bearer ${await sign({}, { kid: randomUUID() }, foreign)}`);
  await assertRefused(`Bearer ${await sign({}, {}, foreign)}`);
});

test('a session revoked on one replica is refused by another within a second', async () => {
  const replica = await buildTestAuth({}, { replicaOf: auth });
  const victim = await signUp(auth.app);
  const me = () =>
    replica.app.inject({ url: '/accounts/v1/user', headers: bearer(victim.accessToken) });
  assert.equal((await me()).statusCode, 200);
  const logout = await auth.app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    headers: bearer(victim.accessToken),
  });
  assert.equal(logout.statusCode, 204);
  const started = Date.now();
  while ((await me()).statusCode === 200) {
    assert.ok(Date.now() - started < 1000, 'still accepted after 1 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal((await me()).statusCode, 401);
});

test('garbage and other schemes are refused', async () => {
  await assertRefused('Bearer not-a-jwt');
  await assertRefused('Bearer a.b.c');
  await assertRefused('Bearer ');
  await assertRefused(`Basic ${Buffer.from('user:pass').toString('base64')}`);
  await assertRefused(`Token ${user.accessToken}`);
  await assertRefused(user.accessToken);
});
