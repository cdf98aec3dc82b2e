import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { type Cursor, encodeCursor, type ListOrder } from '../src/posts/cursor.ts';
import {
  type Branch,
  type KeysetOrder,
  type ListFilters,
  type ListRow,
  listQuery,
  walkTag,
} from '../src/posts/list-query.ts';
import { rankedPage } from '../src/posts/rank-query.ts';
import { authHeader, buildTestMain, createPost, list, type Post, type User } from './helper.ts';

// q with a tag is read one of two ways (list-query.ts walkTag): walking the tag's post_tags rows
// in list order and checking q on each post, or reading posts holding q and the tags from
// posts_search_tags_idx. Both must give the same posts, in the same order, with the same cursors,
// as the API promises, also after edits that change a post's tags or text.
const WINDOW = 4;
const main = await buildTestMain({ SEARCH_RANK_WINDOW: String(WINDOW) });
const [alice, bob, editor] = await Promise.all([
  main.user(),
  main.user(),
  main.user(['user', 'editor']),
]);

interface Made {
  post: Post;
  /** How often the body says "orchid" (0: not at all); distinct, so ranks are distinct. */
  strength: number;
  /** published_at in ms; drafts sort as newest. */
  at: number;
}

const made: Made[] = [];
const body = (strength: number) => `${'orchid '.repeat(strength)}notes from the meadow`;
for (let i = 0; i < 18; i++) {
  const strength = i % 6 === 5 ? 0 : ((i * 7) % 18) + 1;
  const tags = [...(i % 2 === 0 ? ['wild'] : []), ...(i % 3 === 0 ? ['tame'] : [])];
  const draft = i === 4 || i === 9;
  const post = await createPost(main, i % 3 === 0 ? alice! : bob!, {
    title: `Meadow ${i}`,
    body: body(strength),
    tags,
    status: draft ? 'draft' : 'published',
  });
  made.push({ post, strength, at: Number.POSITIVE_INFINITY });
}
// Published a day apart, out of creation order.
const start = Date.parse('2024-03-01T00:00:00Z');
for (const [i, m] of made.entries()) {
  if (m.post.status === 'draft') continue;
  m.at = start + ((i * 5) % 18) * 86_400_000;
  await main.sql('update posts set published_at = $2 where id = $1', [
    m.post.id,
    new Date(m.at).toISOString(),
  ]);
}
await main.sql(
  'update post_tags t set published_sort = p.published_sort from posts p where p.id = t.post_id',
);

const byId = (a: Made, b: Made) => (a.post.id < b.post.id ? 1 : -1);
const newestFirst = (ms: Made[]) =>
  [...ms].sort((a, b) => (a.at === b.at ? byId(a, b) : b.at - a.at));

function visible(m: Made, user?: User) {
  return m.post.status === 'published' || user === editor || m.post.author_id === user?.id;
}

/** What the API promises for `query`, from the posts as the test made them. */
function expected(query: URLSearchParams, user?: User): string[] {
  const tags = query.getAll('tag');
  const q = query.get('q');
  const matching = made.filter(
    (m) => visible(m, user) && tags.every((t) => m.post.tags.includes(t)) && (!q || m.strength > 0),
  );
  const newest = newestFirst(matching);
  const sort = query.get('sort');
  if (sort === 'published_at') return newest.reverse().map((m) => m.post.id);
  if (sort || !q) return newest.map((m) => m.post.id);
  // Equal ranks (the posts the last test adds) follow the id, as cursors do.
  const window = newest.slice(0, WINDOW).sort((a, b) => b.strength - a.strength || byId(a, b));
  return [...window, ...newest.slice(WINDOW)].map((m) => m.post.id);
}

interface Walk {
  pages: string[][];
  cursors: (string | null)[];
}

async function walkHttp(query: URLSearchParams, limit: number, user?: User): Promise<Walk> {
  const walk: Walk = { pages: [], cursors: [] };
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams(query);
    params.set('limit', String(limit));
    if (cursor) params.set('cursor', cursor);
    const page = await list(main, params.toString(), user);
    walk.pages.push(page.items.map((p) => p.id));
    walk.cursors.push(page.next_cursor);
    cursor = page.next_cursor;
  } while (cursor && walk.pages.length < 50);
  return walk;
}

