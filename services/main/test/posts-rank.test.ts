import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { authHeader, buildTestMain, createPost, list, type Post, type User } from './helper.ts';

// A window of 5: the 5 newest matches are ranked, older ones follow newest first.
const WINDOW = 5;
const main = await buildTestMain({ SEARCH_RANK_WINDOW: String(WINDOW) });
const [alice, bob, editor] = await Promise.all([
  main.user(),
  main.user(),
  main.user(['user', 'editor']),
]);
const news = (
  await main.app.inject({
    method: 'POST',
    url: '/main/v1/categories',
    headers: authHeader(editor),
    payload: { name: 'News' },
  })
).json().category as { id: string; slug: string };

/** A post with its relevance for the term: how often the body says it (distinct per post). */
interface Made {
  post: Post;
  strength: number;
  /** published_at in ms; drafts sort as newest. */
  at: number;
}

const made: Made[] = [];
const day = 86_400_000;
const start = Date.parse('2024-01-01T00:00:00Z');
async function make(user: User, strength: number, fields: Record<string, unknown> = {}) {
  const post = await createPost(main, user, {
    title: `Greenhouse ${made.length}`,
    body: `${'orchid '.repeat(strength)}notes from the greenhouse`,
    ...fields,
  });
  const at = post.published_at ? Date.parse(post.published_at) : Number.POSITIVE_INFINITY;
  made.push({ post, strength, at });
  return post;
}
// Twelve published matches, each a day newer than the last; strengths 1-12 out of date order,
// so one of the strongest (i = 3) is too old for the window.
for (let i = 0; i < 12; i++) {
  await make(i % 3 === 0 ? alice! : bob!, ((i * 7) % 12) + 1, {
    tags: i % 2 === 0 ? ['wild'] : [],
    category_id: i % 4 === 0 ? news.id : null,
  });
}
await make(alice!, 13, { status: 'draft', tags: ['wild'] });
for (const [i, m] of made.entries()) {
  if (m.post.status === 'draft') continue;
  m.at = start + i * day;
  await main.sql('update posts set published_at = $2 where id = $1', [
    m.post.id,
    new Date(m.at).toISOString(),
  ]);
}
await main.sql(
  'update post_tags t set published_sort = p.published_sort from posts p where p.id = t.post_id',
);

/** What the API promises: the WINDOW newest by relevance, then the rest newest first. */
function expected(matching: Made[]): string[] {
  const newest = [...matching].sort((a, b) =>
    a.at === b.at ? (a.post.id < b.post.id ? 1 : -1) : b.at - a.at,
  );
  const window = newest.slice(0, WINDOW).sort((a, b) => b.strength - a.strength);
  return [...window, ...newest.slice(WINDOW)].map((m) => m.post.id);
}

