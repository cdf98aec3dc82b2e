import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { type Db, schema } from '../src/db/index.ts';
import { FINAL_TAIL_ROWS, unlinkDeliveriesFinally } from '../src/destinations/forget.ts';
import { createDestinations } from '../src/destinations/index.ts';
import { forgetPending } from '../src/ingestion/forget.ts';
import { startReceiver, until } from './destinations-receiver.ts';
import {
  deliveriesNaming,
  deliveryWriteMs,
  forgetting,
  forgottenUser,
  passWaitsForLock,
  rewrittenUnderLock,
  whileDeliveriesHeld,
} from './forgetting.ts';
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
  // Deleted over ten minutes ago, an empty queue: the next pass is the final one.
  const { userId: user, pseudonym } = await forgottenUser(t, { forgotten: 11, passed: 11 });
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
      if (await passWaitsForLock(t)) break;
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
  // Past the eager minute, before the grace time: the app's own ticks leave the user alone, and
  // the pass this test drives (ten minutes later by its clock) is the final one.
  const { userId: user, pseudonym } = await forgottenUser(t, { forgotten: 5, passed: 0 });
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

test('the rows written during a long sweep are rewritten before the exclusive lock', async () => {
  // The rewrite of the rows written during the sweep ran under SHARE ROW EXCLUSIVE, every write
  // of deliveries waiting for it: on a large, busy table, everything written during a long
  // sweep. Now the pass sweeps again up to a new barrier while more than FINAL_TAIL_ROWS are
  // left, and only the last few are rewritten under the lock. The test writes the load while
  // the first sweep runs (before its first statement).
  const user = randomUUID();
  const pseudonym = `deleted-${randomUUID()}`;
  const busy = 2 * FINAL_TAIL_ROWS;
  const write = (n: number) =>
    sql(
      t.databaseUrl,
      `insert into destination_deliveries (destination, event_id, event, payload)
        select 'busy', 'main:' || gen_random_uuid(), 'post.updated',
          jsonb_build_object('type', 'track', 'properties', jsonb_build_object('author_id', $1::text))
        from generate_series(1, $2::int)`,
      [user, n],
    );
  await write(10);
  let written = false;
  const db = new Proxy(t.database.db, {
    get(target, key) {
      if (key !== 'execute') return Reflect.get(target, key);
      return async (query: Parameters<Db['execute']>[0]) => {
        if (!written) {
          written = true;
          await write(busy);
        }
        return target.execute(query);
      };
    },
  });
  const underLock = await rewrittenUnderLock(db, { userId: user, pseudonym });
  assert.ok(written, 'the load was written during the sweep');
  assert.ok(
    underLock >= 0 && underLock <= FINAL_TAIL_ROWS,
    `${underLock} rows rewritten under the lock`,
  );
  assert.equal(await deliveriesNaming(t, 'busy', user), 0, 'every row rewritten');
});

test('a final pass waiting for the lock holds writes of deliveries up for a moment only', async () => {
  // PostgreSQL grants a table's locks in turn: every write of deliveries queues behind a lock
  // request of the pass that waits. A transaction writing deliveries that stayed open made each
  // request accepting events with destinations wait out the pass's whole wait (5 s), holding a
  // connection of the pool each: under load, all of them. Now the pass asks FINAL_LOCK_TRY_MS at
  // a time, with a pause between tries, so a write waits one try at most.
  let waited = -1;
  let pass: Promise<unknown> | undefined;
  try {
    waited = await whileDeliveriesHeld(t, 'held', async () => {
      const user = { userId: randomUUID(), pseudonym: `deleted-${randomUUID()}` };
      pass = unlinkDeliveriesFinally(t.database.db, [user], async () => {}, 3000).catch((e) => e);
      await until(() => passWaitsForLock(t), 'the pass waiting for the lock');
      return deliveryWriteMs(t, 'held');
    });
  } finally {
    await pass;
  }
  assert.ok(waited >= 0 && waited < 1500, `a write of deliveries waited ${waited} ms`);
});

test('rows written while the final pass waits for its lock are not all rewritten under it', async () => {
  // The tail was counted before the pass asked for SHARE ROW EXCLUSIVE: what was written while
  // it asked (tries for up to 5 s on a busy table) was rewritten under the lock all the same.
  // Now the pass counts again once it holds the lock and, over FINAL_TAIL_ROWS, lets it go and
  // sweeps once more. The test writes the load just before the pass's second transaction (the
  // first is its barrier; the second, before, its lock).
  const user = randomUUID();
  const pseudonym = `deleted-${randomUUID()}`;
  let transactions = 0;
  const db = new Proxy(t.database.db, {
    get(target, key) {
      if (key !== 'transaction') return Reflect.get(target, key);
      return async (...args: Parameters<Db['transaction']>) => {
        if (++transactions === 2) {
          await sql(
            t.databaseUrl,
            `insert into destination_deliveries (destination, event_id, event, payload)
              select 'asking', 'main:' || gen_random_uuid(), 'post.updated',
                jsonb_build_object('properties', jsonb_build_object('author_id', $1::text))
              from generate_series(1, $2::int)`,
            [user, 2 * FINAL_TAIL_ROWS],
          );
        }
        return target.transaction(...args);
      };
    },
  });
  const underLock = await rewrittenUnderLock(db, { userId: user, pseudonym });
  assert.ok(
    underLock >= 0 && underLock <= FINAL_TAIL_ROWS,
    `${underLock} rows rewritten under the lock`,
  );
  assert.equal(await deliveriesNaming(t, 'asking', user), 0, 'every row rewritten');
});
