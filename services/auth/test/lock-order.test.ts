import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { codeAt } from '../src/second-factor/totp.ts';
import { bearer, buildTestAuth, signUp, sql, startTotpEnrolment } from './helper.ts';

const auth = await buildTestAuth();
const { app } = auth;

/** Waits until `n` transactions of the test database wait for a lock. */
async function waitingForLocks(n: number) {
  for (let i = 0; ; i++) {
    const [waiting] = await sql(
      auth.databaseUrl,
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (waiting.n >= n) return;
    assert.ok(i < 1000, `fewer than ${n} transactions waited for a lock`);
    await sleep(20);
  }
}

/**
 * Whatever removes a pending factor does so under the user's row lock, the row first: an account
 * deletion (its cascade), a reset of a never-verified account. Turning MFA on must lock in the
 * same order, else the two wait for each other and PostgreSQL aborts one as a deadlock (a 500).
 * Played here with the deletion's own statements in a transaction held open at the point where
 * the interleaving happens; the verify request is real.
 */
test('turning MFA on while the account is being deleted waits for the deletion instead of deadlocking', async () => {
  const user = await signUp(app);
  const { secret } = await startTotpEnrolment(app, user);

  const deletion = new pg.Client({ connectionString: auth.databaseUrl });
  await deletion.connect();
  try {
    await deletion.query('begin');
    await deletion.query('select id from users where id = $1 for no key update', [user.id]);
    const verify = app.inject({
      method: 'POST',
      url: '/accounts/v1/user/mfa/totp/verify',
      headers: bearer(user.accessToken),
      payload: { code: codeAt(secret, Date.now()) },
    });
    // The verify request now waits for a lock (the user's row).
    await waitingForLocks(1);
    // Cascades to the pending factor, which the verify request must not be holding.
    await deletion.query('delete from users where id = $1', [user.id]);
    await deletion.query('commit');
    const res = await verify;
    assert.notEqual(res.statusCode, 500, res.body);
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, res.body);
  } finally {
    await deletion.end();
  }
});

/**
 * A refresh spends its token and then touches its session; an account deletion revoked the
 * sessions and then deleted the user, whose cascade reaches the refresh tokens: the opposite
 * order. Both real requests, lined up by a transaction that holds the session's row: the deletion
 * queues for it first, the refresh second, and the row goes to the deletion when it is let go.
 */
test('a refresh racing the deletion of its account is refused, not a 500; the deletion goes through', async () => {
  const user = await signUp(app);
  const blocker = new pg.Client({ connectionString: auth.databaseUrl });
  await blocker.connect();
  try {
    await blocker.query('begin');
    await blocker.query('select id from sessions where user_id = $1 for no key update', [user.id]);
    const deleted = app.inject({
      method: 'DELETE',
      url: '/accounts/v1/user',
      headers: bearer(user.accessToken),
      payload: { current_password: user.password },
    });
    await waitingForLocks(1);
    const refreshed = app.inject({
      method: 'POST',
      url: '/accounts/v1/refresh',
      payload: { refresh_token: user.refreshToken },
    });
    await waitingForLocks(2);
    await blocker.query('commit');
    const [deletion, refresh] = await Promise.all([deleted, refreshed]);
    assert.equal(deletion.statusCode, 204, deletion.body);
    assert.equal(refresh.statusCode, 401, refresh.body);
    assert.equal(refresh.json().code, 'invalid_refresh_token');
  } finally {
    await blocker.end();
  }
});

/**
 * A refresh token presented twice revokes its session: the feed's lock, then the session, the
 * order of every revocation. Nothing in a refresh may hold the session while it asks for the
 * feed's lock (a logout at the same moment would wait for it the other way round).
 */
test('a reused refresh token racing a logout of its session is refused, not a 500', async () => {
  const user = await signUp(app);
  const rotated = await app.inject({
    method: 'POST',
    url: '/accounts/v1/refresh',
    payload: { refresh_token: user.refreshToken },
  });
  assert.equal(rotated.statusCode, 200);
  const revocation = new pg.Client({ connectionString: auth.databaseUrl });
  await revocation.connect();
  try {
    await revocation.query('begin');
    await revocation.query(`select pg_advisory_xact_lock(hashtext('revocation-feed'))`);
    const reused = app.inject({
      method: 'POST',
      url: '/accounts/v1/refresh',
      payload: { refresh_token: user.refreshToken },
    });
    await waitingForLocks(1);
    await revocation.query(
      `update sessions set revoked_at = now(), revoke_reason = 'logout' where user_id = $1`,
      [user.id],
    );
    await revocation.query('commit');
    const res = await reused;
    assert.equal(res.statusCode, 401, res.body);
  } finally {
    await revocation.end();
  }
});
