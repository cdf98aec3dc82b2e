import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect } from '@platform/db';
import * as schema from '../src/db/schema.ts';
import { pruneExpired } from '../src/internal/prune.ts';
import { codeAt } from '../src/second-factor/totp.ts';
import {
  bearer,
  buildTestAuth,
  enrolledUser,
  finishMfa,
  mfaChallenge,
  signUp,
  sql,
  startTotpEnrolment,
} from './helper.ts';

// An attacker who has the password is what a second factor is for. A six-digit code, accepted for
// its step and one either side, is guessed with odds of 3 in a million a try: at the password's
// ceiling (100 wrong answers an account per 15 minutes, from addresses enough to pass the 5 per
// address) that is 9,600 guesses a day, even odds in about three weeks.

const { app, config, databaseUrl } = await buildTestAuth();
const database = connect(databaseUrl, schema);
after(() => database.close());

test('wrong codes from many addresses meet a ceiling far below the password’s, and the owner still signs in from home', async () => {
  const user = await enrolledUser(app);
  const mfaToken = await mfaChallenge(app, user.email, user.password);
  assert.ok(mfaToken);
  const wrong = () => {
    const near = [-30_000, 0, 30_000].map((d) => codeAt(user.secret, Date.now() + d));
    return ['000000', '111111', '222222', '333333'].find((c) => !near.includes(c))!;
  };
  let judged = 0;
  let refusedEverywhere = false;
  for (let a = 1; a <= 40 && !refusedEverywhere; a++) {
    let refusedHere = 0;
    for (let i = 0; i < config.LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/accounts/v1/login/mfa',
        payload: { mfa_token: mfaToken, code: wrong() },
        remoteAddress: `198.51.100.${a}`,
      });
      if (res.statusCode === 401) judged++;
      else if (res.statusCode === 429) refusedHere++;
      else assert.fail(`${res.statusCode} ${res.body}`);
    }
    // A fresh address refused at its first try: the account's ceiling, not the address's limit.
    refusedEverywhere = refusedHere === config.LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS;
  }
  assert.ok(refusedEverywhere, `${judged} wrong codes checked and still no ceiling`);
  assert.ok(
    judged <= config.MFA_MAX_FAILURES_PER_ACCOUNT,
    `${judged} wrong codes checked before the ceiling (at most ${config.MFA_MAX_FAILURES_PER_ACCOUNT})`,
  );
  assert.ok(config.MFA_MAX_FAILURES_PER_ACCOUNT <= 20);
  assert.ok(config.MFA_FAILURE_WINDOW >= 6 * 3600);

  // The owner, at the address they signed in from, is spared.
  const signedIn = await finishMfa(app, { mfa_token: mfaToken, code: codeAt(user.secret) });
  assert.equal(signedIn.statusCode, 200, signedIn.body);
});

// The ceiling spares the owner's addresses, those they signed in from. Whoever has the password
// may have signed in with it too, before the owner turned MFA on (which signs them out), and signed
// out themselves first or not: their addresses are not the owner's, and must not be spared. Spared,
// each took 5 codes per 15 minutes past the ceiling (480 a day an address, from a handful of
// addresses the odds the ceiling was made to deny).
test('addresses that signed in before MFA was on are not spared from the code ceiling', async () => {
  const user = await signUp(app);
  const intruders = ['203.0.113.21', '203.0.113.22'];
  const signInFrom = (remoteAddress: string) =>
    app.inject({
      method: 'POST',
      url: '/accounts/v1/login',
      payload: { email: user.email, password: user.password },
      remoteAddress,
    });
  for (const address of intruders) {
    const res = await signInFrom(address);
    assert.equal(res.statusCode, 200, res.body);
    // One signs out before the owner acts, the other is signed out by MFA turned on.
    if (address === intruders[0]) {
      const out = await app.inject({
        method: 'POST',
        url: '/accounts/v1/logout',
        headers: bearer(res.json().access_token),
        remoteAddress: address,
      });
      assert.equal(out.statusCode, 204, out.body);
    }
  }
  const { secret } = await startTotpEnrolment(app, user);
  const on = await app.inject({
    method: 'POST',
    url: '/accounts/v1/user/mfa/totp/verify',
    headers: bearer(user.accessToken),
    payload: { code: codeAt(secret) },
  });
  assert.equal(on.statusCode, 200, on.body);

  const challenge = await signInFrom(intruders[1]!);
  const mfaToken = challenge.json().mfa_token as string;
  assert.ok(mfaToken, challenge.body);
  const wrong = () => {
    const near = [-30_000, 0, 30_000].map((d) => codeAt(secret, Date.now() + d));
    return ['000000', '111111', '222222', '333333'].find((c) => !near.includes(c))!;
  };
  const guess = (remoteAddress: string) =>
    app.inject({
      method: 'POST',
      url: '/accounts/v1/login/mfa',
      payload: { mfa_token: mfaToken, code: wrong() },
      remoteAddress,
    });
  // The ceiling, from addresses nobody signed in from.
  for (let n = 0; n < config.MFA_MAX_FAILURES_PER_ACCOUNT; n++) {
    const res = await guess(
      `192.0.2.${1 + Math.floor(n / config.LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS)}`,
    );
    assert.equal(res.statusCode, 401, res.body);
  }
  // Past the ceiling a spared address still has its codes checked (a wrong one then meets the
  // lock too), so the code that would be right is what tells the two apart: an unspent one.
  for (const address of intruders) {
    const res = await app.inject({
      method: 'POST',
      url: '/accounts/v1/login/mfa',
      payload: { mfa_token: mfaToken, code: codeAt(secret, Date.now() + 30_000) },
      remoteAddress: address,
    });
    assert.equal(res.statusCode, 429, `${address} was spared, its code checked`);
  }
  // The owner, at the address of the session that turned MFA on, still is, also once signed out
  // of it. (A recovery code: the current TOTP code turned MFA on and is spent.)
  const out = await app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    headers: bearer(user.accessToken),
  });
  assert.equal(out.statusCode, 204, out.body);
  const owner = await finishMfa(app, {
    mfa_token: await mfaChallenge(app, user.email, user.password),
    recovery_code: (on.json().recovery_codes as string[])[0],
  });
  assert.equal(owner.statusCode, 200, owner.body);
});

test('pruning keeps the count of wrong codes for its whole window', async () => {
  const user = await enrolledUser(app);
  const mfaToken = await mfaChallenge(app, user.email, user.password);
  const near = [-30_000, 0, 30_000].map((d) => codeAt(user.secret, Date.now() + d));
  const code = ['000000', '111111', '222222'].find((c) => !near.includes(c))!;
  const res = await finishMfa(app, { mfa_token: mfaToken, code });
  assert.equal(res.statusCode, 401, res.body);
  const key = `account:mfa:user:${user.id}`;
  // An hour on: past the password's window, within the codes'.
  await sql(
    databaseUrl,
    `update login_failures set window_started_at = now() - interval '1 hour', pending = 0
      where key = $1 or key = $2`,
    [key, `account:user:${user.id}`],
  );
  await pruneExpired({ db: database.db, config });
  const left = await sql(databaseUrl, 'select failures from login_failures where key = $1', [key]);
  assert.deepEqual(left, [{ failures: 1 }]);
});
