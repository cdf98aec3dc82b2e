import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seed } from '../scripts/seed.ts';
import { buildTestMain } from './helper.ts';

// A statement timeout no ranking of 1,500 posts can meet (a window as large as allowed; the
// ranking takes several milliseconds on any machine, the timeout is one).
const main = await buildTestMain({ DATABASE_STATEMENT_TIMEOUT: '1', SEARCH_RANK_WINDOW: '10000' });
const indexes = () =>
  main.sql<{ indexdef: string }>(
    `select indexdef from pg_indexes where schemaname = 'public' order by indexname`,
  );
const before = await indexes();
await seed(main.databaseUrl, { posts: 1500, authors: 50 });

type Count = 'posts' | 'published' | 'categories' | 'authors' | 'post_tags' | 'tag_uses' | 'stale';

test('the seed fills every table the lists read, consistently', async () => {
  const [counts] = await main.sql<Record<Count, number>>(`select
    (select count(*)::int from posts) as posts,
    (select count(*)::int from posts where status = 'published') as published,
    (select count(*)::int from categories) as categories,
    (select count(distinct author_id)::int from posts) as authors,
    (select count(*)::int from post_tags) as post_tags,
    (select coalesce(sum(cardinality(tags)), 0)::int from posts) as tag_uses,
    (select count(*)::int from post_tags t join posts p on p.id = t.post_id
      where t.status <> p.status or t.published_sort <> p.published_sort) as stale`);
  assert.equal(counts!.posts, 1500);
  // About 90 % published (σ ≈ 12).
  assert.ok(counts!.published > 1250 && counts!.published < 1450);
  assert.equal(counts!.categories, 12);
  assert.equal(counts!.authors, 50);
  assert.equal(counts!.post_tags, counts!.tag_uses);
  assert.equal(counts!.stale, 0);
  const [tags] = await main.sql<{ wrong: number }>(`select count(*)::int as wrong from tags t
    where post_count <> (select count(*) from post_tags p where p.tag = t.slug and p.status = 'published')`);
  assert.equal(tags!.wrong, 0);
  // The seed builds secondary indexes after loading; they must all be back as they were.
  assert.deepEqual(await indexes(), before);
});

test('a list that outlasts the statement timeout is a 503 problem, never a 500', async () => {
  const res = await main.app.inject({ url: '/main/v1/posts?q=time&limit=100' });
  assert.equal(res.statusCode, 503, res.body);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.ok(res.headers['retry-after']);
  assert.doesNotMatch(res.body, /select|statement|cancel/i);
});
