import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TEST_SECRETS } from '@platform/testing';
import pg from 'pg';
import { authHeader, buildTestMain, createPost, list, lockWaiters, type User } from './helper.ts';

const main = await buildTestMain();
const [alice, editor, admin] = await Promise.all([
  main.user(),
  main.user(['user', 'editor']),
  main.user(['user', 'admin']),
]);

const call = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  user?: User,
  payload?: object,
) =>
  main.app.inject({
    method,
    url: `/main/v1${url}`,
    headers: authHeader(user),
    ...(payload ? { payload } : {}),
  });

/** Every listed tag and its count, page by page. */
const counts = async (): Promise<Record<string, number>> => {
  const all: Record<string, number> = {};
  let cursor: string | null = null;
  do {
    const page = (
      await call('GET', `/tags?limit=500${cursor ? `&cursor=${cursor}` : ''}`)
    ).json() as { items: { slug: string; post_count: number }[]; next_cursor: string | null };
    for (const t of page.items) all[t.slug] = t.post_count;
    cursor = page.next_cursor;
  } while (cursor);
  return all;
};

test('tags are sent as names or slugs and stored as slugs, once each; the tag filter takes names too', async () => {
  const word = `Tag${Date.now()}`;
  const created = await call('POST', '/posts', alice, {
    title: 'Tagged by name',
    body: 'x',
    status: 'published',
    tags: [`${word} Web Dev`, `${word.toLowerCase()}-web-dev`, `  Crème ${word} `, `${word}.js`],
  });
  assert.equal(created.statusCode, 201, created.body);
  const slug = word.toLowerCase();
  assert.deepEqual(created.json().post.tags, [`${slug}-web-dev`, `creme-${slug}`, `${slug}-js`]);
  const patched = await call('PATCH', `/posts/${created.json().post.id}`, alice, {
    tags: [`${word} JS`],
  });
  assert.deepEqual(patched.json().post.tags, [`${slug}-js`]);
  const found = await call('GET', `/posts?tag=${encodeURIComponent(`${word}.JS`)}`);
  assert.equal(found.statusCode, 200, found.body);
  assert.deepEqual(
    found.json().items.map((p: { id: string }) => p.id),
    [created.json().post.id],
  );
  assert.equal((await counts())[`${slug}-js`], 1);

  const refused = await call('POST', '/posts', alice, {
    title: 't',
    body: 'x',
    tags: ['ok', '日本語'],
  });
  assert.equal(refused.statusCode, 400, refused.body);
  assert.equal(refused.json().code, 'validation_failed');
  assert.deepEqual(
    refused.json().errors.map((e: { field: string }) => e.field),
    ['tags.1'],
  );
  assert.deepEqual((await call('GET', '/posts?tag=%E6%97%A5')).json().items, []);
  // The other tests here count every listed tag.
  await call('DELETE', `/posts/${created.json().post.id}`, alice);
});

test('editors and admins manage categories; anyone reads them', async () => {
  const created = await call('POST', '/categories', editor, { name: 'Release Notes' });
  assert.equal(created.statusCode, 201);
  const { category } = created.json();
  assert.equal(category.slug, 'release-notes');
  assert.equal(category.name, 'Release Notes');
  assert.equal(category.post_count, 0);

  const byAdmin = await call('POST', '/categories', admin, { name: 'Guides', slug: 'how-to' });
  assert.equal(byAdmin.json().category.slug, 'how-to');

  const renamed = await call('PUT', `/categories/${category.id}`, editor, { name: 'Changelog' });
  assert.equal(renamed.statusCode, 200);
  assert.equal(renamed.json().category.name, 'Changelog');
  assert.equal(renamed.json().category.slug, 'release-notes');

  const all = await call('GET', '/categories');
  assert.equal(all.statusCode, 200);
  assert.deepEqual(
    all.json().items.map((c: { name: string }) => c.name),
    ['Changelog', 'Guides'],
  );
  assert.equal((await call('DELETE', '/categories/how-to', admin)).statusCode, 204);
  assert.equal((await call('PUT', '/categories/how-to', admin, { name: 'x' })).statusCode, 404);
});

