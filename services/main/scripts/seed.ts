/**
 * `npm run seed -w services/main [-- --posts 1000000]`: fills the database at DATABASE_URL with
 * realistic content: categories, tags, a few thousand authors (random uuids, as auth would make)
 * and N posts (default 10,000), 90 % published over three years, the rest drafts. Posts are made
 * by Postgres itself in batches of INSERT … SELECT generate_series, so a million takes minutes.
 * Word and tag frequencies are skewed (a few common, many rare), as in real text.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runMigrations } from '@platform/db';
import pg from 'pg';
import { migrationsFolder } from '../src/db/index.ts';
import { CATEGORIES, TAGS, WORDS } from './seed-words.ts';

export interface SeedOptions {
  posts: number;
  authors?: number;
  batch?: number;
  onProgress?: (done: number) => void;
}

/**
 * One word: mostly from the vocabulary, common words more often; 3 % are compounds of two
 * ("riverengine"), 60,000 of them, so rare search terms exist too.
 */
const WORD = `case when random() < 0.03
  then ($1::text[])[1 + floor(random() * $2)::int] || ($1::text[])[1 + floor(random() * $2)::int]
  else ($1::text[])[1 + floor(power(random(), 2) * $2)::int] end`;

const BATCH_SQL = `
with made as (
  select g,
    (select initcap(string_agg(${WORD}, ' ')) from generate_series(1, 3 + g % 6)) as title,
    (select string_agg(${WORD}, ' ') from generate_series(1, 40 + (g::bigint * 7) % 120)) as body,
    case when random() < 0.9 then 'published' else 'draft' end as status,
    ($3::uuid[])[1 + floor(random() * cardinality($3::uuid[]))::int] as author_id,
    case when random() < 0.95
      then ($4::uuid[])[1 + floor(random() * cardinality($4::uuid[]))::int] end as category_id,
    array(select distinct ($5::text[])[1 + floor(power(random(), 1.5) * cardinality($5::text[]))::int]
       from generate_series(1, g % 6)) as tags,
    now() - random() * interval '1095 days' as created_at
  from generate_series($6::int, $7::int) g
), inserted as (
  insert into posts (slug, title, body, excerpt, status, author_id, category_id, tags,
    created_at, updated_at, published_at)
  select lower(regexp_replace(title, '[^a-zA-Z0-9]+', '-', 'g')) || '-' || g || '-'
           || substr(md5(random()::text), 1, 4),
    title, body, left(body, 160) || '…', status, author_id, category_id, tags,
    created_at, created_at,
    case when status = 'published'
      then least(now(), created_at + random() * interval '3 days') end
  from made
  on conflict (slug) do nothing
  returning id, tags, status, published_sort, search
)
insert into post_tags (post_id, tag, status, published_sort, search_sig)
select i.id, t.tag, i.status, i.published_sort, s.sig
from inserted i, search_sig(tsvector_to_array(i.search)) s(sig), unnest(i.tags) t(tag)`;

export async function seed(url: string, options: SeedOptions): Promise<void> {
  await runMigrations(url, migrationsFolder);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('set synchronous_commit = off');
    await client.query(`set maintenance_work_mem = '256MB'`);
    for (const [slug, name] of CATEGORIES) {
      await client.query(
        'insert into categories (slug, name) values ($1, $2) on conflict (slug) do nothing',
        [slug, name],
      );
    }
    const categories = (await client.query('select id from categories')).rows.map((r) => r.id);
    const rebuild = await dropIndexesIfEmpty(client);
    const authors = Array.from({ length: options.authors ?? 2000 }, () => randomUUID());
    const batch = options.batch ?? 25_000;
    const base = Date.now() % 1_000_000_000;
    for (let done = 0; done < options.posts; done += batch) {
      const count = Math.min(batch, options.posts - done);
      await client.query(BATCH_SQL, [
        WORDS,
        WORDS.length,
        authors,
        categories,
        TAGS,
        base + done + 1,
        base + done + count,
      ]);
      options.onProgress?.(done + count);
    }
    for (const definition of rebuild) await client.query(definition);
    // Counts as the service keeps them: published posts per tag.
    await client.query(`
      insert into tags (slug, post_count)
      select tag, count(*) filter (where status = 'published') from post_tags group by tag
      on conflict (slug) do update set post_count = excluded.post_count`);
    await client.query('vacuum analyze posts');
    await client.query('vacuum analyze post_tags');
  } finally {
    await client.end();
  }
}

/**
 * Into an empty table, building the secondary indexes once at the end is several times faster
 * than updating them row by row. The key and slug indexes stay: inserts rely on them. Returns the
 * statements that recreate what was dropped.
 */
async function dropIndexesIfEmpty(client: pg.Client): Promise<string[]> {
  const { rowCount } = await client.query('select 1 from posts limit 1');
  if (rowCount) return [];
  const { rows } = await client.query<{ name: string; definition: string }>(`
    select indexname as name, indexdef as definition from pg_indexes
    where schemaname = 'public' and tablename in ('posts', 'post_tags')
      and indexname not in ('posts_pkey', 'posts_slug_key', 'post_tags_post_id_tag_pk')`);
  for (const { name } of rows) await client.query(`drop index "${name}"`);
  return rows.map((r) => r.definition);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { posts: { type: 'string', default: '10000' }, authors: { type: 'string' } },
  });
  const posts = Number(values.posts);
  const url = process.env.DATABASE_URL;
  if (!url || !/^postgres(ql)?:\/\//.test(url)) {
    console.error('DATABASE_URL must be a postgres:// URL of the main database');
    process.exit(1);
  }
  if (!Number.isInteger(posts) || posts < 0) {
    console.error('--posts must be a whole number');
    process.exit(1);
  }
  const started = Date.now();
  await seed(url, {
    posts,
    ...(values.authors ? { authors: Number(values.authors) } : {}),
    onProgress: (done) => process.stderr.write(`\r${done} / ${posts} posts`),
  });
  console.error(`\nseeded ${posts} posts in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
