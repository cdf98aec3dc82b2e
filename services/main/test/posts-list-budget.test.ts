import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_BODY_BYTES } from '../src/posts/schema.ts';
import { buildTestMain, createPost, list, type Post } from './helper.ts';

/** list-query.ts PAGE_BODY_BYTES, as documented in docs/main.md. */
const PAGE_BODY_BYTES = 512 * 1024;
// A small rank window, so a ranked walk also goes on past it to the older matches.
const main = await buildTestMain({ SEARCH_RANK_WINDOW: '8' });
const alice = await main.user();

/** A body of exactly `bytes` bytes (ASCII) holding the searched word. */
const bodyOf = (bytes: number, i: number) => `budget ${i} `.padEnd(bytes, 'x');

// Oldest first: small posts, then posts of 100 KB (the most a body may hold), with small ones
// among them, and alice's drafts of 100 KB, which only she lists.
const made: Post[] = [];
for (let i = 0; i < 25; i++) {
  made.push(await createPost(main, alice!, { body: bodyOf(200, i), tags: ['small'] }));
}
for (let i = 0; i < 24; i++) {
  made.push(
    await createPost(main, alice!, { body: bodyOf(i % 6 === 5 ? 300 : MAX_BODY_BYTES, i) }),
  );
}
const drafts = [
  await createPost(main, alice!, { body: bodyOf(MAX_BODY_BYTES, 90), status: 'draft' }),
  await createPost(main, alice!, { body: bodyOf(MAX_BODY_BYTES, 91), status: 'draft' }),
];
// One body larger than a whole page's budget (written past the API, as psql or a seed might).
const huge = made[30]!;
await main.sql(`update posts set body = $1 where id = $2`, [
  bodyOf(PAGE_BODY_BYTES + 100_000, 30),
  huge.id,
]);

const bytesOf = (page: { items: Post[] }) =>
  page.items.reduce((sum, post) => sum + Buffer.byteLength(post.body), 0);

/** Every page of a walk, from the first through the last cursor. */
async function walk(query: string, user?: typeof alice) {
  const pages: { items: Post[]; next_cursor: string | null }[] = [];
  let cursor: string | null = null;
  do {
    const page = await list(
      main,
      cursor ? `${query}&cursor=${encodeURIComponent(cursor)}` : query,
      user,
    );
    pages.push(page);
    cursor = page.next_cursor;
  } while (cursor && pages.length < 200);
  return pages;
}

function assertWithinBudget(pages: { items: Post[]; next_cursor: string | null }[]) {
  for (const [i, page] of pages.entries()) {
    // Never empty while more follow; past the budget only a lone first post.
    if (page.next_cursor) assert.ok(page.items.length > 0, `page ${i} is empty`);
    if (page.items.length > 1) {
      assert.ok(bytesOf(page) <= PAGE_BODY_BYTES, `page ${i}: ${bytesOf(page)} bytes`);
    }
  }
}

const ids = (posts: Post[]) => posts.map((p) => p.id);

test('limit=100 of posts of 100 KB: pages end at the byte budget, and the walk returns each post once', async () => {
  const pages = await walk('limit=100');
  assertWithinBudget(pages);
  assert.deepEqual(ids(pages.flatMap((p) => p.items)), ids(made).reverse());
  // Short of the limit, with a cursor: allowed by the contract, the point of the budget.
  assert.ok(pages[0]!.items.length < 10 && pages[0]!.next_cursor);
  assert.equal(pages.at(-1)!.next_cursor, null);
  // The body past the budget came alone, whole.
  const alone = pages.find((p) => p.items.some((post) => post.id === huge.id))!;
  assert.deepEqual(ids(alone.items), [huge.id]);
  assert.equal(alone.items[0]!.body.length, PAGE_BODY_BYTES + 100_000);
});

test('small posts still fill the limit', async () => {
  const page = await list(main, 'tag=small&limit=20');
  assert.equal(page.items.length, 20);
  assert.ok(page.next_cursor);
  const all = await walk('limit=100&sort=published_at');
  // Oldest first: the 25 small posts and the first big ones share one page.
  assert.ok(all[0]!.items.length > 25);
  assert.deepEqual(ids(all[0]!.items.slice(0, 25)), ids(made.slice(0, 25)));
  assertWithinBudget(all);
  assert.deepEqual(ids(all.flatMap((p) => p.items)), ids(made));
});

test('every order and the author’s drafts: within the budget, each post once', async () => {
  for (const sort of ['-published_at', 'published_at', '-created_at', 'title']) {
    const pages = await walk(`limit=50&sort=${sort}`, alice);
    assertWithinBudget(pages);
    const seen = ids(pages.flatMap((p) => p.items));
    assert.equal(new Set(seen).size, seen.length, sort);
    assert.deepEqual(new Set(seen), new Set(ids([...made, ...drafts])), sort);
  }
});

test('a ranked search (q): within the budget through the window and past it, each post once', async () => {
  const pages = await walk('q=budget&limit=100');
  assertWithinBudget(pages);
  const seen = ids(pages.flatMap((p) => p.items));
  assert.equal(new Set(seen).size, seen.length);
  assert.deepEqual(new Set(seen), new Set(ids(made)));
});
