import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mailsTo } from './accounts-mail.ts';
import { bearer, buildTestAuth, signUp } from './helper.ts';

const auth = await buildTestAuth();

// Each account may ask for a few email changes; many accounts naming the same address (a
// victim's, or one that belongs to an account) mailed it once each, a flood from one script.
test('many accounts asking for one new address mail it three times a window, and answer alike', async () => {
  const victim = `victim-${process.pid}@example.com`;
  for (let i = 0; i < 5; i++) {
    const user = await signUp(auth.app);
    const res = await auth.app.inject({
      method: 'PATCH',
      url: '/accounts/v1/user',
      headers: bearer(user.accessToken),
      payload: { email: victim, current_password: user.password },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().user.pending_email, victim);
    // The current address is told every time.
    assert.equal(
      (await mailsTo(auth, user.email, 'Your email address is being changed')).length,
      1,
    );
  }
  assert.equal((await mailsTo(auth, victim)).length, 3);
  // Another address is not held back by it.
  const other = await signUp(auth.app);
  const elsewhere = `elsewhere-${process.pid}@example.com`;
  await auth.app.inject({
    method: 'PATCH',
    url: '/accounts/v1/user',
    headers: bearer(other.accessToken),
    payload: { email: elsewhere, current_password: other.password },
  });
  assert.equal((await mailsTo(auth, elsewhere)).length, 1);
});
