import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { unlinkDeliveries } from '../src/destinations/forget.ts';
import { until } from './destinations-receiver.ts';
import { buildTestAnalytics, sql } from './helper.ts';

/**
 * Each forgetting pass rewrites the user's deliveries, pending and dead, reading the whole of
 * destination_deliveries (the id may be anywhere in a payload). In one statement, a table
 * grown large (a receiver down for hours, a destination refusing an event for the weeks of
 * the retention) made the pass one long statement holding every matched row's lock: past
 * QUERY_TIMEOUT_MS it failed, and with it each pass, every user's. A pass goes a bounded range
 * of ids at a time: a row locked elsewhere holds up its own range only.
 */

const t = await buildTestAnalytics();

test("a pass rewrites a deleted user's deliveries a bounded range at a time", async () => {
  const user = randomUUID();
  const pseudonym = `deleted-${randomUUID()}`;
  const insert = (count: number, mentions: string) =>
    sql(
      t.databaseUrl,
      `insert into destination_deliveries (destination, event_id, event, payload)
        select 'crm', 'e-' || gen_random_uuid(), 'f.event',
          jsonb_build_object('type', 'track', 'userId', $2::text, 'n', i)
        from generate_series(1, $1::int) i returning id`,
      [count, mentions],
    );
  const [first] = await insert(1, user);
  await insert(20_000, randomUUID());
  const [last] = await insert(1, user);
  const payloadOf = async (id: unknown) =>
    (await sql(t.databaseUrl, 'select payload from destination_deliveries where id = $1', [id]))[0]
      ?.payload;
  // A worker recording a failed attempt on the last row holds it.
  const worker = new pg.Client({ connectionString: t.databaseUrl });
  await worker.connect();
  let pass: Promise<unknown> | undefined;
  try {
    await worker.query('begin');
    await worker.query('select 1 from destination_deliveries where id = $1 for update', [last!.id]);
    pass = unlinkDeliveries(t.database.db, [{ userId: user, pseudonym }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    await until(
      async () => (await payloadOf(first!.id))?.userId === pseudonym,
      'the first range rewritten while a later one waits',
      10_000,
    );
  } finally {
    await worker.query('rollback');
    await worker.end();
  }
  // The held range waits a moment at most (ROW_LOCK_WAIT_MS, 1 s): past it, it is left for the
  // next pass.
  const outcome = await pass;
  if (outcome !== undefined) {
    assert.equal((outcome as { code?: unknown }).code, 'deliveries_left', String(outcome));
    await unlinkDeliveries(t.database.db, [{ userId: user, pseudonym }]);
  }
  assert.equal((await payloadOf(last!.id))?.userId, pseudonym);
  const kept = await sql(
    t.databaseUrl,
    'select count(*)::int as n from destination_deliveries where payload::text like $1',
    [`%${user}%`],
  );
  assert.equal(kept[0]?.n, 0);
});
