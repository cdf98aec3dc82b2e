import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeCursor } from '../src/posts/cursor.ts';
import { authHeader, buildTestMain, createPost, list, type Post } from './helper.ts';

const main = await buildTestMain();
const [alice, bob, editor] = await Promise.all([
  main.user(),
  main.user(),
  main.user(['user', 'editor']),
]);
const category = async (name: string) =>
  (
    await main.app.inject({
      method: 'POST',
      url: '/main/v1/categories',
      headers: authHeader(editor),
      payload: { name },
    })
  ).json().category as { id: string; slug: string };
const [news, howto] = [await category('News'), await category('How To')];

// Spread over known dates so date filters and the published_at sorts have something to order.
const made: Post[] = [];
for (let i = 0; i < 12; i++) {
  made.push(
    await createPost(main, i % 2 ? bob! : alice!, {
      title: `${['Zebra', 'apple', 'Mango', 'banana'][i % 4]} story ${i}`,
      body: i % 3 === 0 ? 'All about PostgreSQL indexes and query plans.' : 'Gardening in spring.',
      tags: [['red'], ['red', 'blue'], ['blue'], []][i % 4],
      category_id: i % 2 ? news!.id : i % 4 === 0 ? howto!.id : null,
    }),
  );
}
await main.sql(
  `update posts set published_at = timestamptz '2024-01-01T00:00:00Z' + (
     (select count(*) from posts q where q.created_at < posts.created_at) * interval '1 day')
   where status = 'published'`,
);
await main.sql(
  'update post_tags t set published_sort = p.published_sort from posts p where p.id = t.post_id',
);
const draft = await createPost(main, alice!, {
  status: 'draft',
  title: 'Unfinished',
  tags: ['red'],
});

const ids = (page: { items: Post[] }) => page.items.map((p) => p.id);
const idsOf = (posts: Post[]) => posts.map((p) => p.id);

test('default order is newest published first; drafts are missing for anonymous callers', async () => {
  const page = await list(main, 'limit=100');
  assert.deepEqual(ids(page), idsOf(made).reverse());
  assert.equal(page.next_cursor, null);
});

test('each filter narrows the list, and filters combine', async () => {
  const expect = async (query: string, wanted: Post[]) => {
    assert.deepEqual(
      new Set(ids(await list(main, `${query}&limit=100`))),
      new Set(idsOf(wanted)),
      query,
    );
  };
  await expect(
    `category=${news!.slug}`,
    made.filter((p) => p.category?.id === news!.id),
  );
  await expect(
    `category=${news!.id}`,
    made.filter((p) => p.category?.id === news!.id),
  );
  await expect('category=no-such-category', []);
  await expect(
    'tag=red',
    made.filter((p) => p.tags.includes('red')),
  );
  await expect(
    'tag=red&tag=blue',
    made.filter((p) => p.tags.includes('red') && p.tags.includes('blue')),
  );
  await expect(
    `author=${bob!.id}`,
    made.filter((p) => p.author_id === bob!.id),
  );
  await expect('status=published', made);
  await expect(
    'q=postgresql',
    made.filter((_, i) => i % 3 === 0),
  );
  await expect(
    'q=index plans',
    made.filter((_, i) => i % 3 === 0),
  );
  await expect('published_after=2024-01-05T00:00:00Z', made.slice(5));
  await expect('published_before=2024-01-03T00:00:00Z', made.slice(0, 2));
  // A date alone (ISO 8601, as a date picker gives it) is that day's start in UTC; it was a 400.
  await expect('published_after=2024-01-05', made.slice(5));
  await expect('published_before=2024-01-03', made.slice(0, 2));
  // An offset the format takes and PostgreSQL does not (beyond ±15:59) is the same instant; sent
  // to PostgreSQL as written it was a 500.
  await expect('published_after=2024-01-05T23:59:00%2B23:59', made.slice(5));
  await expect('published_before=2024-01-02T00:01:00-23:59', made.slice(0, 2));
  // Its fraction of a second is kept whole: PostgreSQL counts microseconds, a Date milliseconds,
  // and .0005 taken as .000 left out a post of that very second (published at .000000).
  await expect('published_before=2024-01-03T00:00:00.0005Z', made.slice(0, 3));
  await expect('published_before=2024-01-02T00:01:00.0005-23:59', made.slice(0, 3));
  await expect('published_after=2024-01-04T23:59:59.9995Z', made.slice(4));
  await expect(
    'published_after=2024-01-02T00:00:00Z&published_before=2024-01-10T00:00:00Z&tag=blue',
    made.slice(2, 9).filter((p) => p.tags.includes('blue')),
  );
  await expect(
    `tag=red&author=${alice!.id}&sort=title`,
    made.filter((p, i) => i % 2 === 0 && p.tags.includes('red')),
  );
});

