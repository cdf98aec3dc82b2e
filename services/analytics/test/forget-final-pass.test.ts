import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { forgetPending } from '../src/ingestion/forget.ts';
import { forgetting } from './forgetting.ts';
import { buildTestAnalytics, sql } from './helper.ts';

/**
 * The final forgetting pass rewrites the user's deliveries and deletes the id → pseudonym
 * mapping; the worker looks ids up in the mapping as it claims. A delivery naming the user that
 * committed in between — its transaction (an event accepted as the pass ran) still open while the
 * rewrite read its range — was sent under the real id once the mapping had gone. The pass now
 * deletes the mapping in a transaction that holds writes of deliveries off and rewrites what the
 * sweep could not see: it waits for that transaction, then rewrites its row.
 */

const t = await buildTestAnalytics();
/** forgetPending as a test drives it (the app's own ticks may run the same pass: either will do). */
const ctx = forgetting(t).passContext();

test('a delivery committed while the final pass runs does not keep the real id', async () => {
  const user = randomUUID();
  const pseudonym = `deleted-${randomUUID()}`;
  // Deleted over ten minutes ago, an empty queue: the next pass is the final one.
  await sql(
    t.databaseUrl,
    `insert into forgotten_users (user_id, pseudonym, forgotten_at, last_pass_at)
      values ($1, $2, now() - interval '11 minutes', now() - interval '11 minutes')`,
    [user, pseudonym],
  );
  // A transaction accepting an event that names the user, still open as the pass starts (a
  // destination no longer configured: no worker sends it, the row stays to be read).
  const accepting = new pg.Client({ connectionString: t.databaseUrl });
  await accepting.connect();
  let pass: Promise<number> | undefined;
  try {
    await accepting.query('begin');
    await accepting.query(
      `insert into destination_deliveries (destination, event_id, event, payload)
        values ('gone', $1, 'post.updated', $2)`,
      [
        `main:${randomUUID()}`,
        { type: 'track', userId: randomUUID(), properties: { author_id: user } },
      ],
    );
    pass = forgetPending(ctx);
    // The pass either ends without it (before the fix) or waits for its table lock.
    let ended = false;
    void pass.then(() => {
      ended = true;
    });
    for (const deadline = Date.now() + 30_000; !ended; ) {
      const waiting = await sql(
        t.databaseUrl,
        `select 1 from pg_stat_activity
          where wait_event_type = 'Lock' and query ilike 'lock table destination_deliveries%'`,
      );
      if (waiting.length > 0) break;
      if (Date.now() > deadline) throw new Error('the pass neither ended nor waited');
      await sleep(20);
    }
    await accepting.query('commit');
  } finally {
    await accepting.query('rollback').catch(() => {});
    await accepting.end();
  }
  await pass;
  // The app's tick may have been the one to run it: wait until the mapping is gone.
  for (const deadline = Date.now() + 15_000; ; await sleep(50)) {
    const left = await sql(t.databaseUrl, 'select 1 from forgotten_users where user_id = $1', [
      user,
    ]);
    if (left.length === 0) break;
    if (Date.now() > deadline) throw new Error('the mapping stayed');
  }
  const rows = await sql(
    t.databaseUrl,
    `select payload from destination_deliveries where destination = 'gone'`,
  );
  assert.equal(rows.length, 1);
  assert.deepEqual((rows[0]?.payload as { properties?: unknown } | undefined)?.properties, {
    author_id: pseudonym,
  });
});
