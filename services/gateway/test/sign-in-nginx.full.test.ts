import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '@platform/launcher';
import { startNginx } from '@platform/testing';
import { softwareAuthenticator } from '../../auth/test/software-authenticator.ts';
import { closeAtEnd, startGateway } from './helpers.ts';
import { startTestIdp, throughProvider } from './oidc-idp.ts';
import { eventually, post, startAuthService } from './services.ts';

/**
 * Provider sign-in and passkeys behind NGINX (as in Compose): NGINX is the public URL the provider
 * returns to and the origin passkeys are made on; redirects and bodies pass NGINX and the gateway.
 */
const { cleanup } = closeAtEnd();
const gatewayPort = await freePort();
const nginx = await startNginx({ upstream: `127.0.0.1:${gatewayPort}` });
cleanup(nginx.stop);
const origin = nginx.url;
const APP = 'https://app.example.com/signed-in';
const idp = await startTestIdp([`${origin}/accounts/v1/oauth/corp/callback`]);
cleanup(idp.close);
const auth = await startAuthService({
  PUBLIC_URL: origin,
  OAUTH_REDIRECT_URIS: APP,
  OIDC_PROVIDERS: JSON.stringify([
    {
      id: 'corp',
      name: 'Corporate IdP',
      issuer: idp.issuer,
      client_id: idp.clientId,
      client_secret: idp.clientSecret,
    },
  ]),
});
cleanup(auth.stop);
const gateway = await startGateway(
  { AUTH_URLS: auth.url, TRUST_PROXY: '127.0.0.1' },
  { auth: 'real', port: gatewayPort },
);
cleanup(() => gateway.app.close());
await eventually(async () => (await fetch(`${origin}/health/ready`)).status === 200, 30_000);

test('a user signs up with a provider and adds and uses a passkey, all through NGINX', async () => {
  idp.accounts.set('corp-1', { email: 'nginx-user@corp.test', email_verified: true });
  idp.signInAs('corp-1');
  const callback = await throughProvider(
    `${origin}/accounts/v1/oauth/corp/authorize?redirect_uri=${encodeURIComponent(APP)}`,
    `${origin}/accounts/v1/oauth/corp/callback`,
  );
  const back = await fetch(callback, { redirect: 'manual' });
  assert.equal(back.status, 302);
  const location = new URL(back.headers.get('location')!);
  assert.equal(`${location.origin}${location.pathname}`, APP);
  const code = location.searchParams.get('code')!;
  const exchanged = await post(`${origin}/accounts/v1/oauth/token`, { code });
  assert.equal(exchanged.status, 200);
  const tokens = (await exchanged.json()) as { access_token: string; user: { id: string } };
  const asUser = { authorization: `Bearer ${tokens.access_token}` };

  const authenticator = softwareAuthenticator({ origin });
  const options = (await (
    await post(`${origin}/accounts/v1/user/passkeys/registration-options`, {}, asUser)
  ).json()) as Parameters<typeof authenticator.create>[0];
  const added = await post(
    `${origin}/accounts/v1/user/passkeys`,
    { response: authenticator.create(options), name: 'Behind NGINX' },
    asUser,
  );
  assert.equal(added.status, 201, await added.clone().text());

  const request = (await (
    await post(`${origin}/accounts/v1/login/passkey/options`, {})
  ).json()) as { challenge_id: string; challenge: string; rpId: string };
  const signedIn = await post(`${origin}/accounts/v1/login/passkey`, {
    challenge_id: request.challenge_id,
    response: authenticator.get(request),
  });
  assert.equal(signedIn.status, 200, await signedIn.clone().text());
  assert.equal(((await signedIn.json()) as { user: { id: string } }).user.id, tokens.user.id);
});
