import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { type Db, schema } from '../src/db/index.ts';
import { createDestinations } from '../src/destinations/index.ts';
import { forgetPending } from '../src/ingestion/forget.ts';
import { startReceiver, until } from './destinations-receiver.ts';
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
const { mapping, passContext } = forgetting(t);
const ctx = passContext();

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
        // This file's database: other test files' passes run on the same server.
        `select 1 from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'
            and query ilike 'lock table destination_deliveries%'`,
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
  // Its lock may have timed out on a starved machine (the app's ticks then pause their final
  // passes a minute): passes again until the mapping is gone (the app's tick may have been the
  // one to delete it).
  await pass?.catch(() => {});
  await until(async () => {
    if ((await mapping(user)) === undefined) return true;
    await forgetPending(ctx).catch(() => {});
    return false;
  }, 'the mapping gone');
  const rows = await sql(
    t.databaseUrl,
    `select payload from destination_deliveries where destination = 'gone'`,
  );
  assert.equal(rows.length, 1);
  assert.deepEqual((rows[0]?.payload as { properties?: unknown } | undefined)?.properties, {
    author_id: pseudonym,
  });
});

test('a delivery the worker claimed before the final pass is sent under the pseudonym', async () => {
  // The worker claimed due deliveries, then looked their ids up in the mapping, each on its own:
  // a final pass between the two (the rows rewritten, the mapping deleted) left it holding the
  // rows as claimed, the real id in them, and nothing to look up. Now both are one transaction,
  // which the pass's lock waits for. The test holds the worker's lookup when it is a statement
  // of its own (a pool whose `forgotten_users` queries wait for a gate).
  const receiver = await startReceiver(() => 200);
  const user = randomUUID();
  const pseudonym = `deleted-${randomUUID()}`;
  // Past the eager minute, before the grace time: the app's own ticks leave the user alone, and
  // the pass this test drives (ten minutes later by its clock) is the final one.
  await sql(
    t.databaseUrl,
    `insert into forgotten_users (user_id, pseudonym, forgotten_at, last_pass_at)
      values ($1, $2, now() - interval '5 minutes', now())`,
    [user, pseudonym],
  );
  await sql(
    t.databaseUrl,
    `insert into destination_deliveries (destination, event_id, event, payload)
      values ('crm', $1, 'post.updated', $2)`,
    [
      `main:${randomUUID()}`,
      { type: 'track', userId: randomUUID(), properties: { author_id: user } },
    ],
  );
  let paused = false;
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const pool = new pg.Pool({ connectionString: t.databaseUrl, max: 4 });
  const gated = new Proxy(pool, {
    get(target, key) {
      if (key !== 'query') return Reflect.get(target, key);
      return async (...args: unknown[]) => {
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
        if (text?.includes('forgotten_users')) {
          paused = true;
          await gate;
        }
        return (target.query as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const worker = createDestinations({
    config: {
      ...t.config,
      DESTINATIONS: JSON.stringify([
        { name: 'crm', url: receiver.url('/crm'), secret: 'whsec-test-0123456789abcdef' },
      ]),
      DESTINATION_INTERVAL_MS: 20,
    },
    db: drizzle(gated, { schema, casing: 'snake_case' }) as unknown as Db,
    log: t.app.log,
  });
  try {
    worker.start();
    await until(() => paused || receiver.at('/crm').length > 0, 'a claim');
    // The final pass, ten minutes on (again, should its lock time out on a starved machine).
    await until(
      () =>
        forgetPending(ctx, Date.now() + 11 * 60_000).then(
          () => true,
          () => false,
        ),
      'a final pass',
    );
    assert.equal(await mapping(user), undefined, 'the mapping is gone');
  } finally {
    open();
  }
  try {
    const [sent] = await until(
      () => receiver.at('/crm').length > 0 && receiver.at('/crm'),
      'the delivery sent',
    );
    assert.ok(!sent!.raw.includes(user), `sent with the real id: ${sent!.raw}`);
    assert.deepEqual(sent!.body.properties, { author_id: pseudonym });
  } finally {
    await worker.close();
    await pool.end();
  }
});