const dialect = new PgDialect();
// A pool: the readings of different queries run side by side (the assertions stay per reading).
const db = new pg.Pool({ connectionString: main.databaseUrl, max: 4 });
// An idle connection ended by the database's forced drop after the file is not a failure.
db.on('error', () => {});
/**
 * Sends a statement; with `sent`, one already sent in the same pair of readings is answered with
 * the rows it gave. Where forcing the read changes nothing (no q, or no tag: list-query.ts
 * branchRows), the index reading sends the walk's statements word for word, and nothing writes
 * in between; where forcing matters, its statements differ and all go to PostgreSQL.
 */
const runWith = (sent?: Map<string, Promise<ListRow[]>>) => async (query: SQL) => {
  const { sql: text, params } = dialect.sqlToQuery(query);
  const key = `${text}\0${JSON.stringify(params)}`;
  let rows = sent?.get(key);
  if (!rows) {
    rows = db.query(text, params).then((r) => r.rows as ListRow[]);
    sent?.set(key, rows);
  }
  // Copies: a reading may not see what another did to its rows.
  return { rows: (await rows).map((row) => ({ ...row })) };
};

/** The branches listPosts gives each caller (list-service.ts visibleBranches). */
function branchesOf(user?: User): Branch[] {
  if (user === editor) return [{ status: 'published' }, { status: 'draft' }];
  if (user) return [{ status: 'published' }, { status: 'draft', onlyAuthor: user.id }];
  return [{ status: 'published' }];
}

/**
 * The same walk as listPosts does, with the read forced: `walk` the tag in list order, or read
 * posts from the `index` holding q and tags.
 */
async function walkForced(
  query: URLSearchParams,
  limit: number,
  force: 'walk' | 'index',
  user?: User,
  options: {
    during?: () => Promise<void>;
    sent?: Map<string, Promise<ListRow[]>>;
    tags?: string[];
  } = {},
): Promise<Walk> {
  const { during, sent } = options;
  const run = runWith(sent);
  const q = query.get('q') ?? undefined;
  const order = (query.get('sort') ?? (q ? 'rank' : '-published_at')) as ListOrder;
  const tags = options.tags ?? (await rarestFirst(query));
  const filters: ListFilters = {
    ...(tags.length ? { tags } : {}),
    ...(q ? { q } : {}),
    matches: force === 'walk' ? { tag: 1, both: 1_000_000 } : { tag: 1_000_000, both: 1 },
  };
  const branches = branchesOf(user);
  const walk: Walk = { pages: [], cursors: [] };
  let cursor: Cursor | undefined;
  do {
    let rows: ListRow[];
    let next: Cursor | null;
    if (order === 'rank') {
      ({ rows, next } = await rankedPage(
        run,
        branches,
        { ...filters, q: q! },
        cursor,
        limit,
        WINDOW,
      ));
    } else {
      const all = (await run(listQuery(branches, order as KeysetOrder, filters, cursor, limit + 1)))
        .rows;
      rows = all.slice(0, limit);
      const last = rows.at(-1);
      next = all.length > limit && last ? { order, value: last.sort_value, id: last.id } : null;
    }
    walk.pages.push(rows.map((r) => r.id));
    walk.cursors.push(next ? encodeCursor(next) : null);
    cursor = next ?? undefined;
    await during?.();
  } while (cursor && walk.pages.length < 50);
  return walk;
}

/** The query's tags, the rarest first, as the service orders them. */
async function rarestFirst(query: URLSearchParams) {
  const rows = await main.sql<{ slug: string }>(
    'select slug from tags where slug = any($1) order by post_count, slug',
    [query.getAll('tag')],
  );
  return rows.map((r) => r.slug);
}

const QUERIES = [
  'q=orchid&tag=wild',
  'q=orchid&tag=wild&sort=-published_at',
  'q=orchid&tag=wild&sort=published_at',
  'q=orchid&tag=wild&tag=tame',
  'q=orchid&tag=tame&sort=-published_at',
  'tag=wild',
  'tag=wild&tag=tame&sort=published_at',
  'q=orchid',
  'q=orchid&sort=-published_at',
];

