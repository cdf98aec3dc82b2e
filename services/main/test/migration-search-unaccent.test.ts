import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { runMigrations } from '@platform/db';
import { createTestDatabase, migrateBefore } from '@platform/testing';
import pg from 'pg';

// Migration 0014 rebuilds every post's search vector with accents folded (posts_search) and the
// word signatures post_tags carries from it (0005). Posts written before it must be found by q
// as new ones are, with a tag too, also one the previous version writes while it runs.
const migrations = path.resolve(import.meta.dirname, '../drizzle');

/** post_tags rows of the posts `where` selects, as syncTags writes them before and after 0014. */
const syncTags = (where: string) => `insert into post_tags (post_id, tag, status, published_sort,
    search_sig)
  select p.id, t.tag, p.status, p.published_sort, search_sig(tsvector_to_array(p.search))
  from posts p, unnest(p.tags) t(tag) where ${where}`;

/** A database migrated up to 0013, with posts and their post_tags rows as 0013's code wrote them. */
async function before0014() {
  const db = await createTestDatabase();
  after(() => db.drop());
  await migrateBefore(db.url, migrations, '0014');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(`insert into posts (slug, title, body, excerpt, status, author_id, tags,
      published_at)
    select 'post-' || g, case when g % 2 = 0 then 'Crème brûlée ' else 'Creme brulee ' end || g,
      case when g % 3 = 0 then 'A naïve façade' else 'meadow notes' end, '',
      case when g % 5 = 0 then 'draft' else 'published' end, gen_random_uuid(),
      case when g % 4 = 0 then '{}'::text[] else array['dessert', 'tag-' || g % 3] end,
      case when g % 5 = 0 then null else now() end
    from generate_series(1, 60) g`);
  await client.query(syncTags('true'));
  await client.end();
  return db.url;
}

