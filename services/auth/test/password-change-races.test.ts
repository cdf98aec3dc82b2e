import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tokenIn, waitForMail } from './accounts-mail.ts';
import { bearer, buildTestAuth, revokedWhileWaiting, signUp, sql } from './helper.ts';

/**
 * Whoever knows the old password signs in over and over while the owner changes or resets it. A
 * sign-in that checked the old password before the change committed must not open a session
 * after it: the change revokes every session it can see, and one opened a moment later would
 * outlive it (the intruder keeps a way in although the owner did everything right).
 */
// Production's argon2 cost: the races are with sign-ins in the middle of their password check,
// and how many go by while a change waits depends on how long a check takes.
const auth = await buildTestAuth({}, { productionHashing: true });
const { app } = auth;

const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: `/accounts/v1${url}`, payload, headers });

/** Signs in with `password` in `lanes` parallel loops until `stop()` resolves; the pairs got. */
async function hammer(email: string, password: string, lanes: number, stop: Promise<unknown>) {
  let stopped = false;
  void stop.finally(() => {
    stopped = true;
  });
  const got: { access: string; refresh: string }[] = [];
  const lane = async () => {
    while (!stopped) {
      const res = await post('/login', { email, password });
      if (res.statusCode === 200) {
        got.push({ access: res.json().access_token, refresh: res.json().refresh_token });
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return got;
}

async function assertAllSignedOut(pairs: { access: string; refresh: string }[]) {
  assert.ok(pairs.length > 0, 'some sign-ins with the old password went through before it changed');
  const alive: number[] = [];
  for (const [i, pair] of pairs.entries()) {
    const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(pair.access) });
    const refreshed = await post('/refresh', { refresh_token: pair.refresh });
    if (me.statusCode !== 401 || refreshed.statusCode !== 401) alive.push(i);
  }
  assert.deepEqual(alive, [], `${alive.length} of ${pairs.length} old-password sessions survived`);
}

test('no sign-in with the old password survives a password change made while it ran', async () => {
  const user = await signUp(app);
  const changed = (async () => {
    // Let the loops get going, so sign-ins are in flight when the change commits.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const res = await post(
      '/change-password',
      { current_password: user.password, new_password: 'a brand new passphrase' },
      bearer(user.accessToken),
    );
    assert.equal(res.statusCode, 204, res.body);
    // A little longer: a sign-in that straddled the commit finishes after it.
    await new Promise((resolve) => setTimeout(resolve, 300));
  })();
  const pairs = await hammer(user.email, user.password, 4, changed);
  await changed;
  await assertAllSignedOut(pairs);
  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.statusCode, 200, 'the session that changed the password stays');
});

test('no sign-in with the old password survives a password reset made while it ran', async () => {
  const user = await signUp(app);
  await post('/reset-password', { email: user.email });
  const token = tokenIn(await waitForMail(auth, user.email, 'Reset your password'));
  const reset = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const res = await post('/reset-password/confirm', {
      token,
      new_password: 'reset passphrase 9',
    });
    assert.equal(res.statusCode, 204, res.body);
    await new Promise((resolve) => setTimeout(resolve, 300));
  })();
  const pairs = await hammer(user.email, user.password, 4, reset);
  await reset;
  await assertAllSignedOut([...pairs, { access: user.accessToken, refresh: user.refreshToken }]);
});

/**
 * Sign-ins lock the user's row to open their session. A shared lock let every new sign-in pass
 * a change waiting for the row, so whoever holds the password and keeps sign-ins overlapping held
 * the owner's password change back for as long as they kept at it (10–15 s, then a 500, here).
 * The lock they take now queues: a change waits for the sign-ins ahead of it, not for the flood.
 */
test('a password change goes through while sign-ins of the account keep coming', async () => {
  const user = await signUp(app);
  let stopped = false;
  let signIns = 0;
  const lane = async () => {
    while (!stopped) {
      await post('/login', { email: user.email, password: user.password });
      signIns += 1;
    }
  };
  const lanes = Array.from({ length: 12 }, lane);
  try {
    while (signIns < 50) await new Promise((resolve) => setTimeout(resolve, 10));
    const before = signIns;
    const res = await post(
      '/change-password',
      { current_password: user.password, new_password: 'a-new-Secret-after-the-flood-42' },
      bearer(user.accessToken),
    );
    const during = signIns - before;
    assert.equal(res.statusCode, 204, res.body);
    // The twelve in the queue ahead of it and those finishing their password check meanwhile;
    // a change held back by the flood saw a thousand and more.
    assert.ok(during < 200, `${during} sign-ins went by while the change waited`);
  } finally {
    stopped = true;
    await Promise.all(lanes);
  }
});

// The current password was checked before the change locked anything: a reset by the owner that
// committed meanwhile (new password, every session revoked) was overwritten by the change of
// whoever knew the old password, from a session the reset had signed out.
test('a password change whose session a reset revoked while it waited does not undo the reset', async () => {
  const user = await signUp(app);
  const res = await revokedWhileWaiting(
    auth.databaseUrl,
    user.id,
    () =>
      post(
        '/change-password',
        { current_password: user.password, new_password: 'the intruder keeps the account 7' },
        bearer(user.accessToken),
      ),
    (holder) =>
      holder.query(`update users set password_hash = 'set by the reset' where id = $1`, [user.id]),
  );
  assert.equal(res.statusCode, 401, res.body);
  const [row] = await sql(auth.databaseUrl, 'select password_hash from users where id = $1', [
    user.id,
  ]);
  assert.equal(row.password_hash, 'set by the reset');
});
