import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { codeAt } from '../src/second-factor/totp.ts';
import { bearer, buildTestAuth, signUp, sql } from './helper.ts';

const auth = await buildTestAuth();
const { app } = auth;

/** Waits until some transaction of the test database waits for a lock. */
async function someoneWaitsForALock() {
  for (let i = 0; ; i++) {
    const [waiting] = await sql(
      auth.databaseUrl,
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (waiting.n > 0) return;
    assert.ok(i < 500, 'nobody waited for a lock');
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
  const started = await app.inject({
    method: 'POST',
    url: '/accounts/v1/user/mfa/totp',
    headers: bearer(user.accessToken),
    payload: { current_password: user.password },
  });
  assert.equal(started.statusCode, 200, started.body);
  const { secret } = started.json() as { secret: string };

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
    await someoneWaitsForALock();
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
 * An account deletion revokes the user's sessions (their rows first) and then deletes the user,
 * which cascades to the sessions' refresh tokens. A refresh spent its token first and then
 * touched the session: the opposite order, a deadlock, and a 500 for one of them.
 */
test('a refresh racing the deletion of its account is refused, not a 500', async () => {
  const user = await signUp(app);
  const deletion = new pg.Client({ connectionString: auth.databaseUrl });
  await deletion.connect();
  try {
    await deletion.query('begin');
    await deletion.query(
      `update sessions set revoked_at = now(), revoke_reason = 'account deleted'
        where user_id = $1 and revoked_at is null`,
      [user.id],
    );
    const refreshed = app.inject({
      method: 'POST',
      url: '/accounts/v1/refresh',
      payload: { refresh_token: user.refreshToken },
    });
    await someoneWaitsForALock();
    await deletion.query('delete from users where id = $1', [user.id]);
    await deletion.query('commit');
    const res = await refreshed;
    assert.equal(res.statusCode, 401, res.body);
    assert.equal(res.json().code, 'invalid_refresh_token');
  } finally {
    await deletion.end();
  }
});