test('anyone reads one category by id or slug, with its published posts counted', async () => {
  // Its PUT and DELETE existed, its GET was a 405: the contract's "reads: anyone" had no way to
  // read the category a post names (category: {id, slug, name}) but the whole list.
  const { category } = (await call('POST', '/categories', editor, { name: 'Read Alone' })).json();
  await call('POST', '/posts', alice, {
    title: 'Counted',
    body: 'x',
    category_id: category.id,
    status: 'published',
  });
  await call('POST', '/posts', alice, {
    title: 'Not counted',
    body: 'x',
    category_id: category.id,
  });
  for (const ref of [category.id, category.id.toUpperCase(), 'read-alone']) {
    const one = await call('GET', `/categories/${ref}`);
    assert.equal(one.statusCode, 200, one.body);
    assert.deepEqual(one.json(), { category: { ...category, post_count: 1 } });
  }
  for (const ref of ['nothing-here', '00000000-0000-4000-8000-000000000000']) {
    const missing = await call('GET', `/categories/${ref}`);
    assert.equal(missing.statusCode, 404, missing.body);
    assert.equal(missing.json().code, 'not_found');
  }
});

test('a created category says where it lives: Location, the absolute path its GET answers at', async () => {
  // Was a 201 without Location (posts had one): a client following it, as after any 201 of a
  // well-run API, had nowhere to go. Absolute, so it resolves against the gateway's base URL too.
  const created = await call('POST', '/categories', editor, { name: 'Located' });
  assert.equal(created.statusCode, 201, created.body);
  const { category } = created.json();
  assert.equal(created.headers.location, `/main/v1/categories/${category.id}`);
  const read = await main.app.inject({ method: 'GET', url: String(created.headers.location) });
  assert.equal(read.statusCode, 200, read.body);
  assert.deepEqual(read.json(), { category });
});

test('a category renamed to the slug another rename is taking at that moment is a 409, not a 500', async () => {
  // The UPDATE's free-slug check cannot see a rename another transaction has not committed yet:
  // this one then waited on the unique index, met 23505 when that one committed, and was a 500.
  const [a, b] = await Promise.all(
    ['one', 'two'].map(
      async (side) =>
        (await call('POST', '/categories', editor, { name: `Rename race ${side}` })).json()
          .category,
    ),
  );
  const other = new pg.Client({ connectionString: main.databaseUrl });
  await other.connect();
  try {
    await other.query('begin');
    await other.query(`update categories set slug = 'renamed-race' where id = $1`, [a.id]);
    const renaming = call('PUT', `/categories/${b.id}`, editor, {
      name: 'Renamed race',
      slug: 'renamed-race',
    });
    // Let the PUT reach the index and wait there for the open transaction.
    await lockWaiters(main, 1);
    await other.query('commit');
    const answer = await renaming;
    assert.equal(answer.statusCode, 409, answer.body);
    assert.equal(answer.json().code, 'slug_taken');
  } finally {
    await other.end();
  }
});

test('a category renamed while its delete commits is a 404, and a rename keeps a slug another rename just gave', async () => {
  // The rename read the category, then its UPDATE found nothing once the delete committed: that
  // was answered 409 slug_taken ('another category has this slug'), for a category that is gone.
  const gone = (await call('POST', '/categories', editor, { name: 'Renamed gone' })).json()
    .category;
  const other = new pg.Client({ connectionString: main.databaseUrl });
  await other.connect();
  try {
    await other.query('begin');
    await other.query('delete from categories where id = $1', [gone.id]);
    const renaming = call('PUT', `/categories/${gone.id}`, editor, { name: 'Renamed gone 2' });
    await lockWaiters(main, 1);
    await other.query('commit');
    const answer = await renaming;
    assert.equal(answer.statusCode, 404, answer.body);
    assert.equal(answer.json().code, 'not_found');
    // A rename sending only a name kept the slug it had read, and wrote it back over a slug
    // another rename gave meanwhile: that change was lost.
    const kept = (await call('POST', '/categories', editor, { name: 'Slug kept' })).json().category;
    await other.query('begin');
    await other.query(`update categories set slug = 'slug-given' where id = $1`, [kept.id]);
    const naming = call('PUT', `/categories/${kept.id}`, editor, { name: 'Slug kept 2' });
    await lockWaiters(main, 1);
    await other.query('commit');
    const named = await naming;
    assert.equal(named.statusCode, 200, named.body);
    assert.deepEqual(
      [named.json().category.slug, named.json().category.name],
      ['slug-given', 'Slug kept 2'],
    );
  } finally {
    await other.end();
  }
});

