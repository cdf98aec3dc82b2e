import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createDestinations } from '../src/destinations/index.ts';
import { deleteDeadBefore, revive } from '../src/destinations/repository.ts';
import { pruneDeadLetters } from '../src/ingestion/dead-letters.ts';
import { createDedup } from '../src/ingestion/dedup.ts';
import { pruneExpired } from '../src/ingestion/retention.ts';
import { createPostgresStore } from '../src/store/postgres.ts';
import type { Store } from '../src/store/types.ts';
import { buildTestAnalytics } from './helper.ts';

/**
 * The hourly clean-up (retention.ts pruneExpired) on real PostgreSQL: every step runs whatever
 * the one before it did, and the dead letters' deletion takes its rows' locks in the order a
 * forgetting pass's page does.
 */

// The app's own clean-up (10 s after its start) would race the file's: under load it deleted a
// test's old rows between their insert and the lock the test took on one.
const t = await buildTestAnalytics({}, { retentionFirstRunMs: 3600_000 });
const DAY = 86_400_000;
const longAgo = new Date(Date.now() - (t.config.RETENTION_DAYS + 2) * DAY).toISOString();
/**
 * Within retention: the app's own clean-up (10 s after its start, longAgo's letters) leaves
 * these to the test's deletion, which is given the time now.
 */
const recent = new Date(Date.now() - DAY).toISOString();

async function letter(createdAt = longAgo): Promise<number> {
  const [row] = await t.sql(
    `insert into ingestion_dead_letters (queue_seq, kind, item, error, created_at)
     values (1, 'event', '[]', 'refused', $1) returning id::float8 as id`,
    [createdAt],
  );
  return row!.id as number;
}

const letterIds = async (ids: number[]) =>
  (
    await t.sql(
      'select id::float8 as id from ingestion_dead_letters where id = any($1) order by id',
      [ids],
    )
  ).map((r) => r.id as number);

function context(store: Store) {
  return {
    db: t.database.db,
    config: t.config,
    store,
    dedup: createDedup({ maxIds: 1000 }),
    destinations: createDestinations({ config: t.config, db: t.database.db, log: t.app.log }),
  };
}

async function deadDelivery(triedLast = longAgo): Promise<number> {
  const [row] = await t.sql(
    `insert into destination_deliveries (destination, event_id, event, payload, status, updated_at)
     values ('crm', gen_random_uuid()::text, 'old.event', '{}', 'dead', $1)
     returning id::float8 as id`,
    [triedLast],
  );
  return row!.id as number;
}

function errorLog() {
  const lines: { step: unknown; msg: string }[] = [];
  return {
    lines,
    error: (obj: object, msg: string) => {
      lines.push({ step: (obj as { step?: unknown }).step, msg });
    },
  };
}

test('a step that fails leaves the later steps of the clean-up to run, and is logged by name', async () => {
  const old = await letter();
  const kept = await letter(new Date().toISOString());
  await t.sql(
    `insert into received_ids (id, received_at) values ('auth:old', $1), ('auth:new', now())`,
    [longAgo],
  );
  const delivery = await deadDelivery();
  const store = createPostgresStore(t.database.db);
  const failing: Store = {
    ...store,
    prune: async () => {
      throw new Error('the store is down');
    },
  };
  const log = errorLog();
  const failed = await pruneExpired(context(failing), log);
  assert.deepEqual(failed, ['store']);
  assert.deepEqual(
    log.lines.map((l) => [l.step, l.msg]),
    [['store', 'retention clean-up failed: store']],
  );
  assert.deepEqual(await letterIds([old, kept]), [kept], 'the old dead letter pruned all the same');
  const ids = (await t.sql(`select id from received_ids where id like 'auth:%' order by id`)).map(
    (r) => r.id,
  );
  assert.deepEqual(ids, ['auth:new'], 'and the old received id');
  const deliveries = await t.sql('select id from destination_deliveries where id = $1', [delivery]);
  assert.deepEqual(deliveries, [], 'and the old dead delivery');
});

test('a clean-up told to stop starts no further step', async () => {
  const old = await letter();
  const store = createPostgresStore(t.database.db);
  let stop = false;
  const stopping: Store = {
    ...store,
    prune: async (before) => {
      await store.prune(before);
      stop = true;
    },
  };
  const log = errorLog();
  assert.deepEqual(await pruneExpired(context(stopping), log, { stopped: () => stop }), []);
  assert.deepEqual(await letterIds([old]), [old], 'the step after the store not run');
});