test('every sort orders as documented; a draft sorts as newest in the published_at orders', async () => {
  const all = [...made, draft];
  const titles = (await list(main, 'sort=title&limit=100', editor)).items.map((p) => p.title);
  assert.deepEqual(
    titles,
    [...titles].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  assert.equal(titles.length, all.length);
  const created = await list(main, 'sort=-created_at&limit=100', editor);
  assert.deepEqual(ids(created), idsOf(all).reverse());
  const newest = await list(main, 'sort=-published_at&limit=100', editor);
  assert.deepEqual(ids(newest), [draft.id, ...idsOf(made).reverse()]);
  const oldest = await list(main, 'sort=published_at&limit=100', editor);
  assert.deepEqual(ids(oldest), [...idsOf(made), draft.id]);
});

test('q ranks the best match first unless a sort is given', async () => {
  const strong = await createPost(main, alice!, {
    title: 'Kubernetes kubernetes',
    body: 'kubernetes everywhere, kubernetes always',
  });
  const weak = await createPost(main, alice!, {
    title: 'A note',
    body: 'mentions kubernetes once',
  });
  assert.deepEqual(ids(await list(main, 'q=kubernetes')), [strong.id, weak.id]);
  assert.deepEqual(ids(await list(main, 'q=kubernetes&sort=-created_at')), [weak.id, strong.id]);
  const paged = await list(main, 'q=kubernetes&limit=1');
  assert.deepEqual(ids(paged), [strong.id]);
  assert.deepEqual(ids(await list(main, `q=kubernetes&limit=1&cursor=${paged.next_cursor}`)), [
    weak.id,
  ]);
});

async function walk(query: string, user = editor, during?: (page: number) => Promise<void>) {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await list(main, `${query}&limit=3${cursor ? `&cursor=${cursor}` : ''}`, user);
    seen.push(...ids(page));
    cursor = page.next_cursor;
    await during?.(pages++);
  } while (cursor);
  return seen;
}

test('walking the cursors returns every post exactly once, in every order', async () => {
  for (const sort of ['-published_at', 'published_at', '-created_at', 'title']) {
    const all = ids(await list(main, `sort=${sort}&limit=100`, editor));
    assert.deepEqual(await walk(`sort=${sort}`), all, sort);
    const red = ids(await list(main, `sort=${sort}&tag=red&limit=100`, editor));
    assert.deepEqual(await walk(`sort=${sort}&tag=red`), red, `${sort} tag=red`);
  }
  assert.deepEqual(
    await walk('q=gardening'),
    ids(await list(main, 'q=gardening&limit=100', editor)),
  );
});

test('posts added during a walk never make one appear twice or go missing', async () => {
  for (const sort of ['-published_at', 'published_at', '-created_at', 'title']) {
    const before = ids(await list(main, `sort=${sort}&limit=100`, editor));
    const added: string[] = [];
    const seen = await walk(`sort=${sort}`, editor, async () => {
      added.push(
        (await createPost(main, bob!, { title: `Added during ${sort} ${added.length}` })).id,
      );
    });
    assert.equal(new Set(seen).size, seen.length, `${sort}: no duplicates`);
    for (const id of before) assert.ok(seen.includes(id), `${sort}: ${id} missing`);
    // In ascending published_at order the new posts come last, so the walk reaches them.
    if (sort === 'published_at') for (const id of added.slice(0, -1)) assert.ok(seen.includes(id));
  }
});

const forged = (order: 'title' | '-published_at' | 'rank', value: string) => {
  const id = made[0]!.id;
  const edge = { value: '2024-01-01T00:00:00.000000Z', id };
  const stage = order === 'rank' ? { newest: edge, oldest: edge, more: true } : undefined;
  return encodeCursor({ order, value, id, ...(stage ? { stage } : {}) });
};