test('a plain user managing categories gets 403; signed out, 401', async () => {
  const existing = (await call('POST', '/categories', editor, { name: 'Locked' })).json().category;
  assert.equal((await call('POST', '/categories', alice, { name: 'Mine' })).statusCode, 403);
  assert.equal(
    (await call('PUT', `/categories/${existing.id}`, alice, { name: 'M' })).statusCode,
    403,
  );
  assert.equal((await call('DELETE', `/categories/${existing.id}`, alice)).statusCode, 403);
  assert.equal((await call('POST', '/categories', undefined, { name: 'Anon' })).statusCode, 401);
  assert.equal(
    (await call('GET', `/categories`))
      .json()
      .items.some((c: { name: string }) => c.name === 'Mine'),
    false,
  );
});

test('duplicate slugs are 409; bad bodies are 400', async () => {
  await call('POST', '/categories', editor, { name: 'Unique' });
  const dup = await call('POST', '/categories', editor, { name: 'unique!' });
  assert.equal(dup.statusCode, 409);
  assert.equal(dup.json().errors[0].field, 'slug');
  for (const body of [
    {},
    { name: '' },
    // Blank: the name would be unreadable, and every blank name one name.
    { name: '   ' },
    { name: '\t\n' },
    { name: 'x'.repeat(101) },
    { name: 'ok', slug: 'Bad Slug' },
    // Shaped like a uuid, a slug would name nothing (or the category whose id it is).
    { name: 'ok', slug: '93ecd7fe-acc9-419f-9c39-1c9658f715e3' },
  ]) {
    assert.equal(
      (await call('POST', '/categories', editor, body)).statusCode,
      400,
      JSON.stringify(body),
    );
  }
});

test('categories named without a letter a-z or digit each get a slug of their own, not a 409', async () => {
  // Their slug fell back to "category": the second such name (日本語 after Ελληνικά) was a 409
  // slug_taken although no category had that name, so no two of them could exist without a slug.
  const names = ['日本語', 'Ελληνικά', '!!!'];
  const slugs: string[] = [];
  for (const name of names) {
    const res = await call('POST', '/categories', editor, { name });
    assert.equal(res.statusCode, 201, `${name}: ${res.body}`);
    const { category } = res.json();
    assert.equal(category.name, name);
    assert.match(category.slug, /^category-[0-9a-f]{6}$/);
    slugs.push(category.slug);
  }
  assert.equal(new Set(slugs).size, names.length);
  const listed = (await call('GET', '/categories'))
    .json()
    .items.map((c: { slug: string }) => c.slug);
  for (const slug of slugs) assert.ok(listed.includes(slug), slug);
  // A name that has a slug of its own still answers 409 when that slug is taken.
  await call('POST', '/categories', editor, { name: 'Twice' });
  assert.equal((await call('POST', '/categories', editor, { name: 'twice' })).statusCode, 409);
  // "Category" is free: no name without a slug of its own holds the bare fallback any more (the
  // first of them did, and "Category" was a 409 although no category had that name).
  const plain = await call('POST', '/categories', editor, { name: 'Category' });
  assert.equal(plain.statusCode, 201, plain.body);
  assert.equal(plain.json().category.slug, 'category');
});

