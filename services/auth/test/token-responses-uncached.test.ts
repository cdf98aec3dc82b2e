import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeAt } from '../src/second-factor/totp.ts';
import { bearer, buildTestAuth, enrolledUser, mfaChallenge, signUp } from './helper.ts';
import { softwareAuthenticator } from './software-authenticator.ts';

/**
 * Every answer that hands out tokens (or the `mfa_token` a sign-in continues with) says
 * `Cache-Control: no-store` and `Pragma: no-cache`, as RFC 6749 §5.1 asks of a token response:
 * no browser, proxy or CDN between the client and the gateway may keep a copy. Only
 * `/oauth/token`, the MFA enrolment and the passkey options said so; `/login`, `/login/mfa`,
 * `/refresh` and `/login/passkey` said nothing.
 */
const { app } = await buildTestAuth();

const post = (url: string, payload: object, token?: string) =>
  app.inject({
    method: 'POST',
    url: `/accounts/v1${url}`,
    payload,
    ...(token ? { headers: bearer(token) } : {}),
  });

function assertUncached(res: {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}) {
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['cache-control'], 'no-store', res.body.slice(0, 80));
  assert.equal(res.headers.pragma, 'no-cache');
}

test('password sign-in and refresh answers are not stored by any cache', async () => {
  const user = await signUp(app);
  const byEmail = await post('/login', { email: user.email, password: user.password });
  assertUncached(byEmail);
  assertUncached(await post('/login', { username: user.username, password: user.password }));
  assertUncached(await post('/refresh', { refresh_token: byEmail.json().refresh_token }));
});

test('the MFA challenge and the sign-in that completes it are not stored either', async () => {
  const user = await enrolledUser(app, { codeAgoMs: 30_000 });
  const challenge = await post('/login', { email: user.email, password: user.password });
  assertUncached(challenge);
  assert.equal(challenge.json().mfa_required, true);
  const mfaToken = await mfaChallenge(app, user.email, user.password);
  assertUncached(await post('/login/mfa', { mfa_token: mfaToken, code: codeAt(user.secret) }));
});

test('a passkey sign-in answer is not stored either', async () => {
  const user = await signUp(app);
  const authenticator = softwareAuthenticator();
  const creation = await post('/user/passkeys/registration-options', {}, user.accessToken);
  const added = await post(
    '/user/passkeys',
    { response: authenticator.create(creation.json()) },
    user.accessToken,
  );
  assert.equal(added.statusCode, 201, added.body);
  const options = (await post('/login/passkey/options', {})).json();
  assertUncached(
    await post('/login/passkey', {
      challenge_id: options.challenge_id,
      response: authenticator.get(options),
    }),
  );
});
