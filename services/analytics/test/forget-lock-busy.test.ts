import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasSqlState } from '@platform/db';
import { sql as drizzleSql } from 'drizzle-orm';
import pg from 'pg';
import { unlinkDeliveriesFinally } from '../src/destinations/forget.ts';
import { deliveriesHeld } from '../src/ingestion/forget.ts';
import { deliveryWriteMs, forgetting, forgottenUser, whileDeliveriesHeld } from './forgetting.ts';
import { buildTestAnalytics } from './helper.ts';

/**
 * The final forgetting pass asks for destination_deliveries' lock 200 ms at a time (so that a
 * transaction stuck holding the table holds writes up for a moment only). On a table that is
 * merely busy — transactions writing deliveries that each stay open longer than a try (a writer
 * handing thousands of deliveries over, a large internal batch), one after another — a try was
 * granted only if every holder ended within its 200 ms: the pass failed (lock_not_available)
 * every time, the mapping never went, although a longer wait gets the lock as soon as the
 * holders then end (writes queue behind the request). Now, when no transaction was seen holding
 * the table at every pause (they turn over: none is stuck), the pass asks once for the rest of
 * its time.
 */

const t = await buildTestAnalytics();
const { mapping } = forgetting(t);

test('a final pass gets its lock on a busy table whose transactions each outlast a try', async () => {
  const user = randomUUID();
  const pseudonym = `deleted-${randomUUID()}`;
  let stop = false;
  // Five writers, each transaction open 400–800 ms, back to back: at any moment some holder
  // has more than a try (200 ms) to go, and none holds the table for long.
  const writers = Array.from({ length: 5 }, async (_, w) => {
    const client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      await sleep(w * 150);
      while (!stop) {
        await client.query('begin');
        await client.query(
          `insert into destination_deliveries (destination, event_id, event, payload)
            values ('busy-lock', $1, 'post.updated', $2)`,
          [`main:${randomUUID()}`, { properties: { author_id: user } }],
        );
        await sleep(400 + Math.random() * 400);
        await client.query('commit');
      }
    } finally {
      await client.end();
    }
  });
  let left = -1;
  try {
    await sleep(1000);
    await unlinkDeliveriesFinally(t.database.db, [{ userId: user, pseudonym }], async (tx) => {
      // Under the lock, nothing committed still names the user.
      const { rows } = await tx.execute<{ n: number }>(
        drizzleSql`select count(*)::int as n from destination_deliveries
          where payload::text like ${`%${user}%`}`,
      );
      left = rows[0]!.n;
    });
  } finally {
    stop = true;
    await Promise.all(writers);
  }
  assert.equal(left, 0, 'rows naming the user left under the lock');
});

test('with a transaction stuck holding the table, every try stays short', async () => {
  // The stuck transaction is seen at every pause: the pass never asks for the rest of its time,
  // so a write issued well into its wait (after several tries) waits one try at most.
  let waited = -1;
  let pass: Promise<unknown> | undefined;
  let outcome: unknown;
  try {
    await whileDeliveriesHeld(t, 'stuck-lock', async () => {
      const user = { userId: randomUUID(), pseudonym: `deleted-${randomUUID()}` };
      pass = unlinkDeliveriesFinally(t.database.db, [user], async () => {}, 4000).then(
        () => 'granted',
        (e: unknown) => e,
      );
      // Past three tries and pauses: a pass that took the table for busy asks for the rest now.
      await sleep(1500);
      waited = await deliveryWriteMs(t, 'stuck-lock');
      // The transaction stays stuck until the pass gave up.
      outcome = await pass;
    });
  } finally {
    await pass;
  }
  assert.ok(waited >= 0 && waited < 1000, `a write of deliveries waited ${waited} ms`);
  assert.notEqual(outcome, 'granted', 'the pass got the lock past a stuck transaction');
});

test('a row the locked work waits for is not taken for a busy table', async () => {
  // The tries' lock_timeout stayed set once the table's lock was granted: a row lock the work
  // waited for past it (here a transaction holding the user's mapping row, as one stuck
  // mid-transaction would) came back as lock_not_available, taken for the table being busy —
  // the work ran again at each try, the last waiting the rest of the pass's time with every
  // write of deliveries held off, and the pass failed as if the table were held (the final
  // passes then pause, with a warning naming destination_deliveries).
  const user = await forgottenUser(t, { forgotten: 2, passed: 2 });
  const holder = new pg.Client({ connectionString: t.databaseUrl });
  await holder.connect();
  let runs = 0;
  let took = -1;
  let outcome: unknown;
  try {
    await holder.query('begin');
    await holder.query('select 1 from forgotten_users where user_id = $1 for update', [
      user.userId,
    ]);
    const started = Date.now();
    outcome = await unlinkDeliveriesFinally(
      t.database.db,
      [user],
      async (tx) => {
        runs += 1;
        await tx.execute(drizzleSql`delete from forgotten_users where user_id = ${user.userId}`);
      },
      4000,
    ).then(
      () => 'granted',
      (e: unknown) => e,
    );
    took = Date.now() - started;
  } finally {
    await holder.query('rollback').catch(() => {});
    await holder.end();
  }
  assert.ok(outcome instanceof Error, `the pass: ${String(outcome)}`);
  assert.equal(hasSqlState(outcome, '55P03'), false, 'reported as the table held');
  assert.equal(deliveriesHeld(outcome), false, 'the final passes would pause for the table');
  assert.equal(runs, 1, 'the work ran again, as if the table were busy');
  assert.ok(took < 2000, `the pass took ${took} ms (writes of deliveries held off meanwhile)`);
  assert.notEqual(await mapping(user.userId), undefined, 'the mapping is kept');
});