test('a category name sent again is a 409, as "News" twice is, whatever its Unicode form, letter case or race; names that share only what their slugs keep are not', async () => {
  // Its slug was "category" or a random one, so the same name sent twice (a create retried after
  // a timeout, a form sent twice) made two categories where "News" twice is a 409.
  const create = (name: string) => call('POST', '/categories', editor, { name });
  const first = await create('Русский язык');
  assert.equal(first.statusCode, 201, first.body);
  assert.match(first.json().category.slug, /^category-[0-9a-f]{6}$/);
  for (const again of ['Русский язык', 'русский  ЯЗЫК!', 'Русский язык'.normalize('NFD')]) {
    const res = await create(again);
    assert.equal(res.statusCode, 409, `${again}: ${res.body}`);
    assert.equal(res.json().code, 'slug_taken');
  }
  // Compatibility forms are the same name too, as "Ｎｅｗｓ" is "news": full-width ｶﾀｶﾅ is カタカナ.
  assert.equal((await create('カタカナ')).statusCode, 201);
  assert.equal((await create('ｶﾀｶﾅ')).statusCode, 409);
  // Another name has a slug of its own, and so has one of symbols only.
  const other = await create('Українська мова');
  assert.equal(other.statusCode, 201, other.body);
  assert.notEqual(other.json().category.slug, first.json().category.slug);
  assert.equal((await create('???')).statusCode, 201);
  assert.equal((await create('???')).statusCode, 409);
  assert.equal((await create('+++')).statusCode, 201);
  const named = (await call('GET', '/categories'))
    .json()
    .items.filter((c: { name: string }) => c.name === 'Русский язык');
  assert.equal(named.length, 1);
  // A name partly in other letters slugs to its a-z and digits alone ("日本語 2" and "中文 2" to
  // "2", "Python 日本" to "python"): the other names there were 409s though none was taken.
  for (const name of ['日本語 2', '中文 2', 'Python 日本', 'Python', 'Python 中国']) {
    const res = await create(name);
    assert.equal(res.statusCode, 201, `${name}: ${res.body}`);
  }
  assert.equal((await create('日本語 2')).statusCode, 409);
  assert.equal((await create('python 日本')).statusCode, 409);
  assert.equal((await create('PYTHON')).statusCode, 409);
  // Sent twice at once, the same name is still one category.
  for (const name of ['Suomi ja 日本', 'ქართული']) {
    const both = await Promise.all([create(name), create(name)]);
    assert.deepEqual(both.map((r) => r.statusCode).sort(), [201, 409], name);
  }
  // Two names whose keys share the six digits (sha256 aceb7f…): the second gets a suffix, not a 409.
  const [one, two] = [await create('αγμο'), await create('αδσχ')];
  assert.equal(one.json().category.slug, 'category-aceb7f');
  assert.equal(two.statusCode, 201, two.body);
  assert.match(two.json().category.slug, /^category-aceb7f-[0-9a-f]{6}$/);
});

test('a post names its category by category_id, or by category as an id or a slug', async () => {
  const home = (await call('POST', '/categories', editor, { name: 'Homes' })).json().category;
  const bySlug = await createPost(main, alice!, { category: 'homes' });
  assert.deepEqual(bySlug.category, { id: home.id, slug: 'homes', name: 'Homes' });
  const byId = await createPost(main, alice!, { category: home.id });
  assert.equal(byId.category?.id, home.id);
  const cleared = await call('PATCH', `/posts/${byId.id}`, alice, { category: null });
  assert.equal(cleared.json().post.category, null);
  const kept = await call('PATCH', `/posts/${bySlug.id}`, alice, { title: 'Still home' });
  assert.equal(kept.json().post.category.id, home.id);
  const unknown = await call('POST', '/posts', alice, { title: 't', body: 'b', category: 'nope' });
  assert.equal(unknown.statusCode, 400);
  assert.equal(unknown.json().errors[0].field, 'category');
});

test('a post written into a category that is being deleted is a 400 naming the category, not a 500', async () => {
  // The post's category was looked up unlocked: a delete that had counted no posts committed
  // between that and the INSERT, whose foreign key then failed (23503) as a 500.
  for (const write of ['create', 'change'] as const) {
    const { category } = (
      await call('POST', '/categories', editor, { name: `Going away ${write}` })
    ).json();
    const existing =
      write === 'change'
        ? (await call('POST', '/posts', alice, { title: 'Moving in', body: 'x' })).json().post
        : undefined;
    const other = new pg.Client({ connectionString: main.databaseUrl });
    await other.connect();
    try {
      await other.query('begin');
      await other.query('select 1 from categories where id = $1 for update', [category.id]);
      await other.query('delete from categories where id = $1', [category.id]);
      const writing = existing
        ? call('PATCH', `/posts/${existing.id}`, alice, { category_id: category.id })
        : call('POST', '/posts', alice, { title: 'Into', body: 'x', category_id: category.id });
      await lockWaiters(main, 1);
      await other.query('commit');
      const answer = await writing;
      assert.equal(answer.statusCode, 400, answer.body);
      assert.deepEqual(
        answer.json().errors.map((e: { field: string }) => e.field),
        ['category_id'],
      );
    } finally {
      await other.end();
    }
  }
});