async function query<T extends pg.QueryResultRow>(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** Slugs of the posts q matches, as the list reads them (posts.search), and through post_tags. */
async function matches(url: string, q: string) {
  const tsq = `websearch_to_tsquery('posts_search', '${q}')`;
  const direct = await query<{ slug: string }>(
    url,
    `select slug from posts where search @@ ${tsq} order by slug`,
  );
  const walked = await query<{ slug: string }>(
    url,
    `select distinct p.slug from post_tags t join posts p on p.id = t.post_id
     where t.tag = 'dessert' and (t.search_sig & search_query_sig(${tsq})) = search_query_sig(${tsq})
       and p.search @@ ${tsq} order by p.slug`,
  );
  return { direct: direct.map((r) => r.slug), walked: walked.map((r) => r.slug) };
}

const stale = (url: string) =>
  query<{ slug: string }>(
    url,
    `select p.slug from post_tags t join posts p on p.id = t.post_id
     where t.search_sig <> search_sig(tsvector_to_array(p.search))`,
  );

const slugs = (keep: (g: number) => boolean) =>
  Array.from({ length: 60 }, (_, i) => i + 1)
    .filter(keep)
    .map((g) => `post-${g}`)
    .sort();

test('migration 0014: posts written before it are found by q with accents folded, with a tag too', async () => {
  const url = await before0014();
  // Before: "creme" finds only the posts that spell it so.
  const [{ n } = { n: 0 }] = await query<{ n: number }>(
    url,
    `select count(*)::int as n from posts where search @@ websearch_to_tsquery('english', 'creme')`,
  );
  assert.equal(n, 30);
  const [stampBefore] = await query<{ value: string }>(url, 'select value from list_stamp');

  await runMigrations(url, migrations);

  const all = slugs(() => true);
  const tagged = slugs((g) => g % 4 !== 0);
  for (const q of ['creme', 'crème', 'CRÈME', 'brûlée crème']) {
    assert.deepEqual(await matches(url, q), { direct: all, walked: tagged }, q);
  }
  const facade = slugs((g) => g % 3 === 0);
  for (const q of ['facade', 'façade', 'NAÏVE façade']) {
    assert.deepEqual(
      await matches(url, q),
      { direct: facade, walked: facade.filter((s) => tagged.includes(s)) },
      q,
    );
  }
  assert.deepEqual(await stale(url), []);
  // The column is rebuilt as it was: kept in the row (0001), in the GIN index with the tags (0004).
  const [column] = await query<{ attstorage: string }>(
    url,
    `select attstorage from pg_attribute where attrelid = 'posts'::regclass and attname = 'search'`,
  );
  assert.equal(column?.attstorage, 'm');
  const [index] = await query<{ indexdef: string }>(
    url,
    `select indexdef from pg_indexes where indexname = 'posts_search_tags_idx'`,
  );
  assert.match(index?.indexdef ?? '', /USING gin \(search, tags\)/);
  // Cached list pages are dropped: q finds other posts now.
  const [stampAfter] = await query<{ value: string }>(url, 'select value from list_stamp');
  assert.ok(BigInt(stampAfter!.value) > BigInt(stampBefore!.value));
});

test('migration 0014: a post the previous version writes while it runs gets its new vector and signature', async () => {
  const url = await before0014();
  const writer = new pg.Client({ connectionString: url });
  await writer.connect();
  writer.on('error', () => {});
  await writer.query('begin');
  await writer.query(`update posts set body = 'Ångström café' where slug = 'post-1'`);
  await writer.query(
    `delete from post_tags where post_id = (select id from posts where slug = 'post-1')`,
  );
  await writer.query(syncTags(`p.slug = 'post-1'`));
  const migrating = runMigrations(url, migrations);
  // The migration waits for the writer (posts' lock), which commits once it does.
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
  assert.deepEqual(await stale(url), []);
  assert.deepEqual(await matches(url, 'angstrom cafe'), { direct: ['post-1'], walked: ['post-1'] });
});

test('migration 0014: a tag list read that arrives while it waits for posts fails neither itself nor the migration', async () => {
  const url = await before0014();
  // A read of posts under way (a ranked page, an export): the migration waits for it.
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  await holder.query('begin');
  await holder.query('select count(*) from posts');
  const migrating = runMigrations(url, migrations).then(
    () => 'migrated',
    (error: Error) => `migration failed: ${error.message}`,
  );
  const watcher = new pg.Client({ connectionString: url });
  await watcher.connect();
  const waiting = async (count: number) => {
    for (let i = 0; ; i++) {
      const { rows } = await watcher.query(
        `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      if (rows.length >= count) return;
      assert.ok(i < 600, `never ${count} waiting`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  // A list with a tag, as list-query.ts reads it: post_tags joined to posts. It queues behind the
  // migration for posts.
  const reader = new pg.Client({ connectionString: url });
  await reader.connect();
  const { rows: backend } = await reader.query<{ pid: number }>('select pg_backend_pid() as pid');
  try {
    await waiting(1);
    const reading = reader
      .query(
        `select p.slug from post_tags t0 join posts p on p.id = t0.post_id
         where t0.tag = 'dessert' and t0.status = 'published' order by t0.published_sort desc limit 5`,
      )
      .then(
        (r) => `read ${r.rows.length}`,
        (error: Error) => `read failed: ${error.message}`,
      );
    // Queued (or, between the migration's tries, already through): then the reader lets go.
    let settled = false;
    void reading.then(() => {
      settled = true;
    });
    for (let i = 0; !settled; i++) {
      const { rows } = await watcher.query(
        `select 1 from pg_stat_activity where pid = $1 and wait_event_type = 'Lock'`,
        [backend[0]!.pid],
      );
      if (rows.length > 0) break;
      assert.ok(i < 600, 'the reader neither read nor waited');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await holder.query('commit');
    assert.deepEqual(await Promise.all([migrating, reading]), ['migrated', 'read 5']);
  } finally {
    await Promise.all([holder.end(), watcher.end(), reader.end()]);
  }
  assert.deepEqual(await stale(url), []);
});

test('migration 0014: a post write that has written posts and not yet post_tags when it starts finishes, and so does the migration', async () => {
  const url = await before0014();
  const writer = new pg.Client({ connectionString: url });
  await writer.connect();
  await writer.query('begin');
  await writer.query(`update posts set body = 'Ångström café' where slug = 'post-2'`);
  const migrating = runMigrations(url, migrations).then(
    () => 'migrated',
    (error: Error) => `migration failed: ${error.message}`,
  );
  // The migration holds post_tags while it waits for posts, which the writer holds: the writer's
  // next statement, on post_tags, must not deadlock with it.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const writing = (async () => {
    await writer.query(
      `delete from post_tags where post_id = (select id from posts where slug = 'post-2')`,
    );
    await writer.query(syncTags(`p.slug = 'post-2'`));
    await writer.query('commit');
    return 'written';
  })().catch((error: Error) => `write failed: ${error.message}`);
  try {
    assert.deepEqual(await Promise.all([writing, migrating]), ['written', 'migrated']);
  } finally {
    await writer.end();
  }
  assert.deepEqual(await stale(url), []);
  assert.deepEqual(await matches(url, 'angstrom cafe'), { direct: ['post-2'], walked: ['post-2'] });
});
