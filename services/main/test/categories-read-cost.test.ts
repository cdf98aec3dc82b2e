import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { authHeader, buildTestMain, createPost } from './helper.ts';

// `GET /categories` is public and counts every category's published posts: at a million posts
// that is an index scan of all of them (≈45 ms at 200,000 seeded posts here, five times that at a
// million), for anyone, as often as the rate limit lets them. The counts change only with a write
// of posts or categories, which bumps the list stamp: they are counted once per stamp.

const main = await buildTestMain();
const [alice, editor] = await Promise.all([main.user(), main.user(['user', 'editor'])]);

const read = async (url: string) => {
  const res = await main.app.inject({ url: `/main/v1${url}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
};

test('category counts are computed once per list stamp, not on every anonymous read', async () => {
  const created = await main.app.inject({
    method: 'POST',
    url: '/main/v1/categories',
    headers: authHeader(editor),
    payload: { name: 'Counted once' },
  });
  assert.equal(created.statusCode, 201, created.body);
  const category = created.json().category as { id: string; slug: string };
  await createPost(main, alice!, { category_id: category.id });
  const countIn = (page: { items: { id: string; post_count: number }[] }) =>
    page.items.find((c) => c.id === category.id)?.post_count;
  assert.equal(countIn(await read('/categories')), 1);
  assert.equal((await read(`/categories/${category.slug}`)).category.post_count, 1);

  // A published post written behind the stamp's back (its trigger off): a read that counted the
  // posts again would see it; one answered from the counts of this stamp does not.
  await main.sql('alter table posts disable trigger posts_bump_list_stamp');
  await main.sql(
    `insert into posts (slug, title, body, excerpt, status, author_id, category_id, tags, published_at)
     values ($1, 'Behind the stamp', 'b', 'b', 'published', $2, $3, '{}', now())`,
    [`behind-${randomUUID().slice(0, 8)}`, alice!.id, category.id],
  );
  await main.sql('alter table posts enable trigger posts_bump_list_stamp');
  for (let i = 0; i < 3; i++) {
    assert.equal(countIn(await read('/categories')), 1);
    assert.equal((await read(`/categories/${category.slug}`)).category.post_count, 1);
    assert.equal((await read(`/categories/${category.id}`)).category.post_count, 1);
  }

  // Any write moves the stamp: the next read counts again, on every replica alike.
  await main.sql('update list_stamp set value = value + 1');
  assert.equal(countIn(await read('/categories')), 2);
  assert.equal((await read(`/categories/${category.slug}`)).category.post_count, 2);
  await createPost(main, alice!, { category_id: category.id });
  assert.equal(countIn(await read('/categories')), 3);
  assert.equal((await read(`/categories/${category.id}`)).category.post_count, 3);
});

test('a category read while none exists at that stamp is a 404, and one created next is found', async () => {
  const missing = await main.app.inject({ url: '/main/v1/categories/not-there-yet' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'not_found');
  const created = await main.app.inject({
    method: 'POST',
    url: '/main/v1/categories',
    headers: authHeader(editor),
    payload: { name: 'Not there yet' },
  });
  assert.equal(created.statusCode, 201, created.body);
  assert.equal((await read('/categories/not-there-yet')).category.post_count, 0);
  const upper = created.json().category.id.toUpperCase();
  assert.equal((await read(`/categories/${upper}`)).category.slug, 'not-there-yet');
});