test('two categories deleted at once, each moving its posts to the other: no 500', async () => {
  // Each delete locked its own category and then the other's: a deadlock, one of them a 500.
  for (let i = 0; i < 3; i++) {
    const [a, b] = await Promise.all(
      ['a', 'b'].map(
        async (side) =>
          (await call('POST', '/categories', editor, { name: `Swap ${side} ${i}` })).json()
            .category,
      ),
    );
    await Promise.all(
      [a, b].map((c) =>
        call('POST', '/posts', alice, { title: 'Swapped', body: 'x', category_id: c.id }),
      ),
    );
    const answers = await Promise.all([
      call('DELETE', `/categories/${a.id}?move_to=${b.id}`, editor),
      call('DELETE', `/categories/${b.id}?move_to=${a.id}`, editor),
    ]);
    const statuses = answers.map((r) => r.statusCode).sort();
    assert.deepEqual(statuses, [204, 400], answers.map((r) => r.body).join('\n'));
  }
});

test('posts moved into a category while another category moves its posts there: no 500', async () => {
  // The delete locked its target for update; a PATCH moving a post of the deleted category there
  // held the post and waited for the target, while the delete's move waited for the post.
  const statuses = new Set<number>();
  for (let i = 0; i < 8; i++) {
    const [from, to] = await Promise.all(
      ['from', 'to'].map(
        async (side) =>
          (await call('POST', '/categories', editor, { name: `Crossing ${side} ${i}` })).json()
            .category,
      ),
    );
    const posts = await Promise.all(
      [1, 2, 3].map(
        async (n) =>
          (
            await call('POST', '/posts', alice, {
              title: `Crossing ${i} ${n}`,
              body: 'x',
              category_id: from.id,
            })
          ).json().post,
      ),
    );
    const answers = await Promise.all([
      ...posts.map((post) => call('PATCH', `/posts/${post.id}`, alice, { category_id: to.id })),
      call('DELETE', `/categories/${from.id}?move_to=${to.id}`, editor),
    ]);
    for (const answer of answers) {
      statuses.add(answer.statusCode);
      assert.ok(answer.statusCode < 500, answer.body);
    }
    const moved = await main.sql<{ n: number }>(
      'select count(*)::int as n from posts where category_id = $1',
      [to.id],
    );
    assert.equal(moved[0]!.n, 3);
  }
  assert.deepEqual([...statuses].sort(), [200, 204]);
});

test('a post moved into a category whose delete waits on another delete of its own category: no 500', async () => {
  // The PATCH held the post's row and then waited for its new category (z), whose delete had
  // locked z and waited for y, whose delete moving y's posts waited for the post: a deadlock
  // through two deletes (40P01, a 500). A post write now locks the category it names first.
  const [z, y, x] = (
    await Promise.all(
      ['z', 'y', 'x'].map(
        async (side) =>
          (await call('POST', '/categories', editor, { name: `Chain ${side}` })).json().category,
      ),
    )
  ).sort((a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1));
  const post = (
    await call('POST', '/posts', alice, { title: 'Chained', body: 'x', category_id: y.id })
  ).json().post;
  const other = new pg.Client({ connectionString: main.databaseUrl });
  await other.connect();
  try {
    await other.query('begin');
    await other.query('select 1 from posts where id = $1 for update', [post.id]);
    const patching = call('PATCH', `/posts/${post.id}`, alice, { category_id: z.id });
    await lockWaiters(main, 1);
    const deletingY = call('DELETE', `/categories/${y.id}?move_to=${x.id}`, editor);
    await lockWaiters(main, 2);
    const deletingZ = call('DELETE', `/categories/${z.id}?move_to=${y.id}`, editor);
    await lockWaiters(main, 3);
    await other.query('commit');
    const answers = await Promise.all([patching, deletingY, deletingZ]);
    for (const answer of answers) assert.ok(answer.statusCode < 500, answer.body);
  } finally {
    await other.end();
  }
});

