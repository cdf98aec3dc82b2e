import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { runMigrations } from '@platform/db';
import { createTestDatabase, migrateBefore } from '@platform/testing';
import pg from 'pg';

// Migration 0005 computes every post's word signature, then rewrites post_tags with them. During
// a deploy the previous version keeps writing posts meanwhile (migrations run as a Job before the
// rollout, docs/deploying.md), the way its syncTags did: post_tags rows without a signature.
const migrations = path.resolve(import.meta.dirname, '../drizzle');

/** A database migrated up to 0004, with posts and their post_tags rows as 0004's code wrote them. */
async function before0005() {
  const db = await createTestDatabase();
  after(() => db.drop());
  await migrateBefore(db.url, migrations, '0005');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(`insert into posts (slug, title, body, excerpt, status, author_id, tags,
      published_at)
    select 'post-' || g, 'Meadow ' || g, case when g % 5 = 0 then '' else 'orchid notes ' || g end,
      '', case when g % 3 = 0 then 'draft' else 'published' end, gen_random_uuid(),
      case when g % 4 = 0 then '{}'::text[] else array['wild', 'tag-' || g % 7] end,
      case when g % 3 = 0 then null else now() end
    from generate_series(1, 200) g`);
  await client.query(oldSyncTags('true'));
  await client.end();
  return db.url;
}

/** post_tags rows of the posts `where` selects, as syncTags wrote them before 0005. */
const oldSyncTags = (where: string) => `insert into post_tags (post_id, tag, status, published_sort)
  select p.id, t.tag, p.status, p.published_sort from posts p, unnest(p.tags) t(tag) where ${where}`;

/** Runs the migrations while `writer` holds an open transaction, committed once they wait. */
async function migrateWhile(url: string, writer: pg.Client) {
  const migrating = runMigrations(url, migrations);
  const watcher = new pg.Client({ connectionString: url });
  await watcher.connect();
  try {
    for (let i = 0; ; i++) {
      const { rows } = await watcher.query(
        `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      if (rows.length > 0) break;
      assert.ok(i < 600, 'the migration never waited for the writer');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await watcher.end();
  }
  await writer.query('commit');
  await writer.end();
  await migrating;
}

const stale = async (url: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } =
      await client.query(`select p.slug from post_tags t join posts p on p.id = t.post_id
      where t.search_sig <> search_sig(tsvector_to_array(p.search))`);
    return rows.map((r) => r.slug);
  } finally {
    await client.end();
  }
};

test('migration 0005: a post edited by the previous version while it runs gets its new signature', async () => {
  const url = await before0005();
  const writer = new pg.Client({ connectionString: url });
  await writer.connect();
  writer.on('error', () => {});
  await writer.query('begin');
  await writer.query(`update posts set body = 'dandelion clover bees' where slug = 'post-1'`);
  await writer.query(
    `delete from post_tags where post_id = (select id from posts where slug = 'post-1')`,
  );
  await writer.query(oldSyncTags(`p.slug = 'post-1'`));
  await migrateWhile(url, writer);
  assert.deepEqual(await stale(url), []);
});

test('migration 0005: a post created by the previous version while it runs does not fail it', async () => {
  const url = await before0005();
  const writer = new pg.Client({ connectionString: url });
  await writer.connect();
  writer.on('error', () => {});
  await writer.query('begin');
  await writer.query(`insert into posts (slug, title, body, excerpt, status, author_id, tags,
      published_at)
    values ('late', 'Late', 'clover', '', 'published', gen_random_uuid(), '{wild}', now())`);
  await writer.query(oldSyncTags(`p.slug = 'late'`));
  await migrateWhile(url, writer);
  assert.deepEqual(await stale(url), []);
});

test('after migration 0005 the previous version still writes posts, and none is hidden from q', async () => {
  // Until the rollout replaces it, the previous version writes post_tags without a signature.
  // Its rows must be accepted and must never be skipped by a walk: every bit set.
  const url = await before0005();
  await runMigrations(url, migrations);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    await client.query(`update posts set body = 'dandelion clover bees' where slug = 'post-1'`);
    await client.query(
      `delete from post_tags where post_id = (select id from posts where slug = 'post-1')`,
    );
    await client.query(oldSyncTags(`p.slug = 'post-1'`));
    await client.query('commit');
    const { rows } = await client.query(`select count(*)::int as n from post_tags t
      join posts p on p.id = t.post_id
      where p.slug = 'post-1' and p.search @@ websearch_to_tsquery('english', 'dandelion bees')
        and (t.search_sig & search_query_sig(websearch_to_tsquery('english', 'dandelion bees')))
          = search_query_sig(websearch_to_tsquery('english', 'dandelion bees'))`);
    assert.equal(rows[0].n, 2);
  } finally {
    await client.end();
  }
});