test('malformed query parameters are 400 problems naming the parameter', async () => {
  const other = (await list(main, 'sort=title&limit=1')).next_cursor!;
  const good = (await list(main, 'limit=1')).next_cursor!;
  const [payload, check] = good.split('.');
  const tampered = `${payload!.slice(0, -2)}${payload!.endsWith('A') ? 'B' : 'A'}${payload!.slice(-1)}.${check}`;
  const cases: [string, string][] = [
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=2.5', 'limit'],
    ['sort=newest', 'sort'],
    ['status=archived', 'status'],
    ['author=bob', 'author'],
    // ajv's uuid format also takes a URN, which PostgreSQL's uuid type refuses (a 500).
    ['author=urn:uuid:00000000-0000-4000-8000-000000000000', 'author'],
    ['published_after=yesterday', 'published_after'],
    ['published_after=2024-02-30', 'published_after'],
    ['published_before=2024-1-05', 'published_before'],
    ['published_before=2024-13-01T00:00:00Z', 'published_before'],
    // An empty range, as /audit-events and the analytics reports answer from >= to.
    [
      'published_after=2025-01-02T00:00:00Z&published_before=2025-01-01T00:00:00Z',
      'published_after',
    ],
    [
      'published_after=2025-01-01T00:00:00Z&published_before=2025-01-01T00:00:00Z',
      'published_after',
    ],
    // A name is matched by its slug (tag=Not%20a%20slug is tag=not-a-slug); blank is no tag.
    ['tag=%20', 'tag'],
    [`tag=${'x'.repeat(101)}`, 'tag'],
    [`tag=${Array.from({ length: 11 }, (_, i) => `t${i}`).join('&tag=')}`, 'tag'],
    [`q=${'x'.repeat(201)}`, 'q'],
    ['q=', 'q'],
    ['category=', 'category'],
    ['cursor=garbage', 'cursor'],
    [`cursor=${tampered}`, 'cursor'],
    [`cursor=${good}x`, 'cursor'],
    [`cursor=${other}`, 'cursor'],
    [`sort=title&cursor=${good}`, 'cursor'],
    ['limit=Infinity', 'limit'],
    ['limit=-Infinity', 'limit'],
    ['limit=1e400', 'limit'],
    ['limit=9007199254740993', 'limit'],
    ['q=a%00b', 'q'],
    ['q=a%ED%A0%80b', 'q'],
    ['category=a%00', 'category'],
    ['tag=a%00', 'tag'],
    ['published_after=%2B275760-09-13T00:00:00Z', 'published_after'],
    ['published_after=0000-01-01T00:00:00Z', 'published_after'],
    ['published_before=2016-12-31T23:59:60Z', 'published_before'],
    ['published_before=0001-01-01T00:00:00%2B23:59', 'published_before'],
    // Cursors with the right check digits (they are no secret) and values Postgres would refuse.
    [`sort=title&cursor=${forged('title', 'a\u0000b')}`, 'cursor'],
    [`cursor=${forged('-published_at', '0000-01-01T00:00:00.000000Z')}`, 'cursor'],
    [`q=postgresql&cursor=${forged('rank', '1e999999')}`, 'cursor'],
  ];
  for (const [query, field] of cases) {
    const res = await main.app.inject({ url: `/main/v1/posts?${query}` });
    assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    const fields = res.json().errors.map((e: { field: string }) => e.field);
    assert.ok(
      fields.some((f: string) => f.startsWith(field)),
      `${query}: ${fields}`,
    );
  }
});

test('q matches letters beyond ASCII whatever their case (Über finds über, ÉCOLE finds école)', async () => {
  const post = await createPost(main, alice!, {
    title: 'Über die Straße',
    body: 'Notes from the ÉCOLE on naïve Ωmega tricks.',
  });
  for (const q of ['über', 'ÜBER', 'école', 'École', 'ωmega', 'ΩMEGA']) {
    assert.deepEqual(ids(await list(main, `q=${encodeURIComponent(q)}`)), [post.id], q);
  }
});

