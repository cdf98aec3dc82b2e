import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { FINAL_LOCK_TRY_MS } from '../src/destinations/forget.ts';
import { until } from './destinations-receiver.ts';
import { forgetting, forgottenUser, LOCK_WAITS } from './forgetting.ts';
import { buildTestAnalytics } from './helper.ts';

/**
 * The final forgetting pass asks for destination_deliveries' lock for 5 s at most, and every
 * write of deliveries queues behind each try. A transaction stuck holding the table (a replica
 * frozen or cut off mid-transaction: its backend stays until TCP gives up on it, hours) made
 * every tick (2 s) wait again: writes of deliveries stalled 5 s of every 7 for as long. After a
 * wait that ran out, this replica's final passes now pause (the eager ones go on).
 */

/**
 * The worker's timings, short (production's: a tick every 2 s, a 5 s lock wait, a 60 s pause;
 * ingestion/forget.ts): what is proved is how they follow one another, not their length.
 */
const TICK_MS = 200;
const LOCK_TIMEOUT_MS = 500;
const FINAL_PAUSE_MS = 2500;
const t = await buildTestAnalytics(
  {},
  { forgetting: { tickMs: TICK_MS, lockTimeoutMs: LOCK_TIMEOUT_MS, finalPauseMs: FINAL_PAUSE_MS } },
);
const { mapping } = forgetting(t);

/**
 * A final pass's lock request waiting on destination_deliveries (LOCK_WAITS), asked over
 * `watcher`, a connection kept for these polls (every 25 ms: a new connection each time, as
 * sql() makes, started a server process and a SCRAM handshake per poll).
 */
const waiting = async (watcher: pg.Client) => (await watcher.query(LOCK_WAITS)).rows.length > 0;

test('a final pass whose lock wait ran out does not wait again at the next ticks', async () => {
  const user = randomUUID();
  // A transaction that wrote a delivery and is stuck open, from before the user is due: a final
  // pass at a tick in between would end the user's forgetting unhindered.
  const stuck = new pg.Client({ connectionString: t.databaseUrl });
  await stuck.connect();
  const watcher = new pg.Client({ connectionString: t.databaseUrl });
  await watcher.connect();
  const waits = () => waiting(watcher);
  try {
    await stuck.query('begin');
    await stuck.query(
      `insert into destination_deliveries (destination, event_id, event, payload)
        values ('gone', $1, 'post.updated', '{}')`,
      [`main:${randomUUID()}`],
    );
    // Deleted over ten minutes ago, an empty queue: the app's next tick runs the final pass.
    await forgottenUser(t, { forgotten: 11, passed: 11 }, user);
    await until(waits, 'a final pass waiting for the lock');
    // It asks FINAL_LOCK_TRY_MS at a time, pausing as long in between: the wait has run out once
    // none is seen for longer than a pause.
    let ranOut = Date.now();
    await until(
      async () => {
        if (await waits()) ranOut = Date.now();
        return Date.now() - ranOut > 2 * FINAL_LOCK_TRY_MS;
      },
      'the wait to run out',
      15_000,
    );
    // Five ticks and more: no pass waits for the lock again (each wait holds every write up).
    for (const deadline = ranOut + 5 * TICK_MS; Date.now() < deadline; await sleep(25)) {
      assert.equal(await waits(), false, 'a final pass waited for the lock again');
    }
    assert.notEqual(await mapping(user), undefined, 'the mapping is kept meanwhile');
    // The pause ends: the final pass tries again (and would end the mapping once it had the lock).
    await until(waits, 'a final pass waiting for the lock after the pause', 5 * FINAL_PAUSE_MS);
  } finally {
    await stuck.query('rollback').catch(() => {});
    await stuck.end();
    await watcher.end();
  }
});

test("/metrics tells how long the oldest deleted user's mapping has been kept", async () => {
  // Deleted nine minutes ago, passed then: no pass is due for a minute.
  await forgottenUser(t, { forgotten: 9, passed: 9 });
  const metrics = await t.app.inject({ url: '/metrics' });
  const age = /^analytics_forgetting_oldest_seconds(?:\{[^}]*\})? (\S+)$/m.exec(metrics.body)?.[1];
  assert.ok(Number(age) >= 540, `analytics_forgetting_oldest_seconds ${age}`);
});
