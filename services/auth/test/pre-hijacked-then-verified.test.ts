import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeAt } from '../src/second-factor/totp.ts';
import { tokenIn, waitForMail } from './accounts-mail.ts';
import { bearer, buildTestAuth, enrolledUser, sql as runSql, signUp } from './helper.ts';
import { softwareAuthenticator } from './software-authenticator.ts';

const auth = await buildTestAuth();
const { app } = auth;
const sql = (text: string, values: unknown[] = []) => runSql(auth.databaseUrl, text, values);

const post = (url: string, payload: object, token?: string) =>
  app.inject({
    method: 'POST',
    url: `/accounts/v1${url}`,
    ...(token ? { headers: bearer(token) } : {}),
    payload,
  });

/** Adds a passkey to the signed-in user; returns a sign-in with it (its status). */
async function addPasskey(accessToken: string) {
  const authenticator = softwareAuthenticator();
  const options = (await post('/user/passkeys/registration-options', {}, accessToken)).json();
  const added = await post(
    '/user/passkeys',
    { response: authenticator.create(options) },
    accessToken,
  );
  assert.equal(added.statusCode, 201, added.body);
  return async () => {
    const login = (await post('/login/passkey/options', {})).json();
    return (
      await post('/login/passkey', {
        challenge_id: login.challenge_id,
        response: authenticator.get(login),
      })
    ).statusCode;
  };
}

/** The owner of the mailbox follows the mails: the registration's link, then a reset. */
async function ownerVerifiesThenResets(email: string, newPassword: string) {
  const verify = tokenIn(await waitForMail(auth, email, 'Confirm your email address'));
  assert.equal((await post('/verify-email', { token: verify })).statusCode, 204);
  assert.equal((await post('/reset-password', { email })).statusCode, 202);
  const reset = tokenIn(await waitForMail(auth, email, 'Reset your password'));
  const confirmed = await post('/reset-password/confirm', {
    token: reset,
    new_password: newPassword,
  });
  assert.equal(confirmed.statusCode, 204, confirmed.body);
}

test('a reset removes the passkeys and second factor added before the email was verified, even once the owner clicked the link', async () => {
  // Pre-hijacking: the intruder registers with the victim's address, turns TOTP on and adds a
  // passkey. The victim, finding the address taken, clicks the registration mail's link (which
  // verified the account, so the reset kept both), then resets the password: the intruder kept a
  // passkey sign-in to the account the victim now uses, or locked the victim out with the factor.
  const intruder = await enrolledUser(app);
  const intruderSignIn = await addPasskey(intruder.accessToken);
  assert.equal(await intruderSignIn(), 200);

  await ownerVerifiesThenResets(intruder.email, 'the real owner phrase');

  assert.equal(await intruderSignIn(), 401, 'the intruder passkey still signs in');
  const signedIn = await post('/login', {
    email: intruder.email,
    password: 'the real owner phrase',
  });
  assert.equal(signedIn.statusCode, 200, signedIn.body);
  assert.ok(signedIn.json().access_token, 'the intruder second factor still stands');
  assert.equal(signedIn.json().user.email_verified, true);
  const removed = await sql(
    `select type from audit_events
      where user_id = $1 and (details->>'how' = 'password_reset' or details->>'reason' = 'password_reset')
      order by id`,
    [intruder.id],
  );
  assert.deepEqual(
    removed.map((e) => e.type),
    ['passkey.removed', 'mfa.disabled'],
  );
});

test('what the owner adds once the email is verified survives a reset', async () => {
  const owner = await signUp(app);
  // The registration link first, then the second factor and passkey: both came with the proof.
  const verify = tokenIn(await waitForMail(auth, owner.email, 'Confirm your email address'));
  assert.equal((await post('/verify-email', { token: verify })).statusCode, 204);
  const { secret } = (
    await post('/user/mfa/totp', { current_password: owner.password }, owner.accessToken)
  ).json();
  const on = await post(
    '/user/mfa/totp/verify',
    { code: codeAt(secret, Date.now()) },
    owner.accessToken,
  );
  assert.equal(on.statusCode, 200, on.body);
  const ownerSignIn = await addPasskey(owner.accessToken);

  assert.equal((await post('/reset-password', { email: owner.email })).statusCode, 202);
  const reset = tokenIn(await waitForMail(auth, owner.email, 'Reset your password'));
  const confirmed = await post('/reset-password/confirm', {
    token: reset,
    new_password: 'new owner phrase',
  });
  assert.equal(confirmed.statusCode, 204);
  assert.equal(await ownerSignIn(), 200);
  const signedIn = await post('/login', { email: owner.email, password: 'new owner phrase' });
  assert.equal(signedIn.json().mfa_required, true);
});