test('a category moving its posts while their author’s account is deleted: no 500', async () => {
  // The move's UPDATE locked the category's posts in the order its scan met them, the deletion
  // of their author's posts in id order: the move held the second and waited for the first,
  // which the deletion held while waiting for the second (40P01, the DELETE a 500).
  const author = await main.user();
  const [from, to] = await Promise.all(
    ['from', 'to'].map(
      async (side) =>
        (await call('POST', '/categories', editor, { name: `Leaving author ${side}` })).json()
          .category,
    ),
  );
  const posts = await Promise.all(
    ['published', 'draft'].map((status) =>
      createPost(main, author, { category_id: from.id, status }),
    ),
  );
  const [first, second] = posts.map((p) => p.id).sort();
  // The move's scan meets the second first (by status in the category's index, and on its page).
  await main.sql(`update posts set status = 'published' where id = $1`, [first]);
  await main.sql(`update posts set status = 'draft' where id = $1`, [second]);
  const other = new pg.Client({ connectionString: main.databaseUrl });
  await other.connect();
  try {
    // Holding the first post: the deletion waits for it, then the move (holding the second).
    await other.query('begin');
    await other.query('select 1 from posts where id = $1 for update', [first]);
    const deletingAuthor = main.app.inject({
      method: 'POST',
      url: '/internal/events',
      headers: { 'x-service-token': TEST_SECRETS.SERVICE_TOKEN },
      payload: {
        events: [
          {
            id: `auth:${Date.now()}`,
            type: 'user.deleted',
            occurred_at: new Date().toISOString(),
            user_id: author.id,
            payload: { user_id: author.id },
          },
        ],
      },
    });
    await lockWaiters(main, 1);
    const deletingCategory = call('DELETE', `/categories/${from.id}?move_to=${to.id}`, editor);
    await lockWaiters(main, 2);
    await other.query('commit');
    const answers = await Promise.all([deletingAuthor, deletingCategory]);
    assert.deepEqual(
      answers.map((r) => r.statusCode),
      [202, 204],
      answers.map((r) => r.body).join('\n'),
    );
    assert.deepEqual(await main.sql('select id from posts where author_id = $1', [author.id]), []);
  } finally {
    await other.end();
  }
});

test('a category in use cannot be deleted unless its posts move with ?move_to=', async () => {
  const from = (await call('POST', '/categories', editor, { name: 'Old Home' })).json().category;
  const to = (await call('POST', '/categories', editor, { name: 'New Home' })).json().category;
  const post = await createPost(main, alice!, { category_id: from.id });
  const refused = await call('DELETE', `/categories/${from.id}`, editor);
  assert.equal(refused.statusCode, 409);
  assert.equal(
    (await call('DELETE', `/categories/${from.id}?move_to=${from.id}`, editor)).statusCode,
    400,
  );
  assert.equal(
    (await call('DELETE', `/categories/${from.id}?move_to=nowhere`, editor)).statusCode,
    400,
  );
  const moved = await call('DELETE', `/categories/${from.slug}?move_to=${to.slug}`, editor);
  assert.equal(moved.statusCode, 204);
  const after = (await call('GET', `/posts/${post.id}`)).json().post;
  assert.deepEqual(after.category, { id: to.id, slug: to.slug, name: 'New Home' });
  assert.deepEqual(
    (await list(main, `category=${to.slug}`)).items.map((p) => p.id),
    [post.id],
  );
  const [event] = await main.sql<{ payload: Record<string, unknown> }>(
    `select payload from outbox where type = 'post.updated' and payload->>'post_id' = $1`,
    [post.id],
  );
  assert.equal(event?.payload.category_id, to.id);
  assert.equal(event?.payload.actor_id, editor!.id);
});

test('tags are created by use and listed with counts of published posts', async () => {
  await createPost(main, alice!, { tags: ['alpha', 'beta'] });
  await createPost(main, alice!, { tags: ['alpha'] });
  const draft = await createPost(main, alice!, { tags: ['alpha', 'gamma'], status: 'draft' });
  // gamma is on the draft only: listed, it would tell what the draft is about.
  assert.deepEqual(await counts(), { alpha: 2, beta: 1 });
  await call('PATCH', `/posts/${draft.id}`, alice, { status: 'published' });
  assert.deepEqual(await counts(), { alpha: 3, beta: 1, gamma: 1 });
  await call('PATCH', `/posts/${draft.id}`, alice, { tags: ['beta'] });
  assert.deepEqual(await counts(), { alpha: 2, beta: 2 });
  await call('DELETE', `/posts/${draft.id}`, alice);
  assert.deepEqual(await counts(), { alpha: 2, beta: 1 });
  const items = (await call('GET', '/tags')).json().items.map((t: { slug: string }) => t.slug);
  assert.deepEqual(items, ['alpha', 'beta']);
});

