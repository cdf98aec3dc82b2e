import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeAt } from '../src/second-factor/totp.ts';
import { tokenIn, waitForMail } from './accounts-mail.ts';
import { bearer, buildTestAuth, enrolledUser, finishMfa, sql } from './helper.ts';

// An mfa_token proves the password as it was when it was handed out. A reset or a change that
// signs the user out everywhere must also end the sign-ins still waiting for their second step:
// otherwise whoever held the old password (and a code, a recovery code) finishes one afterwards
// and gets a session the owner believes they just ended.

const auth = await buildTestAuth();
const { app } = auth;

async function passwordStep(email: string, password: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/accounts/v1/login',
    payload: { email, password },
  });
  assert.equal(res.statusCode, 200, res.body);
  const token = res.json().mfa_token as string;
  assert.ok(token, 'MFA is on: the password step gives an mfa_token');
  return token;
}

const secondStep = (mfaToken: string, proof: Record<string, string>) =>
  finishMfa(app, { mfa_token: mfaToken, ...proof });

test('a password reset ends sign-ins waiting for their second step', async () => {
  const user = await enrolledUser(app, { codeAgoMs: 30_000 });
  // Verified: a reset of a never-verified account removes its factor too (passwords-reset.test.ts).
  await sql(auth.databaseUrl, 'update users set email_verified = true where id = $1', [user.id]);
  const oldPasswordToken = await passwordStep(user.email, user.password);

  const asked = await app.inject({
    method: 'POST',
    url: '/accounts/v1/reset-password',
    payload: { email: user.email },
  });
  assert.equal(asked.statusCode, 202);
  const token = tokenIn(await waitForMail(auth, user.email, 'Reset your password'));
  const reset = await app.inject({
    method: 'POST',
    url: '/accounts/v1/reset-password/confirm',
    payload: { token, new_password: 'the owner took it back 1' },
  });
  assert.equal(reset.statusCode, 204, reset.body);

  const late = await secondStep(oldPasswordToken, { recovery_code: user.recoveryCodes[0]! });
  assert.equal(late.statusCode, 401, late.body);
  assert.equal(late.json().code, 'invalid_mfa_token');

  // The owner signs in with the new password and the same code as ever.
  const fresh = await passwordStep(user.email, 'the owner took it back 1');
  const done = await secondStep(fresh, { code: codeAt(user.secret) });
  assert.equal(done.statusCode, 200, done.body);
});

test('a password change ends sign-ins waiting for their second step, and keeps the caller', async () => {
  const user = await enrolledUser(app, { codeAgoMs: 30_000 });
  const oldPasswordToken = await passwordStep(user.email, user.password);

  const changed = await app.inject({
    method: 'POST',
    url: '/accounts/v1/change-password',
    headers: bearer(user.accessToken),
    payload: { current_password: user.password, new_password: 'a fresh passphrase 22' },
  });
  assert.equal(changed.statusCode, 204, changed.body);

  const late = await secondStep(oldPasswordToken, { code: codeAt(user.secret) });
  assert.equal(late.statusCode, 401, late.body);
  assert.equal(late.json().code, 'invalid_mfa_token');

  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.statusCode, 200, 'the session that changed the password stays');
});