async function walk(
  query: string,
  limit: number,
  user?: User,
  during?: () => Promise<void>,
): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const page = await list(
      main,
      `${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      user,
    );
    pages.push(page.items.map((p) => p.id));
    cursor = page.next_cursor;
    await during?.();
  } while (cursor && pages.length < 100);
  return pages;
}

const chunks = (ids: string[], size: number) =>
  Array.from({ length: Math.ceil(ids.length / size) }, (_, i) =>
    ids.slice(i * size, (i + 1) * size),
  );
const published = () => made.filter((m) => m.post.status === 'published');

test('q alone ranks the newest matches, then lists older ones newest first, across pages', async () => {
  const want = expected(published());
  // The strongest published match is too old for the window, so it comes after it.
  const strongest = published().sort((a, b) => b.strength - a.strength)[0]!;
  assert.ok(want.indexOf(strongest.post.id) >= WINDOW);
  for (const limit of [1, 3, WINDOW, 100]) {
    const pages = await walk('q=orchid', limit);
    assert.deepEqual(pages, chunks(want, limit), `limit=${limit}`);
  }
  // A sort given with q is that sort, nothing ranked.
  const byDate = await list(main, 'q=orchid&sort=-published_at&limit=100');
  assert.deepEqual(
    byDate.items.map((p) => p.id),
    [...published()].sort((a, b) => b.at - a.at).map((m) => m.post.id),
  );
});

test('a term with fewer matches than the window, or exactly as many, is ranked whole', async () => {
  for (const [word, count] of [
    ['tulip', 3],
    ['lily', WINDOW],
  ] as const) {
    const posts: Made[] = [];
    for (let i = 0; i < count; i++) {
      const post = await createPost(main, bob!, {
        title: `Bulbs ${i}`,
        body: `${`${word} `.repeat(((i * 2) % count) + 1)}in the bed`,
      });
      posts.push({ post, strength: ((i * 2) % count) + 1, at: Date.parse(post.published_at!) });
    }
    const want = [...posts].sort((a, b) => b.strength - a.strength).map((m) => m.post.id);
    for (const limit of [1, 2, count]) {
      assert.deepEqual(await walk(`q=${word}`, limit), chunks(want, limit), `${word} ${limit}`);
    }
  }
  const none = await list(main, 'q=nonexistentword');
  assert.deepEqual(none, { items: [], next_cursor: null });
});

test('ranked walks combine with every other filter', async () => {
  const cases: [string, (m: Made) => boolean][] = [
    ['tag=wild', (m) => m.post.tags.includes('wild')],
    [`category=${news.slug}`, (m) => m.post.category?.id === news.id],
    [`author=${alice!.id}`, (m) => m.post.author_id === alice!.id],
    ['published_before=2024-01-10T00:00:00Z', (m) => m.at < Date.parse('2024-01-10T00:00:00Z')],
    [
      `tag=wild&author=${bob!.id}&published_after=2024-01-02T00:00:00Z`,
      (m) => m.post.tags.includes('wild') && m.post.author_id === bob!.id && m.at > start + day,
    ],
  ];
  for (const [filter, keep] of cases) {
    const want = expected(published().filter(keep));
    assert.ok(want.length > 0, filter);
    assert.deepEqual((await walk(`q=orchid&${filter}`, 2)).flat(), want, filter);
  }
});

test('drafts join a ranked walk only for their author and editors, as the newest matches', async () => {
  const draft = made.find((m) => m.post.status === 'draft')!;
  const visible = (m: Made, user?: User) =>
    m.post.status === 'published' || user === editor || m.post.author_id === user?.id;
  for (const user of [undefined, alice, bob, editor]) {
    const want = expected(made.filter((m) => visible(m, user)));
    assert.deepEqual((await walk('q=orchid', 3, user)).flat(), want);
    assert.equal(want[0] === draft.post.id, user === alice || user === editor);
  }
  const drafts = expected(made.filter((m) => m.post.status === 'draft'));
  assert.deepEqual((await walk('q=orchid&status=draft', 1, alice)).flat(), drafts);
  assert.deepEqual((await walk('q=orchid&status=draft', 1, bob)).flat(), []);
});

const signed = (fields: unknown[]) => {
  const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
  return `${payload}.${createHash('sha256').update(payload).digest('base64url').slice(0, 10)}`;
};

test('a ranked cursor is validated like any other: anything malformed is a 400', async () => {
  const first = await list(main, 'q=orchid&limit=2');
  const ranked = first.next_cursor!;
  const recent = (await list(main, `q=orchid&limit=${WINDOW + 1}`)).next_cursor!;
  const id = made[0]!.post.id;
  const ts = '2024-01-05T00:00:00.000000Z';
  const window = [ts, id, ts, id, 1];
  const forged: unknown[][] = [
    ['rank', '0.5', id],
    ['rank', '0.5', id, null],
    ['rank', 'high', id, window],
    ['rank', '0.5', 'not-an-id', window],
    ['rank', '0.5', id, [ts, id, ts, id]],
    ['rank', '0.5', id, [ts, id, 'yesterday', id, 1]],
    ['rank', '0.5', id, [ts, 'x', ts, id, 1]],
    ['rank', '0.5', id, [ts, id, ts, id, 2]],
    ['rank', '0.5', id, 'recent'],
    ['rank', ts, id, 'older'],
    ['-published_at', ts, id, 'recent'],
  ];
  const cases: [string, string][] = [
    ...forged.map((f): [string, string] => ['q=orchid', signed(f)]),
    ['q=orchid&sort=-published_at', ranked],
    ['q=orchid&sort=-published_at', recent],
    ['q=orchid', signed(['-published_at', ts, id])],
    ['q=orchid', `${ranked.slice(0, 20)}${ranked[20] === 'A' ? 'B' : 'A'}${ranked.slice(21)}`],
  ];
  for (const [query, cursor] of cases) {
    const res = await main.app.inject({ url: `/main/v1/posts?${query}&cursor=${cursor}` });
    assert.equal(res.statusCode, 400, `${cursor}: ${res.body}`);
    assert.equal(res.json().errors[0].field, 'cursor');
  }
  // Well-formed but made up: it only moves where the list starts.
  const wide = signed(['rank', '1', id, ['infinity', id, '1970-01-01T00:00:00.000000Z', id, 1]]);
  const res = await main.app.inject({ url: `/main/v1/posts?q=orchid&cursor=${wide}` });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(
    (await main.app.inject({ url: `/main/v1/posts?q=orchid&cursor=${recent}` })).statusCode,
    200,
  );
});

// Last: the posts it adds would change what the tests above expect.
test('posts added during a ranked walk never repeat one or push one out', async () => {
  for (const [user, visible] of [
    [undefined, (m: Made) => m.post.status === 'published'],
    [editor, () => true],
  ] as const) {
    const before = expected(made.filter(visible));
    let added = 0;
    const seen = (
      await walk('q=orchid', 2, user, async () => {
        // Stronger than anything in the window, and a draft, which also sorts as newest.
        await make(bob!, 20 + added, { status: added++ % 2 ? 'draft' : 'published' });
      })
    ).flat();
    assert.equal(new Set(seen).size, seen.length, 'no duplicates');
    // Newer than the window's newest post, so none of the published ones joins the walk.
    const old = seen.filter((id) => before.includes(id));
    assert.deepEqual(old, before);
    assert.ok(added >= Math.ceil(before.length / 2), 'a post was added after every page');
  }
});