test('a tag only drafts carry is never listed, to anyone', async () => {
  await createPost(main, alice!, { tags: ['acquisition-of-acme'], status: 'draft' });
  const draft = await createPost(main, alice!, { tags: ['layoffs-q3'], status: 'draft' });
  await call('PATCH', `/posts/${draft.id}`, alice, { title: 'Still a draft' });
  for (const user of [undefined, alice, editor, admin]) {
    const { items } = (await call('GET', '/tags', user)).json();
    const slugs = items.map((t: { slug: string }) => t.slug);
    assert.ok(!slugs.includes('acquisition-of-acme'), JSON.stringify(slugs));
    assert.ok(!slugs.includes('layoffs-q3'), JSON.stringify(slugs));
    assert.ok(items.every((t: { post_count: number }) => t.post_count > 0));
  }
});

test('a tag no post uses any more is deleted with that use', async () => {
  const stored = async () =>
    (await main.sql<{ slug: string }>(`select slug from tags where slug like 'churn-%'`)).map(
      (r) => r.slug,
    );
  for (let i = 0; i < 5; i++) {
    const post = await createPost(main, alice!, { tags: [`churn-${i}`], status: 'draft' });
    assert.deepEqual(await stored(), [`churn-${i}`]);
    assert.equal((await call('DELETE', `/posts/${post.id}`, alice)).statusCode, 204);
  }
  assert.deepEqual(await stored(), []);
  // Dropped by an edit, from a published post, and kept while another post still uses it.
  const a = await createPost(main, alice!, { tags: ['churn-kept', 'churn-edit'] });
  const b = await createPost(main, alice!, { tags: ['churn-kept'], status: 'draft' });
  await call('PATCH', `/posts/${a.id}`, alice, { tags: ['churn-new'] });
  assert.deepEqual((await stored()).sort(), ['churn-kept', 'churn-new']);
  assert.equal((await counts())['churn-new'], 1);
  assert.equal((await counts())['churn-kept'], undefined);
  await call('PATCH', `/posts/${b.id}`, alice, { status: 'published' });
  assert.equal((await counts())['churn-kept'], 1);
  await call('DELETE', `/posts/${a.id}`, alice);
  await call('DELETE', `/posts/${b.id}`, alice);
  assert.deepEqual(await stored(), []);
});

test('posts adding and dropping the same tags at once neither deadlock nor lose a used tag', async () => {
  const tags = ['race-a', 'race-b', 'race-c'];
  const mine = async (i: number) => {
    // Each post takes the tags in a different order and drops them again.
    const own = [...tags.slice(i % 3), ...tags.slice(0, i % 3)];
    const post = await createPost(main, alice!, { tags: own });
    const patched = await call('PATCH', `/posts/${post.id}`, alice, { tags: own.slice(1) });
    assert.equal(patched.statusCode, 200, patched.body);
    if (i % 2 === 0) {
      assert.equal((await call('DELETE', `/posts/${post.id}`, alice)).statusCode, 204);
    }
  };
  await Promise.all(Array.from({ length: 12 }, (_, i) => mine(i)));
  const [wrong] = await main.sql<{ missing: number; miscounted: number; unused: number }>(`
    select
      (select count(*)::int from post_tags p where p.tag like 'race-%'
        and not exists (select 1 from tags t where t.slug = p.tag)) as missing,
      (select count(*)::int from tags t where t.slug like 'race-%' and post_count <>
        (select count(*) from post_tags p where p.tag = t.slug and p.status = 'published'))
        as miscounted,
      (select count(*)::int from tags t where t.slug like 'race-%'
        and not exists (select 1 from post_tags p where p.tag = t.slug)) as unused`);
  assert.deepEqual(wrong, { missing: 0, miscounted: 0, unused: 0 });
});

