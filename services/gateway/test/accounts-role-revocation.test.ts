import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeAtEnd, echo, json, startGateway, startUpstream } from './helpers.ts';
import { eventually, post, signUp, startAuthService } from './services.ts';

/** Admin A demotes admin B: B's tokens in hand stop working at once, everywhere. */
const ADMIN = { email: 'chief.roles@example.com', password: 'gateway roles passphrase 7' };
const { cleanup } = closeAtEnd();
const auth = await startAuthService({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
cleanup(auth.stop);
// Main is a plain echo server: a 401 from /main proves the gateway itself refused the token.
const main = await startUpstream(echo('main'));
cleanup(main.close);
const gateway = await startGateway({ AUTH_URLS: auth.url, MAIN_URLS: main.url }, { auth: 'real' });
cleanup(() => gateway.app.close());
const { url } = gateway;
await eventually(async () => (await fetch(`${url}/health/ready`)).status === 200);

async function signIn(email: string, password: string) {
  const res = await post(`${url}/accounts/v1/login`, { email, password });
  assert.equal(res.status, 200);
  const body = await json<{ access_token: string; refresh_token: string }>(res);
  return { accessToken: body.access_token, refreshToken: body.refresh_token };
}
const authorization = (token: string) => ({ authorization: `Bearer ${token}` });
const setRoles = (base: string, id: string, roles: string[], token: string) =>
  fetch(`${base}/accounts/v1/users/${id}/roles`, {
    method: 'PUT',
    headers: { ...authorization(token), 'content-type': 'application/json' },
    body: JSON.stringify({ roles }),
  });
const rolesOf = async (id: string, token: string) => {
  const res = await fetch(`${url}/accounts/v1/users?limit=100`, { headers: authorization(token) });
  const { items } = await json<{ items: { id: string; roles: string[] }[] }>(res);
  return items.find((u) => u.id === id)?.roles;
};

test("a demoted admin's tokens are refused at auth at once and at the gateway within a second or so", async () => {
  const a = await signIn(ADMIN.email, ADMIN.password);
  const b = await signUp(url);
  assert.equal((await setRoles(url, b.id, ['user', 'admin'], a.accessToken)).status, 200);
  const bAdmin = await signIn(b.email, b.password);
  assert.equal(
    (await fetch(`${url}/accounts/v1/users`, { headers: authorization(bAdmin.accessToken) }))
      .status,
    200,
  );

  assert.equal((await setRoles(url, b.id, ['user'], a.accessToken)).status, 200);
  for (const token of [bAdmin.accessToken, b.accessToken]) {
    const atAuth = await fetch(`${auth.url}/accounts/v1/user`, { headers: authorization(token) });
    assert.equal(atAuth.status, 401);
  }
  await eventually(
    async () =>
      (await fetch(`${url}/main/v1/posts`, { headers: authorization(bAdmin.accessToken) }))
        .status === 401,
    5000,
  );

  // The old admin token cannot restore itself, through the gateway or straight at auth.
  for (const base of [url, auth.url]) {
    assert.equal((await setRoles(base, b.id, ['user', 'admin'], bAdmin.accessToken)).status, 401);
  }
  const refreshed = await post(`${url}/accounts/v1/refresh`, {
    refresh_token: bAdmin.refreshToken,
  });
  assert.equal(refreshed.status, 401);
  assert.deepEqual(await rolesOf(b.id, a.accessToken), ['user']);
  // Signing in again gives a token with what B has now.
  const again = await signIn(b.email, b.password);
  assert.equal(
    (await fetch(`${url}/accounts/v1/users`, { headers: authorization(again.accessToken) })).status,
    403,
  );
});

test('a role given keeps the tokens in hand working', async () => {
  const a = await signIn(ADMIN.email, ADMIN.password);
  const c = await signUp(url);
  assert.equal((await setRoles(url, c.id, ['user', 'editor'], a.accessToken)).status, 200);
  assert.equal(
    (await fetch(`${url}/accounts/v1/user`, { headers: authorization(c.accessToken) })).status,
    200,
  );
  assert.equal(
    (await fetch(`${url}/main/v1/posts`, { headers: authorization(c.accessToken) })).status,
    200,
  );
});
