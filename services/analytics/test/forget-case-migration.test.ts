import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { runMigrations } from '@platform/db';
import { createTestDatabase, migrateBefore } from '@platform/testing';
import { sql } from './helper.ts';

const migrations = path.resolve(import.meta.dirname, '../drizzle');

test("0020's lower(user_id) indexes may be built by hand first, CONCURRENTLY, without failing it", async (t) => {
  // profiles and identity_links grow with every user and anonymous id: a plain CREATE INDEX
  // holds their writes (every identify and alias batch) for as long as it builds.
  const db = await createTestDatabase();
  t.after(() => db.drop());
  await migrateBefore(db.url, migrations, '0020');
  await sql(
    db.url,
    'CREATE INDEX CONCURRENTLY "identity_links_user_lower_idx" ON "identity_links" (lower("user_id"))',
  );
  await sql(
    db.url,
    'CREATE INDEX CONCURRENTLY "profiles_user_lower_idx" ON "profiles" (lower("user_id"))',
  );
  await runMigrations(db.url, migrations);
  const indexes = await sql(
    db.url,
    `select indexname from pg_indexes where indexname like '%_user_lower_idx' order by 1`,
  );
  assert.deepEqual(
    indexes.map((r) => r.indexname),
    ['identity_links_user_lower_idx', 'profiles_user_lower_idx'],
  );
});

test('users being forgotten at the upgrade: ids in lower case, and their next pass reads everything', async (t) => {
  // Before, a deletion was noted as its event spelled the id, and a pass matched an event's own
  // user_id only as written: the passes since the mark would never see an upper-cased user_id
  // stored before it, nor would the lookups (profiles, deliveries) find an upper-cased row. With
  // no mark and no pass yet, each is due at the next tick, all in one pass over everything.
  const db = await createTestDatabase();
  t.after(() => db.drop());
  await migrateBefore(db.url, migrations, '0021');
  const [lower, upper, twice] = [randomUUID(), randomUUID(), randomUUID()];
  await sql(
    db.url,
    `insert into forgotten_users (user_id, pseudonym, forgotten_at, last_pass_at, pass_mark, queue_seq)
     values ($1, 'deleted-l', now(), now(), '1000', 5),
            ($2, 'deleted-u', now(), now(), '1000', 5),
            ($3, 'deleted-t1', now() - interval '1 minute', now(), '900', 4),
            ($4, 'deleted-t2', now(), now(), '1000', 6)`,
    [lower, upper.toUpperCase(), twice, twice.toUpperCase()],
  );
  await runMigrations(db.url, migrations);
  const rows = await sql(
    db.url,
    `select user_id, pseudonym, pass_mark, last_pass_at, queue_seq::int as queue_seq
     from forgotten_users order by pseudonym`,
  );
  assert.deepEqual(rows, [
    { user_id: lower, pseudonym: 'deleted-l', pass_mark: null, last_pass_at: null, queue_seq: 5 },
    // The same user noted twice: the later deletion's row stays (its grace time and queue
    // number cover the other's), the earlier one's goes.
    { user_id: twice, pseudonym: 'deleted-t2', pass_mark: null, last_pass_at: null, queue_seq: 6 },
    { user_id: upper, pseudonym: 'deleted-u', pass_mark: null, last_pass_at: null, queue_seq: 5 },
  ]);
});
