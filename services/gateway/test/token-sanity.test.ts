import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { decodeJwt, type JWTPayload, SignJWT } from 'jose';
import { currentSigningKey } from '../../auth/test/signing-key.ts';
import { closeAtEnd, echo, startGateway, startUpstream } from './helpers.ts';
import { eventually, signUp, startAuthService } from './services.ts';

/**
 * Tokens signed with the real key (as a stolen key or a bug would sign them) but with an `iat`
 * in the future or a lifetime past ACCESS_TOKEN_MAX_LIFETIME (default 1 h): refused at the edge
 * before any service sees them, and by the service itself when reached directly.
 */
const { cleanup } = closeAtEnd();
const auth = await startAuthService();
cleanup(auth.stop);
let mainCalls = 0;
const main = await startUpstream((req, res) => {
  if (req.url !== '/health/ready') mainCalls += 1;
  echo('main')(req, res);
});
cleanup(main.close);
const gateway = await startGateway(
  { AUTH_URLS: auth.url, MAIN_URLS: main.url, HEALTH_INTERVAL_MS: 500 },
  { auth: 'real' },
);
cleanup(() => gateway.app.close());
await eventually(async () => (await fetch(`${gateway.url}/health/ready`)).status === 200);

const user = await signUp(gateway.url);
const real = decodeJwt(user.accessToken);
const { kid, privateKey } = await currentSigningKey(auth.databaseUrl);
const now = Math.floor(Date.now() / 1000);

/** A token like the real one, re-signed with the real key after `changes`. */
const forge = (changes: JWTPayload) =>
  new SignJWT({ ...real, jti: randomUUID(), ...changes })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
    .sign(privateKey);

const get = (base: string, path: string, token: string) =>
  fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });

async function refusedEverywhere(token: string) {
  const before = mainCalls;
  const atEdge = await get(gateway.url, '/main/v1/posts', token);
  assert.equal(atEdge.status, 401);
  assert.match(atEdge.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(mainCalls, before, 'the service behind the gateway saw the request');
  assert.equal((await get(gateway.url, '/accounts/v1/user', token)).status, 401);
  // The auth service, reached without the gateway, checks the same.
  assert.equal((await get(auth.url, '/accounts/v1/user', token)).status, 401);
}

test('a re-signed token with the real claims passes (the cases below change one thing)', async () => {
  const token = await forge({});
  assert.equal((await get(gateway.url, '/main/v1/posts', token)).status, 200);
  assert.equal((await get(auth.url, '/accounts/v1/user', token)).status, 200);
});

test('a token issued in the future is refused by the gateway and by the service', async () => {
  await refusedEverywhere(await forge({ iat: now + 600, exp: now + 900 }));
});

test('a token that lives longer than the maximum is refused by the gateway and by the service', async () => {
  await refusedEverywhere(await forge({ iat: now, exp: now + 7 * 24 * 3600 }));
  await refusedEverywhere(await forge({ iat: now - 60, exp: now + 3600 }));
});
