import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { buildTestMain, manifest } from '../../main/test/helper.ts';
import { closeAtEnd, startGateway } from './helpers.ts';
import { eventually, post, signUp, startAuthService } from './services.ts';

const PIN = { name: 'posts:pin', description: 'Pin posts to the top', roles: ['user'] };

/** A main instance declaring `permissions`, once it reports ready (auth has them). */
async function startMain(authUrl: string, permissions: typeof manifest.permissions) {
  const main = await buildTestMain({ AUTH_URL: authUrl }, { permissions });
  await eventually(
    async () => (await main.app.inject({ url: '/health/ready' })).statusCode === 200,
    30_000,
  );
  return main;
}

test('a permission main declares reaches the tokens auth signs, and leaves them when main drops it, with no auth migration', async () => {
  const { cleanup } = closeAtEnd();
  const auth = await startAuthService();
  cleanup(auth.stop);
  const { app, url } = await startGateway({ AUTH_URLS: auth.url }, { auth: 'real' });
  cleanup(() => app.close());
  const user = await signUp(url);
  const permissionsAtLogin = async () => {
    const res = await post(`${url}/accounts/v1/login`, {
      email: user.email,
      password: user.password,
    });
    assert.equal(res.status, 200);
    const { access_token } = (await res.json()) as { access_token: string };
    return decodeJwt(access_token).permissions as string[];
  };
  assert.deepEqual(await permissionsAtLogin(), ['posts:write']);

  await startMain(auth.url, [...manifest.permissions, PIN]);
  assert.deepEqual((await permissionsAtLogin()).sort(), ['posts:pin', 'posts:write']);

  // The next version of main no longer declares it.
  await startMain(auth.url, manifest.permissions);
  assert.deepEqual(await permissionsAtLogin(), ['posts:write']);
});