test('a step that loses a deadlock is run again', async () => {
  const store = createPostgresStore(t.database.db);
  let calls = 0;
  const deadlocked: Store = {
    ...store,
    prune: async (before) => {
      calls += 1;
      if (calls === 1) {
        throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      }
      await store.prune(before);
    },
  };
  const log = errorLog();
  assert.deepEqual(await pruneExpired(context(deadlocked), log), []);
  assert.equal(calls, 2);
  assert.deepEqual(log.lines, []);
});

/**
 * Two old rows of `table`, the first written again so that it comes after the second in the
 * table's pages; a forgetting pass holds the first (locked in id order, it would go on to the
 * second): the deletion waits for it without holding the second meanwhile, then deletes both.
 */
async function locksInIdOrder(
  table: string,
  row: () => Promise<number>,
  prune: () => Promise<unknown>,
  // Another statement than a deletion: what it began with, and what it left.
  other?: { begins: string; left: (ids: number[]) => Promise<void> },
) {
  const first = await row();
  const second = await row();
  const ids = [first, second];
  // Written again, the first row now comes after the second in the table's pages: a deletion
  // in the heap's order would lock the second before asking for the first.
  await t.sql(`update ${table} set id = id where id = $1`, [first]);
  const [heap] = await t.sql(
    `select array_agg(id::float8 order by ctid) as ids from ${table} where id = any($1)`,
    [ids],
  );
  assert.deepEqual(heap!.ids, [second, first], 'the rows out of id order in the heap');
  const left = async () =>
    (await t.sql(`select id::float8 as id from ${table} where id = any($1)`, [ids])).length;

  const holder = new pg.Client({ connectionString: t.databaseUrl });
  const prober = new pg.Client({ connectionString: t.databaseUrl });
  await holder.connect();
  await prober.connect();
  try {
    await holder.query('begin');
    await holder.query(`select id from ${table} where id = $1 for update`, [first]);
    const pruned = prune();
    await waitForLockWait(other?.begins);
    await prober.query('begin');
    await prober.query(`select id from ${table} where id = $1 for update nowait`, [second]);
    await prober.query('rollback');
    await holder.query('rollback');
    await pruned;
    if (other) await other.left(ids);
    else assert.equal(await left(), 0);
  } finally {
    await holder.end();
    await prober.end();
  }
}

test("the dead letters' deletion locks its rows in id order, as a forgetting page does", async () => {
  await locksInIdOrder(
    'ingestion_dead_letters',
    () => letter(recent),
    () => pruneDeadLetters(t.database.db, new Date()),
  );
});

// Through the partial index of dead ids (repository.ts deleteDeadBefore): this guards the plan.
test("the dead deliveries' deletion locks its rows in id order, as a forgetting sweep does", async () => {
  // The first made gave up last (a delivery dies after its tries): the oldest last try is the
  // second's, which an index on the time would reach first.
  let made = 0;
  const delivery = () =>
    deadDelivery(new Date(Date.parse(longAgo) + (made++ === 0 ? 3600_000 : 0)).toISOString());
  await locksInIdOrder('destination_deliveries', delivery, () =>
    deleteDeadBefore(t.database.db, new Date()),
  );
});

test("the dead deliveries' deletion locks in id order where most of the table is dead too", async () => {
  // A receiver down for a day: its deliveries all died. The planner then scans the table, not
  // the partial index of dead ids, and the deletion locked its rows in the heap's order.
  await t.sql(
    `insert into destination_deliveries (destination, event_id, event, payload, status, updated_at)
     select 'crm', gen_random_uuid()::text, 'old.event', '{}', 'dead', $1
     from generate_series(1, 20000)`,
    [longAgo],
  );
  await t.sql('analyze destination_deliveries');
  const delivery = () => deadDelivery();
  await locksInIdOrder('destination_deliveries', delivery, () =>
    deleteDeadBefore(t.database.db, new Date()),
  );
  const [left] = await t.sql(
    `select count(*)::int as n from destination_deliveries where status = 'dead'`,
  );
  assert.equal(left!.n, 0);
});

