import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runMigrations } from '@platform/db';
import { createTestDatabase, migrateBefore } from '@platform/testing';
import pg from 'pg';
import { Registry } from 'prom-client';
import { openDatabase } from '../src/db/index.ts';
import { createDedup, fingerprint } from '../src/ingestion/dedup.ts';
import { sql } from './helper.ts';

const migrations = path.resolve(import.meta.dirname, '../drizzle');

const until = async (check: () => Promise<boolean>, what: string) => {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(20);
  }
};

async function database() {
  const test = await createTestDatabase({
    migrations: path.resolve(import.meta.dirname, '../drizzle'),
  });
  const db = await openDatabase(test.url);
  after(async () => {
    await db.close();
    await test.drop();
  });
  return { url: test.url, db: db.db };
}

/** Another process's claim holding the dedup lock, in a transaction of its own, until released. */
async function holdLock(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('begin');
  await client.query(`select pg_advisory_xact_lock(hashtext('message-id-claims'))`);
  return {
    query: (text: string, values?: unknown[]) => client.query(text, values),
    async release() {
      await client.query('commit');
      await client.end();
    },
  };
}

test('block numbers past 2^32 still find an id claimed before', async () => {
  const { url, db } = await database();
  await sql(url, `select setval('message_id_blocks_id_seq', 4294967295 - 3)`);
  const dedup = createDedup({ maxIds: 100_000 });
  const claim = (fp: string) => db.transaction((tx) => dedup.claim(tx, [fp, fp]));
  // Each id claimed in a block numbered around 2^32, then sent again.
  for (let i = 0; i < 6; i += 1) {
    const fp = fingerprint(`segment:m-${i}`);
    assert.deepEqual(await claim(fp), [true, false], `the first copy of id ${i}`);
    assert.deepEqual(await claim(fp), [false, false], `a later copy of id ${i}`);
  }
});

test('a claim draws its block number only once it holds the lock', async () => {
  const { url, db } = await database();
  const dedup = createDedup({ maxIds: 100_000 });
  const holder = await holdLock(url);
  const before = await sql(url, 'select last_value::text, is_called from message_id_blocks_id_seq');
  const waiting = db.transaction((tx) => dedup.claim(tx, [fingerprint('x')]));
  await until(async () => {
    const rows = await sql(
      url,
      // This database's: pg_stat_activity spans the server, shared with other test files.
      `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'
        and query like '%pg_advisory_xact_lock%'`,
    );
    return rows.length > 0;
  }, 'the claim to wait for the lock');
  assert.deepEqual(
    await sql(url, 'select last_value::text, is_called from message_id_blocks_id_seq'),
    before,
  );
  // Another process's claim meanwhile takes the next number and commits its block.
  const { rows } = await holder.query(`select nextval('message_id_blocks_id_seq')::int as n`);
  await holder.query(`insert into message_id_blocks (id, fps) values ($1, $2)`, [
    rows[0].n,
    fingerprint('x'),
  ]);
  await holder.release();
  assert.deepEqual(await waiting, [false]);
});

test('a restarted process reads what was claimed before it waits for the lock', async () => {
  const { url, db } = await database();
  // Days of claims: one block each (Segment messages sent one by one).
  await sql(
    url,
    `insert into message_id_blocks (fps)
     select substr(encode(sha256(i::text::bytea), 'hex'), 1, 16)
     from generate_series(1, 2000) i`,
  );
  const metrics = new Registry();
  const dedup = createDedup({ maxIds: 100_000, metrics });
  const remembered = async () =>
    (await metrics.getSingleMetric('analytics_dedup_ids')!.get()).values[0]!.value;
  // Another replica's claim holds the lock meanwhile: catching up must not wait for it, nor make
  // every claim of every replica wait for its catching up.
  const holder = await holdLock(url);
  const claimed = db.transaction((tx) => dedup.claim(tx, [fingerprint('new')]));
  await until(async () => (await remembered()) === 2000, 'the catch-up before the lock');
  await holder.release();
  assert.deepEqual(await claimed, [true]);
  assert.equal(await remembered(), 2001);
});

test('catching up reads each block once, not every later block for each page', async () => {
  const t = await createTestDatabase({
    migrations: path.resolve(import.meta.dirname, '../drizzle'),
  });
  after(() => t.drop());
  await sql(
    t.url,
    `insert into message_id_blocks (fps)
     select substr(encode(sha256(i::text::bytea), 'hex'), 1, 16)
     from generate_series(1, 20000) i`,
  );
  const replica = await openDatabase(t.url);
  const dedup = createDedup({ maxIds: 100_000 });
  await replica.db.transaction((tx) => dedup.claim(tx, [fingerprint('new')]));
  // Its connections end, and with them their statistics are reported.
  await replica.close();
  const read = async () => {
    const [row] = await sql(
      t.url,
      `select coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) as n
       from pg_stat_user_tables where relname = 'message_id_blocks'`,
    );
    return Number(row.n);
  };
  await until(async () => (await read()) >= 20_000, 'the statistics');
  // Pages ordered by the output column sorted every block after each page: 20 pages of 1000
  // read ~10 times as many.
  assert.ok((await read()) < 40_000, `${await read()} block rows read`);
});