test('the tag list comes in pages, most used first, each tag once', async () => {
  // Counts 3, 2, 2, 1, 1, 1 among these six: ties are ordered by slug.
  const uses: Record<string, number> = {
    'pg-a': 3,
    'pg-b': 2,
    'pg-c': 2,
    'pg-d': 1,
    'pg-e': 1,
    'pg-f': 1,
  };
  for (let n = 1; n <= 3; n += 1) {
    await createPost(main, alice!, { tags: Object.keys(uses).filter((t) => uses[t]! >= n) });
  }
  const seen: { slug: string; post_count: number }[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await call('GET', `/tags?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(res.statusCode, 200);
    const page = res.json() as { items: typeof seen; next_cursor: string | null };
    assert.ok(page.items.length <= 2);
    seen.push(...page.items);
    cursor = page.next_cursor;
    pages += 1;
  } while (cursor && pages < 1000);
  const mine = seen.filter((t) => t.slug.startsWith('pg-'));
  assert.deepEqual(
    mine.map((t) => [t.slug, t.post_count]),
    [
      ['pg-a', 3],
      ['pg-b', 2],
      ['pg-c', 2],
      ['pg-d', 1],
      ['pg-e', 1],
      ['pg-f', 1],
    ],
  );
  // Whatever else the file's other tests listed, nothing repeats and the order holds throughout.
  assert.equal(new Set(seen.map((t) => t.slug)).size, seen.length);
  for (let i = 1; i < seen.length; i += 1) {
    const [a, b] = [seen[i - 1]!, seen[i]!];
    assert.ok(a.post_count > b.post_count || (a.post_count === b.post_count && a.slug < b.slug));
  }
  // The last page says so.
  const all = (await call('GET', '/tags?limit=500')).json();
  assert.equal(all.next_cursor, null);
});

test('a tag cursor that this list did not make is a 400 naming the cursor', async () => {
  for (const cursor of [
    'nope',
    Buffer.from('[0,"a"]').toString('base64url'),
    Buffer.from('[1,"Not A Slug"]').toString('base64url'),
    Buffer.from('{"a":1}').toString('base64url'),
    // Counts are PostgreSQL integers: one past their range was a 500 (out of range for integer).
    Buffer.from('[2147483648,"a"]').toString('base64url'),
    Buffer.from('[9007199254740991,"a"]').toString('base64url'),
    Buffer.from('[1e400,"a"]').toString('base64url'),
    Buffer.from('[1.5,"a"]').toString('base64url'),
    Buffer.from('[1,"a\\u0000"]').toString('base64url'),
    Buffer.from('[1,"\\ud800"]').toString('base64url'),
    Buffer.from(`[1,"${'a'.repeat(51)}"]`).toString('base64url'),
  ]) {
    const res = await call('GET', `/tags?cursor=${encodeURIComponent(cursor)}`);
    assert.equal(res.statusCode, 400, cursor);
    assert.equal(res.json().errors[0].field, 'cursor');
  }
  assert.equal((await call('GET', '/tags?limit=0')).statusCode, 400);
  assert.equal((await call('GET', '/tags?limit=501')).statusCode, 400);
  // The largest count a tag can have is a cursor like any other.
  const top = Buffer.from('[2147483647,"zzz"]').toString('base64url');
  assert.equal((await call('GET', `/tags?cursor=${top}`)).statusCode, 200);
});

test('a malformed slug or a blank name is described in words, never by its regular expression', async () => {
  const res = await call('POST', '/categories', editor, { name: '   ', slug: 'Not A Slug' });
  assert.equal(res.statusCode, 400, res.body);
  assert.deepEqual(res.json().errors, [
    { field: 'name', message: 'must not be blank' },
    {
      field: 'slug',
      message:
        'must be lower-case letters and digits, in words joined by single dashes, and not shaped like a uuid',
    },
  ]);
  const dated = await main.app.inject({ url: '/main/v1/posts?published_after=yesterday' });
  assert.equal(dated.statusCode, 400, dated.body);
  assert.deepEqual(dated.json().errors, [
    {
      field: 'published_after',
      message:
        'must be a date and time in ISO 8601 with a time zone (2024-01-31T12:00:00Z) or must be a date written YYYY-MM-DD',
    },
  ]);
});