test('a replay of every dead delivery locks them in id order, as their deletion does', async () => {
  // Where most of the table is dead the planner scans the heap: a replay of all of them locked
  // its rows in the heap's order, and could hold one the deletion (id order) waited for while
  // waiting for one the deletion held.
  await t.sql(
    `insert into destination_deliveries (destination, event_id, event, payload, status, updated_at)
     select 'crm', gen_random_uuid()::text, 'old.event', '{}', 'dead', now()
     from generate_series(1, 20000)`,
  );
  await t.sql('analyze destination_deliveries');
  const delivery = () => deadDelivery(new Date().toISOString());
  let revived: unknown;
  await locksInIdOrder(
    'destination_deliveries',
    delivery,
    async () => {
      revived = await revive(t.database.db, { destinations: ['crm'] });
    },
    {
      begins: 'update',
      left: async (ids) => {
        const rows = await t.sql(`select status from destination_deliveries where id = any($1)`, [
          ids,
        ]);
        assert.deepEqual(
          rows.map((r) => r.status),
          ['pending', 'pending'],
        );
      },
    },
  );
  assert.equal(revived, 20002, 'counted, not read back');
  await t.sql(`delete from destination_deliveries where destination = 'crm'`);
});

/**
 * Until some statement on the database waits for a row lock (the deletion behind the holder).
 * Asked outside any transaction: inside one, PostgreSQL answers pg_stat_activity from the
 * snapshot its first read took, so a poll from the holder's own transaction never saw a
 * deletion that began waiting after it (the batches' tests failed so under load).
 */
async function waitForLockWait(begins = 'delete from') {
  for (let i = 0; i < 200; i += 1) {
    const rows = await t.sql(
      `select 1 from pg_stat_activity where datname = current_database()
         and wait_event_type = 'Lock' and query ilike $1`,
      [`${begins}%`],
    );
    if (rows.length > 0) return;
    await sleep(25);
  }
  assert.fail('the deletion never waited for the held row');
}

/**
 * Five rows of `table`, the last held by another transaction: a deletion two at a time has
 * deleted the first four, each batch its own statement, while it waits for the fifth. Millions
 * of rows (a day of everything refused, a receiver down for a day) in one statement ran past
 * the statement timeout, undone whole, and again every hour with more of them.
 */
async function deletesInBatches(
  table: string,
  row: () => Promise<number>,
  prune: (batch: number) => Promise<void>,
  key = 'id',
) {
  const ids: number[] = [];
  for (let i = 0; i < 5; i += 1) ids.push(await row());
  const left = async () =>
    (
      await t.sql(
        `select ${key}::float8 as id from ${table} where ${key} = any($1) order by ${key}`,
        [ids],
      )
    ).map((r) => r.id as number);
  const holder = new pg.Client({ connectionString: t.databaseUrl });
  await holder.connect();
  try {
    await holder.query('begin');
    await holder.query(`select 1 from ${table} where ${key} = $1 for update`, [ids.at(-1)]);
    const pruned = prune(2);
    await waitForLockWait();
    assert.deepEqual(await left(), ids.slice(4), 'the batches before the held row deleted');
    await holder.query('rollback');
    await pruned;
    assert.deepEqual(await left(), []);
  } finally {
    await holder.end();
  }
}

test("the dead letters' deletion goes in batches, each its own statement: what is done stays done", async () => {
  await deletesInBatches(
    'ingestion_dead_letters',
    () => letter(recent),
    (batch) => pruneDeadLetters(t.database.db, new Date(), batch),
  );
});

test("the dead deliveries' deletion goes in batches, each its own statement", async () => {
  const delivery = () => deadDelivery(recent);
  await deletesInBatches('destination_deliveries', delivery, (batch) =>
    deleteDeadBefore(t.database.db, new Date(), batch),
  );
});

test("the store's pruning goes in batches, each its own statement: what is done stays done", async () => {
  const event = async (occurredAt = longAgo) => {
    const [row] = await t.sql(
      `insert into events (seq, event_id, name, source, properties, occurred_at)
       values ((select coalesce(max(seq), 0) + 1 from events), gen_random_uuid()::text,
         'old.event', 'client', '{}', $1)
       returning seq::float8 as id`,
      [occurredAt],
    );
    return row!.id as number;
  };
  const kept = await event(new Date(Date.now() + DAY).toISOString());
  await deletesInBatches(
    'events',
    event,
    (batch) => createPostgresStore(t.database.db, batch).prune(new Date()),
    'seq',
  );
  assert.equal((await t.sql('select 1 from events where seq = $1', [kept])).length, 1);
});
