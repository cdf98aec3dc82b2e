import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mailsTo } from './accounts-mail.ts';
import { buildTestAuth, signUp } from './helper.ts';

/**
 * nodemailer, @simplewebauthn/server and openid-client load with their first use, not at start
 * (src/mail/transport.ts, src/passkeys/webauthn.ts, src/oidc/providers.ts). This file is its own
 * process: these requests are the first uses, several at once, as right after a deployment.
 */
const t = await buildTestAuth();

test('the first mails and passkey requests after start, several at once, all succeed', async () => {
  const users = await Promise.all([signUp(t.app), signUp(t.app), signUp(t.app)]);
  const options = await Promise.all([
    t.app.inject({ method: 'POST', url: '/accounts/v1/login/passkey/options', payload: {} }),
    t.app.inject({
      method: 'POST',
      url: '/accounts/v1/login/passkey/options',
      payload: { email: users[0]!.email },
    }),
    ...users.map((user) =>
      t.app.inject({
        method: 'POST',
        url: '/accounts/v1/user/passkeys/registration-options',
        headers: { authorization: `Bearer ${user.accessToken}` },
      }),
    ),
  ]);
  for (const res of options) {
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.json().challenge, /^[\w-]{16,}$/);
  }
  // A verification mail per sign-up, written by the transport loaded on first use.
  const deadline = Date.now() + 10_000;
  for (const user of users) {
    while ((await mailsTo(t, user.email)).length === 0) {
      assert.ok(Date.now() < deadline, `a mail to ${user.email}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
});