test('q folds accents both ways and with case: creme finds Crème, crème finds Creme, CRÈME both', async () => {
  const accented = await createPost(main, alice!, {
    title: 'Crème brûlée at the Ångström',
    body: 'The naïveté of a façade of burnt sugar.',
    tags: ['dessert'],
  });
  const plain = await createPost(main, bob!, {
    title: 'Creme brulee for beginners',
    body: 'Naivete: the facade, measured in angstrom.',
    tags: ['dessert'],
  });
  const both = [accented.id, plain.id].sort();
  const found = async (query: string) => ids(await list(main, `${query}&limit=100`)).sort();
  const cases = [
    'creme',
    'crème',
    'CRÈME',
    'Creme',
    'ångström',
    'ANGSTRÖM',
    'Angstrom',
    'naïveté',
    'NAIVETE',
    'façade',
    'FACADE',
    'crème naivete',
    // The accent as a combining mark (NFD, as some keyboards and macOS send it).
    'cre\u0300me',
    // A phrase folds the same way, word by word.
    '"creme brûlée"',
    '"CRÈME BRULEE"',
  ];
  for (const q of cases) {
    assert.deepEqual(await found(`q=${encodeURIComponent(q)}`), both, q);
    // With a tag, the list walks post_tags and skips posts by their lexeme signature
    // (search_sig): the signature and the query's must fold alike.
    assert.deepEqual(await found(`q=${encodeURIComponent(q)}&tag=dessert`), both, `${q} + tag`);
    assert.deepEqual(await found(`q=${encodeURIComponent(q)}&sort=title`), both, `${q} sorted`);
  }
  // Folding does not make words match that differ in more than their accents.
  assert.deepEqual(await found(`q=${encodeURIComponent('crémant')}`), []);
  assert.deepEqual(await found(`q=${encodeURIComponent('"brûlée crème"')}`), []);
  assert.deepEqual(await found(`q=${encodeURIComponent('crème -façade')}`), []);
});

test('q finds words that typographic punctuation touches: “quotes”, dashes, ellipses, no-break spaces', {
  // The embedded cluster's ctype is C there (INITDB_FLAGS): no UTF-8 locale of that name.
  skip: process.platform === 'win32' && 'Windows clusters keep a C ctype',
}, async () => {
  const post = await createPost(main, alice!, {
    title: 'On “Kubernetes” and «Grafana»',
    body: 'Operators—and schedulers… the\u00a0dashboards, it’s said.',
  });
  for (const q of ['kubernetes', 'grafana', 'operators', 'schedulers', 'dashboards']) {
    assert.ok(ids(await list(main, `q=${q}&limit=100`)).includes(post.id), q);
  }
});

test('q folds accents in words with digits too: pokemon2 finds Pokémon2, creme-10 finds Crème-10', async () => {
  const accented = await createPost(main, alice!, {
    title: 'Pokémon2 night',
    body: 'A Crème-10 tasting, then the Škoda120 drive.',
    tags: ['digits'],
  });
  const plain = await createPost(main, bob!, {
    title: 'Pokemon2 morning',
    body: 'A creme-10 recipe, then the skoda120 ride.',
    tags: ['digits'],
  });
  const both = [accented.id, plain.id].sort();
  for (const q of [
    'pokemon2',
    'Pokémon2',
    'POKÉMON2',
    'creme-10',
    'Crème-10',
    'skoda120',
    'škoda120',
  ]) {
    for (const extra of ['', '&tag=digits']) {
      const found = ids(await list(main, `q=${encodeURIComponent(q)}${extra}&limit=100`)).sort();
      assert.deepEqual(found, both, `${q}${extra}`);
    }
  }
});

test('a walk by title passes posts whose titles are 200 characters of any kind', async () => {
  // The cursor carries the title: 200 emoji (four bytes each) or quotes (escaped in its JSON)
  // made a next_cursor over the 600 characters the parameter allowed, so the walk stopped with
  // a 400; and the title's length was checked in UTF-16 units, so 200 emoji read as 400. The
  // last title sorts after them all, so each of theirs ends a page and makes a cursor.
  const long = [...['😀', 'é', '"', '\\', '\u0001', '字'].map((c) => c.repeat(200)), '🙂 last'];
  for (const title of long) await createPost(main, alice!, { title, tags: ['long-titles'] });
  const expected = ids(await list(main, 'sort=title&tag=long-titles&limit=100'));
  assert.equal(expected.length, long.length);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const query = `sort=title&tag=long-titles&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
    const page = await list(main, query);
    seen.push(...ids(page));
    cursor = page.next_cursor;
  } while (cursor);
  assert.deepEqual(seen, expected);
});