/** Every query, for every kind of caller and two page sizes, read every way, agrees. */
async function assertAllAgree() {
  await Promise.all(QUERIES.map(agreeOn));
}

async function agreeOn(text: string) {
  const query = new URLSearchParams(text);
  const tags = await rarestFirst(query);
  for (const user of [undefined, alice, bob, editor]) {
    const want = expected(query, user);
    assert.ok(want.length > 0, text);
    for (const limit of [2, 5]) {
      const label = `${text} limit=${limit} as ${user === editor ? 'editor' : user === alice ? 'alice' : user ? 'bob' : 'anonymous'}`;
      const http = await walkHttp(query, limit, user);
      assert.deepEqual(http.pages.flat(), want, label);
      const sent = new Map<string, Promise<ListRow[]>>();
      const walked = await walkForced(query, limit, 'walk', user, { sent, tags });
      const indexed = await walkForced(query, limit, 'index', user, { sent, tags });
      assert.deepEqual(walked, http, `${label}: walking the tag`);
      assert.deepEqual(indexed, http, `${label}: from the search index`);
    }
  }
}

test('walkTag walks a common word, reads a rare one from the index', () => {
  // The 1M-post bench: garden in a fifth of the posts, riverengine in 67, javascript in 150,000.
  assert.equal(walkTag({ tag: 150_000, both: 29_600 }, 500), true);
  assert.equal(walkTag({ tag: 150_000, both: 750 }, 500), false);
  assert.equal(walkTag({ tag: 150_000, both: 29_600 }, 21), true);
  // No estimate (or none could be read): the walk, as before.
  assert.equal(walkTag(undefined, 500), true);
  assert.equal(walkTag({ tag: 0, both: 0 }, 500), true);
  const sqlOf = (filters: ListFilters) =>
    dialect.sqlToQuery(
      listQuery([{ status: 'published' }], '-published_at', filters, undefined, 21),
    ).sql;
  assert.match(sqlOf({ q: 'x', tags: ['a'], matches: { tag: 10, both: 1000 } }), /post_tags/);
  assert.doesNotMatch(sqlOf({ q: 'x', tags: ['a'], matches: { tag: 1000, both: 1 } }), /post_tags/);
  assert.match(sqlOf({ tags: ['a'], matches: { tag: 1000, both: 1 } }), /post_tags/);
});

test('q with tags: same posts, order and cursors whether the tag is walked or the index read', async () => {
  await assertAllAgree();
});

test('after edits that change tags, text and status, every read still agrees', async () => {
  const patch = async (m: Made, user: User, payload: Record<string, unknown>) => {
    const res = await main.app.inject({
      method: 'PATCH',
      url: `/main/v1/posts/${m.post.id}`,
      headers: authHeader(user),
      payload,
    });
    assert.equal(res.statusCode, 200, res.body);
    m.post = res.json().post;
    if (m.post.published_at && m.at === Number.POSITIVE_INFINITY) {
      m.at = Date.parse(m.post.published_at);
    }
  };
  const owner = (m: Made) => (m.post.author_id === alice!.id ? alice! : bob!);
  const [wildTame, wildOnly, plain, strong] = [made[0]!, made[2]!, made[1]!, made[8]!];
  assert.deepEqual(wildTame.post.tags, ['wild', 'tame']);
  await patch(wildTame, owner(wildTame), { tags: ['tame'] });
  await patch(wildOnly, owner(wildOnly), { tags: ['tame', 'wild'] });
  await patch(plain, owner(plain), { tags: ['wild'] });
  // Text: the strongest match loses the word, another becomes the strongest.
  strong.strength = 0;
  await patch(strong, owner(strong), { body: body(0) });
  made[3]!.strength = 40;
  await patch(made[3]!, owner(made[3]!), { body: body(40) });
  // A draft is published: now the newest match.
  const draft = made.find((m) => m.post.status === 'draft' && m.post.tags.includes('wild'))!;
  await patch(draft, owner(draft), { status: 'published' });
  // Text alone: a post walked for its tag gains the word, its tags untouched. The walk skips
  // posts by the signature post_tags keeps of their words: it must be the new text's.
  const gains = made[11]!;
  assert.equal(gains.strength, 0);
  await patch(gains, owner(gains), { tags: ['wild'] });
  gains.strength = 25;
  await patch(gains, owner(gains), { body: body(25) });
  await assertAllAgree();
});

