import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { buildTestMain, createPost, lockWaiters } from './helper.ts';

// A full-text list can hold a connection for seconds, whatever the caches: `q=time -time` with
// sort=title walks the title index testing every post (the planner takes the contradiction for a
// common word), a phrase of common words rechecks every post holding them all; 1.2–1.5 s each at
// 200,000 seeded posts here, several seconds at a million. Anyone can send them, each with
// another `limit` to miss every cache, and ten at once held every connection of main's pool: reads
// and writes of posts waited behind them. Searches now take at most SEARCH_CONCURRENCY of them.

const main = await buildTestMain({ SEARCH_CONCURRENCY: '2', SEARCH_WAIT_MS: '300' });
const alice = await main.user();
await createPost(main, alice, { title: 'Searched words' });

/** Main's connections waiting for a lock right now. */
const waiting = async () =>
  (
    await main.sql<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock'`,
    )
  )[0]!.n;

/** Locks the posts table from a connection of its own until `unlock`: every query of posts waits. */
async function lockPosts() {
  const holder = new pg.Client({ connectionString: main.databaseUrl });
  await holder.connect();
  await holder.query('begin');
  await holder.query('lock table posts in access exclusive mode');
  return { unlock: () => holder.query('rollback'), end: () => holder.end() };
}

test('searches hold at most SEARCH_CONCURRENCY connections; the rest wait a while, then 503', async () => {
  // Every query of posts waits while this transaction holds the table: a search then holds its
  // connection as one that runs for seconds would.
  const posts = await lockPosts();
  try {
    const answers = ['searched', 'words', 'time', 'year', 'people'].map((word, i) =>
      main.app.inject({ url: `/main/v1/posts?q=${word}&limit=${i + 1}` }),
    );
    await lockWaiters(main, 2);
    const settled = await Promise.race([
      Promise.all(answers.slice(2)),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000)),
    ]);
    assert.ok(settled, 'the searches past the limit were answered while the first two ran');
    for (const res of settled) {
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.json().code, 'service_unavailable');
      assert.ok(Number(res.headers['retry-after']) >= 1);
    }
    assert.equal(await waiting(), 2, 'only two searches hold a connection');
    await posts.unlock();
    for (const res of await Promise.all(answers.slice(0, 2))) assert.equal(res.statusCode, 200);
  } finally {
    await posts.end();
  }
  // The slots are given back: searches run again.
  const again = await main.app.inject({ url: '/main/v1/posts?q=searched&limit=50' });
  assert.equal(again.statusCode, 200, again.body);
  assert.equal(again.json().items[0].title, 'Searched words');
});

test('lists filtered in an order no index ranges over (title, -created_at) take a slot too', async () => {
  // `sort=-created_at&published_before=<the median date>` walks the created_at index through the
  // newer half of the posts before it finds one: created_at and published_at go together, which
  // the planner cannot know (0.5 s at 200,000 posts). A filter in these orders may always do so.
  const posts = await lockPosts();
  try {
    const searches = ['one', 'two'].map((word) =>
      main.app.inject({ url: `/main/v1/posts?q=${word}&limit=11` }),
    );
    await lockWaiters(main, 2);
    const walks = await Promise.race([
      Promise.all(
        [
          'sort=-created_at&published_before=2024-01-01',
          'sort=title&published_after=2024-01-01',
          `sort=title&author=${alice.id}`,
          'sort=-created_at&tag=sometag',
        ].map((query) => main.app.inject({ url: `/main/v1/posts?${query}&limit=12` })),
      ),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000)),
    ]);
    assert.ok(walks, 'the filtered walks waited for a slot, not for the database');
    for (const res of walks) {
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.json().code, 'service_unavailable');
    }
    await posts.unlock();
    for (const res of await Promise.all(searches)) assert.equal(res.statusCode, 200);
  } finally {
    await posts.end();
  }
});

test('other lists never wait for a search slot', async () => {
  const posts = await lockPosts();
  try {
    const searches = ['one', 'two'].map((word) =>
      main.app.inject({ url: `/main/v1/posts?q=${word}&limit=7` }),
    );
    await lockWaiters(main, 2);
    // Both slots are taken; a plain list goes to the database (and waits for the table there).
    // Date orders range over their indexes, whatever the filter; title and -created_at alone walk
    // theirs from the first post.
    const plain = [
      'limit=9',
      'sort=title&limit=9',
      'sort=-created_at&limit=9',
      'published_after=2024-01-01&sort=published_at&limit=9',
      `author=${alice.id}&limit=9`,
    ].map((query) => main.app.inject({ url: `/main/v1/posts?${query}` }));
    await lockWaiters(main, 2 + plain.length);
    await posts.unlock();
    for (const res of await Promise.all(plain)) assert.equal(res.statusCode, 200);
    for (const res of await Promise.all(searches)) assert.equal(res.statusCode, 200);
  } finally {
    await posts.end();
  }
});

test('a search slot is taken for the queries only: bad input is a 400 and an empty list is at once', async () => {
  // The slot was taken before anything was checked: while the slots were busy, a bad date or
  // cursor waited SEARCH_WAIT_MS and was a 503 rather than its 400, and a list that needs no query
  // of posts (anonymous status=draft, an unknown category) waited its turn for an empty page.
  const posts = await lockPosts();
  try {
    const searches = ['three', 'four'].map((word) =>
      main.app.inject({ url: `/main/v1/posts?q=${word}&limit=13` }),
    );
    await lockWaiters(main, 2);
    const started = performance.now();
    const bad = await Promise.all(
      [
        'q=word&published_after=2024-02-30',
        'sort=title&tag=a&published_after=2025-01-01&published_before=2024-01-01',
        'q=word&cursor=broken',
      ].map((query) => main.app.inject({ url: `/main/v1/posts?${query}&limit=14` })),
    );
    for (const res of bad) {
      assert.equal(res.statusCode, 400, res.body);
    }
    const empty = await Promise.all(
      ['q=word&status=draft', 'sort=title&category=no-such-category'].map((query) =>
        main.app.inject({ url: `/main/v1/posts?${query}&limit=14` }),
      ),
    );
    for (const res of empty) {
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().items, []);
    }
    assert.ok(performance.now() - started < 250, 'none of them waited for a slot');
    await posts.unlock();
    for (const res of await Promise.all(searches)) assert.equal(res.statusCode, 200);
  } finally {
    await posts.end();
  }
});
