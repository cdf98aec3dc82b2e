import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { bearer, buildTestAuth, login, signUp } from './helper.ts';
import { softwareAuthenticator } from './software-authenticator.ts';

/**
 * A user who is losing a role signs in over and over (passkeys and the password) while an admin
 * takes the role away. Taking a role away revokes the sessions it sees; a sign-in that read the
 * old roles and committed its session just after must not keep a token with the role.
 */
const ADMIN = { email: 'races-chief@example.com', password: 'races admin passphrase 7' };
// Production's argon2 cost: the password sign-ins race the change in the middle of their check.
const { app } = await buildTestAuth(
  { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
  { productionHashing: true },
);

const post = (url: string, payload: object, token?: string) =>
  app.inject({
    method: 'POST',
    url: `/accounts/v1${url}`,
    payload,
    ...(token ? { headers: bearer(token) } : {}),
  });

test('no sign-in keeps a role that was taken away while it ran', async () => {
  const chief = await login(app, ADMIN.email, ADMIN.password);
  const user = await signUp(app);
  const authenticators = [softwareAuthenticator(), softwareAuthenticator()];
  for (const authenticator of authenticators) {
    const options = (
      await post('/user/passkeys/registration-options', {}, user.accessToken)
    ).json();
    const added = await post(
      '/user/passkeys',
      { response: authenticator.create(options) },
      user.accessToken,
    );
    assert.equal(added.statusCode, 201, added.body);
  }
  const setRoles = async (roles: string[]) => {
    const res = await app.inject({
      method: 'PUT',
      url: `/accounts/v1/users/${user.id}/roles`,
      headers: bearer(chief.accessToken),
      payload: { roles },
    });
    assert.equal(res.statusCode, 200, res.body);
  };

  let stopped = false;
  const tokens: string[] = [];
  const passkeyLane = async (authenticator: ReturnType<typeof softwareAuthenticator>) => {
    while (!stopped) {
      const options = (await post('/login/passkey/options', {})).json();
      const res = await post('/login/passkey', {
        challenge_id: options.challenge_id,
        response: authenticator.get(options),
      });
      assert.equal(res.statusCode, 200, res.body);
      tokens.push(res.json().access_token);
    }
  };
  const passwordLane = async () => {
    while (!stopped) {
      const res = await post('/login', { email: user.email, password: user.password });
      assert.equal(res.statusCode, 200, res.body);
      tokens.push(res.json().access_token);
    }
  };
  const lanes = Promise.all([...authenticators.map(passkeyLane), passwordLane()]);
  const pause = () => new Promise((resolve) => setTimeout(resolve, 40));
  for (let round = 0; round < 12; round++) {
    await setRoles(['user', 'editor']);
    await pause();
    await setRoles(['user']);
    await pause();
  }
  stopped = true;
  await lanes;

  const editorTokens = tokens.filter((t) => (decodeJwt(t).roles as string[]).includes('editor'));
  assert.ok(editorTokens.length > 0, 'sign-ins ran while the user was an editor');
  let alive = 0;
  for (const token of editorTokens) {
    const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(token) });
    if (me.statusCode !== 401) alive += 1;
  }
  assert.equal(alive, 0, `${alive} of ${editorTokens.length} editor tokens outlived the change`);
});