test('the word signature of a query never excludes a post the query matches', async () => {
  // Posts of random words from a small vocabulary, and queries of every form websearch and
  // to_tsquery make (phrases, negation, OR, groups, prefixes, weights). A tag walk fetches
  // only posts whose signature holds the query's (migration 0005, list-query.ts branchRows).
  const [row] = await main.sql<{ missed: number; pairs: number; skipped: number }>(`
    with words as (select array['orchid', 'meadow', 'fern', 'moss', 'reed', 'sedge', 'it''s',
        'back\\slash', 'dandelion', 'clover'] w),
      docs as (
        select setweight(to_tsvector('simple', (select string_agg(w[1 + (g * 7 + i * i * 3) % 10], ' ')
          from generate_series(1, 1 + g % 5) i)), 'A')
          || to_tsvector('simple', (select string_agg(w[1 + (g * 3 + i) % 10], ' ')
          from generate_series(1, g % 3) i)) as v
        from words, generate_series(1, 200) g),
      signed as materialized (select v, search_sig(tsvector_to_array(v)) as sig from docs),
      queries as (
        select websearch_to_tsquery('simple', q) as q from unnest(array['orchid', 'orchid fern',
          '"orchid fern"', 'orchid -fern', '-orchid', 'orchid or fern', 'orchid or fern moss',
          '"moss reed" -sedge clover', 'it''s', 'back\\slash']) q
        union all
        select to_tsquery('simple', q) from unnest(array['orc:*', 'orc:* & fern', 'orchid:A',
          'orchid:B & moss', '!(orchid & fern) & moss', '(orchid | fern) & moss', 'moss <-> !reed',
          'moss <2> reed & clover', '!orchid | fern', 'clover & (reed <-> sedge)']) q),
      -- Materialized: each query's signature once, not once per post it is paired with.
      wanted as materialized (select q, search_query_sig(q) as sig from queries)
    select count(*) filter (where d.v @@ q.q and (d.sig & q.sig) <> q.sig)::int as missed,
      count(*) filter (where d.v @@ q.q)::int as pairs,
      count(*) filter (where not d.v @@ q.q and (d.sig & q.sig) <> q.sig)::int as skipped
    from signed d, wanted q`);
  assert.equal(row!.missed, 0);
  assert.ok(row!.pairs > 500, `only ${row!.pairs} matches to check`);
  // And it skips: most non-matching posts of the plain queries are never fetched.
  assert.ok(row!.skipped > 1000, `only ${row!.skipped} posts skipped`);
  const bits = async (q: string) =>
    (
      await main.sql<{ n: number }>(
        `select bit_count(search_query_sig(websearch_to_tsquery('posts_search', $1)))::int as n`,
        [q],
      )
    )[0]!.n;
  assert.ok((await bits('orchid')) > 0);
  assert.ok((await bits('orchids -meadow')) > 0);
  // An OR or only stop words: nothing is required, nothing skipped.
  assert.equal(await bits('orchid or meadow'), 0);
  assert.equal(await bits('the'), 0);
});

