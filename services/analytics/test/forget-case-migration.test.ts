import assert from 'node:assert/strict';
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
