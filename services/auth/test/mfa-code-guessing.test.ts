import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect } from '@platform/db';
import * as schema from '../src/db/schema.ts';
import { pruneExpired } from '../src/internal/prune.ts';
import { codeAt } from '../src/second-factor/totp.ts';
import { buildTestAuth, enrolledUser, finishMfa, mfaChallenge, sql } from './helper.ts';

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
