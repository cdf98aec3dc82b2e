import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServiceAuth, TokenError } from '@platform/auth';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { permissionsFrom, startTokenIssuer } from '../src/token-issuer.ts';

const SERVICE_TOKEN = 'token-issuer-test-service-token-0123456789';
const issuer = await startTokenIssuer({ serviceToken: SERVICE_TOKEN });
// What a service builds from AUTH_URL, SERVICE_TOKEN, JWT_ISSUER and JWT_AUDIENCE.
const serviceAuth = createServiceAuth({
  authUrl: issuer.url,
  serviceToken: SERVICE_TOKEN,
  issuer: issuer.issuer,
  audience: issuer.audience,
  maxLifetime: 3600,
});
await serviceAuth.revocations.start();
after(() => serviceAuth.close());

const refusal = (token: string) =>
  serviceAuth.verify(token).then(
    () => undefined,
    (error: unknown) => {
      assert.ok(error instanceof TokenError, String(error));
      return error.message;
    },
  );

test("a service's verifier accepts the issuer's tokens, with the claims it was given", async () => {
  const minted = await issuer.token({ roles: ['user', 'editor'], permissions: ['posts:write'] });
  assert.deepEqual(await serviceAuth.verify(minted.accessToken), {
    userId: minted.userId,
    sessionId: minted.sessionId,
    roles: ['user', 'editor'],
    permissions: ['posts:write'],
  });
  // The claims and header auth signs, so nothing passes here that auth's tokens would not carry.
  const claims = decodeJwt(minted.accessToken);
  assert.deepEqual(Object.keys(claims).sort(), [
    'aud',
    'exp',
    'iat',
    'iss',
    'jti',
    'permissions',
    'roles',
    'sid',
    'sub',
  ]);
  assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 15 * 60);
  assert.equal(decodeProtectedHeader(minted.accessToken).typ, 'at+jwt');
  const again = await issuer.token({ userId: minted.userId });
  assert.equal((await serviceAuth.verify(again.accessToken)).userId, minted.userId);
  assert.notEqual(again.sessionId, minted.sessionId);
});

test('a revoked session is refused within a second; other sessions of the user are not', async () => {
  const revoked = await issuer.token({ roles: ['user'] });
  const other = await issuer.token({ userId: revoked.userId });
  await serviceAuth.verify(revoked.accessToken);
  const start = Date.now();
  issuer.revoke(revoked.sessionId);
  while ((await refusal(revoked.accessToken)) === undefined) {
    assert.ok(Date.now() - start < 1000, 'still accepted a second after the revocation');
    await sleep(20);
  }
  assert.equal(await refusal(revoked.accessToken), 'token revoked');
  assert.equal((await serviceAuth.verify(other.accessToken)).userId, revoked.userId);
});

test('tokens signed by another key, expired or for another audience are refused', async () => {
  const stranger = await startTokenIssuer();
  const forged = await stranger.token({ roles: ['admin'], permissions: ['users:manage'] });
  assert.ok(await refusal(forged.accessToken));
  // Past the verifier's five seconds of clock tolerance.
  const expired = await issuer.token({ expiresIn: -60 });
  assert.equal(await refusal(expired.accessToken), 'token expired');
  const elsewhere = await startTokenIssuer({ audience: 'another-system' });
  const foreign = await elsewhere.token();
  assert.ok(await refusal(foreign.accessToken));
});

test('the feed pages by id like auth, and needs the service token once one is set', async () => {
  const secret = 'a-service-token-for-this-test-only';
  const guarded = await startTokenIssuer({ serviceToken: secret });
  type Page = { items: { id: number; session_id: string; expires_at: string }[]; last_id: number };
  const feed = (query: string, headers: Record<string, string> = {}) =>
    fetch(`${guarded.url}/internal/revocations${query}`, { headers });
  const page = async (
    query: string,
    headers: Record<string, string> = { authorization: `Bearer ${secret}` },
  ) => {
    const res = await feed(query, headers);
    assert.equal(res.status, 200);
    return (await res.json()) as Page;
  };
  assert.equal((await feed('')).status, 401);
  assert.equal((await feed('', { authorization: 'Bearer wrong' })).status, 401);

  for (const id of ['s-1', 's-2', 's-3']) guarded.revoke(id);
  const first = await page('?after=0&limit=2');
  assert.deepEqual(
    first.items.map((i) => [i.id, i.session_id]),
    [
      [1, 's-1'],
      [2, 's-2'],
    ],
  );
  assert.equal(first.last_id, 2);
  assert.ok(Date.parse(first.items[0]!.expires_at) > Date.now() + 15 * 60_000);
  const rest = await page('?after=2', { 'x-service-token': secret });
  assert.deepEqual(
    rest.items.map((i) => i.session_id),
    ['s-3'],
  );
  assert.deepEqual(await page('?after=3'), { items: [], last_id: 3 });
  for (const query of ['?after=-1', '?after=abc', '?limit=0', '?limit=1001']) {
    assert.equal((await feed(query, { authorization: `Bearer ${secret}` })).status, 400, query);
  }
});

test("a service's role table grants the union of its roles' permissions; unknown roles throw", () => {
  const permissionsOf = permissionsFrom({ user: ['a:write'], editor: ['a:write', 'a:edit-any'] });
  assert.deepEqual(permissionsOf(['user', 'editor']), ['a:write', 'a:edit-any']);
  assert.deepEqual(permissionsOf([]), []);
  assert.throws(() => permissionsOf(['user', 'admni']), /no such role: admni/);
});