test('random websearch queries of odd text: the signature never excludes a match', async () => {
  // What a client can send as q, through websearch_to_tsquery('posts_search') as the list does:
  // quotes, or, -word, apostrophes, backslashes, colons, operators, URLs, e-mails, hyphenated and
  // non-ASCII words. Each query's own text is also a post, so most queries match something.
  const vocabulary =
    String.raw`orchid orchids meadow the or and - -- " "" it's o'neil ' \ back\slash
    c:\dir x:y :* :A * <-> <2> & | ! ( ) foo-bar e-mail user@example.com http://ex.com/a'b
    /usr/bin/x naïve Straße 日本語 123 1.5 v2.0 C++ #tag running crème CRÈME façade-naïve
    Ångström œuvre`.split(/\s+/);
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
  const text = (words: number) =>
    Array.from({ length: words }, () => vocabulary[next(vocabulary.length)]).join(
      next(4) === 0 ? '' : ' ',
    );
  const queries = Array.from({ length: 400 }, () => text(1 + next(12)).slice(0, 200));
  const docs = [...queries, ...Array.from({ length: 100 }, () => text(1 + next(20)))];
  const [row] = await main.sql<{ missed: string[]; pairs: number; required: number }>(
    `with signed as materialized (
        select v, search_sig(tsvector_to_array(v)) as sig
        from unnest($1::text[]) d, setweight(to_tsvector('posts_search', d), 'A') v),
      wanted as materialized (
        select t, q, search_query_sig(q) as sig
        from unnest($2::text[]) t, websearch_to_tsquery('posts_search', t) q)
    select coalesce(array_agg(distinct w.t) filter (where d.v @@ w.q and (d.sig & w.sig) <> w.sig),
        '{}') as missed,
      count(*) filter (where d.v @@ w.q)::int as pairs,
      count(distinct w.t) filter (where bit_count(w.sig) > 0)::int as required
    from signed d, wanted w`,
    [docs, queries],
  );
  assert.deepEqual(row!.missed, []);
  assert.ok(row!.pairs > 400, `only ${row!.pairs} matches to check`);
  assert.ok(row!.required > 100, `only ${row!.required} queries require a word`);
});

test('every write through the API leaves post_tags with the signature of its post as it is', async () => {
  // A stale signature hides the post from q with its tag when the tag is walked: every row
  // must hold the signature of the post's search as it now is, after any kind of write.
  const stale = async (label: string) => {
    const rows = await main.sql<{ post_id: string }>(
      `select t.post_id from post_tags t join posts p on p.id = t.post_id
       where t.search_sig <> search_sig(tsvector_to_array(p.search))`,
    );
    assert.deepEqual(rows, [], label);
  };
  const send = async (method: 'PATCH' | 'PUT', id: string, payload: Record<string, unknown>) => {
    const res = await main.app.inject({
      method,
      url: `/main/v1/posts/${id}`,
      headers: authHeader(bob),
      payload,
    });
    assert.equal(res.statusCode, 200, res.body);
  };
  const a = await createPost(main, bob!, {
    title: 'Sedge notes',
    body: 'reeds by the pond',
    tags: ['sig-check'],
  });
  const b = await createPost(main, bob!, {
    title: 'Draft of sedge',
    body: 'moss',
    tags: ['sig-check', 'sig-other'],
    status: 'draft',
  });
  await stale('create');
  await send('PATCH', a.id, { title: 'Clover meadow notes' });
  await stale('title edited');
  await send('PATCH', a.id, { body: 'dandelion fluff, clover and bees' });
  await stale('body edited');
  await send('PATCH', b.id, { status: 'published', body: 'moss and lichen' });
  await stale('published with a new body');
  await send('PUT', b.id, { title: 'Lichen', body: 'only lichen now', tags: ['sig-other'] });
  await stale('replaced');
  await send('PATCH', a.id, { tags: ['sig-other', 'sig-check'], title: 'Bees' });
  await stale('tags and title edited');
  const gone = await main.app.inject({
    method: 'DELETE',
    url: `/main/v1/posts/${a.id}`,
    headers: authHeader(bob),
  });
  assert.equal(gone.statusCode, 204, gone.body);
  await stale('deleted');
  const [count] = await main.sql<{ n: number }>(
    `select count(*)::int as n from post_tags where post_id = any($1::uuid[])`,
    [[a.id, b.id]],
  );
  assert.equal(count!.n, 1);
});

test('posts added during a walk of q with a tag never repeat or go missing, either way', async () => {
  // Newer than every post so far: a walk that started before it never shows it.
  const add = async () => {
    const post = await createPost(main, bob!, { title: 'Late', body: body(30), tags: ['wild'] });
    made.push({ post, strength: 30, at: Date.parse(post.published_at!) });
  };
  for (const text of ['q=orchid&tag=wild&sort=-published_at', 'q=orchid&tag=wild']) {
    const query = new URLSearchParams(text);
    for (const force of ['walk', 'index'] as const) {
      const before = expected(query);
      const seen = (await walkForced(query, 2, force, undefined, { during: add })).pages.flat();
      assert.deepEqual(seen, before, `${text} ${force}`);
    }
  }
  await db.end();
});