test('a claim makes room in memory before it waits for the lock', async () => {
  const { url, db } = await database();
  const metrics = new Registry();
  const dedup = createDedup({ maxIds: 1000, metrics });
  const remembered = async () =>
    (await metrics.getSingleMetric('analytics_dedup_ids')!.get()).values[0]!.value;
  for (let b = 0; b < 10; b += 1) {
    const claims = Array.from({ length: 100 }, (_, i) => fingerprint(`segment:b${b}-${i}`));
    await db.transaction((tx) => dedup.claim(tx, claims));
  }
  assert.equal(await remembered(), 1000);
  // Forgetting scans the whole table: not while every claim of every replica waits.
  const holder = await holdLock(url);
  const claimed = db.transaction((tx) =>
    dedup.claim(
      tx,
      Array.from({ length: 100 }, (_, i) => fingerprint(`segment:new-${i}`)),
    ),
  );
  await until(async () => (await remembered()) < 1000, 'room made before the lock');
  await holder.release();
  assert.deepEqual(await claimed, new Array(100).fill(true));
});

test('the first prune after a start reads what was claimed before it waits for the lock', async () => {
  const { url, db } = await database();
  await sql(
    url,
    `insert into message_id_blocks (fps, created_at)
     select substr(encode(sha256(i::text::bytea), 'hex'), 1, 16),
       now() - (case when i <= 500 then interval '8 days' else interval '1 day' end)
     from generate_series(1, 2000) i`,
  );
  const metrics = new Registry();
  const dedup = createDedup({ maxIds: 100_000, metrics });
  const remembered = async () =>
    (await metrics.getSingleMetric('analytics_dedup_ids')!.get()).values[0]!.value;
  const holder = await holdLock(url);
  const pruned = dedup.prune(db, new Date(Date.now() - 7 * 86_400_000));
  await until(async () => (await remembered()) === 2000, 'the catch-up before the lock');
  await holder.release();
  await pruned;
  assert.equal(await remembered(), 1500);
  const [{ n }] = await sql(url, 'select count(*)::int as n from message_id_blocks');
  assert.equal(n, 1500);
  // An id of a pruned block is free again, one of a kept block is not.
  const claim = (key: string) => db.transaction((tx) => dedup.claim(tx, [key]));
  const fpOf = async (i: number) =>
    (
      await sql(url, `select substr(encode(sha256($1::text::bytea), 'hex'), 1, 16) as fp`, [`${i}`])
    )[0].fp as string;
  assert.deepEqual(await claim(await fpOf(7)), [true]);
  assert.deepEqual(await claim(await fpOf(1700)), [false]);
});

test('a restarted process reads large blocks a few at a time, and all of them', async () => {
  const { url, db } = await database();
  // 30 writer passes of 20 000 ids: more than one statement's worth of fingerprints.
  await sql(
    url,
    `insert into message_id_blocks (fps)
     select string_agg(substr(encode(sha256((b * 20000 + i)::text::bytea), 'hex'), 1, 16), '' order by i)
     from generate_series(0, 29) b, generate_series(0, 19999) i group by b order by b`,
  );
  const metrics = new Registry();
  const dedup = createDedup({ maxIds: 1_000_000, metrics });
  const [{ fp }] = await sql(
    url,
    `select substr(encode(sha256($1::text::bytea), 'hex'), 1, 16) as fp`,
    [`${29 * 20000 + 19999}`],
  );
  const won = await db.transaction((tx) => dedup.claim(tx, [fp]));
  assert.deepEqual(won, [false]);
  const remembered = (await metrics.getSingleMetric('analytics_dedup_ids')!.get()).values[0]!;
  assert.equal(remembered.value, 600_000);
});

test('ids an old replica claims while the migration to blocks runs are not lost', async () => {
  const db = await createTestDatabase();
  after(() => db.drop());
  // The schema before blocks: migrations up to 0012.
  await migrateBefore(db.url, migrations, '0013');
  const key = 'segment:claimed-during-the-deploy';
  // A replica of the previous version claims an id (claimIds) and has not committed yet.
  const old = new pg.Client({ connectionString: db.url });
  await old.connect();
  await old.query('begin');
  await old.query(
    `insert into message_ids (hash) values
     (encode(substring(sha256(convert_to($1, 'UTF8')) for 16), 'hex')::uuid)`,
    [key],
  );
  const migrated = runMigrations(db.url, migrations);
  // The migration waits for the old replica's transaction, wherever it does.
  await until(async () => {
    const rows = await sql(
      db.url,
      `select 1 from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`,
    );
    return rows.length > 0;
  }, 'the migration to wait');
  await old.query('commit');
  await old.end();
  await migrated;
  const database = await openDatabase(db.url);
  after(() => database.close());
  const dedup = createDedup({ maxIds: 100_000 });
  const won = await database.db.transaction((tx) => dedup.claim(tx, [fingerprint(key)]));
  assert.deepEqual(won, [false]);
});
