import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createServiceAuth } from '@platform/auth';
import { buildApp } from '../src/app.ts';
import { openDatabase } from '../src/db/index.ts';
import { authHeader, buildTestMain, createPost, list, type Post } from './helper.ts';

const main = await buildTestMain();
const [alice, editor] = await Promise.all([main.user(), main.user(['user', 'editor'])]);

/** A second replica of main on the same database: its own process memory, its own cache. */
async function replica() {
  const database = await openDatabase(main.databaseUrl);
  const auth = createServiceAuth({
    authUrl: main.config.AUTH_URL,
    serviceToken: main.config.SERVICE_TOKEN,
    issuer: main.config.JWT_ISSUER,
    audience: main.config.JWT_AUDIENCE,
    maxLifetime: main.config.ACCESS_TOKEN_MAX_LIFETIME,
  });
  await auth.revocations.start();
  const app = await buildApp({ config: main.config, database, auth, permissions: [] });
  await app.ready();
  after(async () => {
    await app.close();
    await database.close();
  });
  return app;
}
const other = await replica();
const listOn = async (query: string) => {
  const res = await other.inject({ url: `/main/v1/posts?${query}` });
  assert.equal(res.statusCode, 200);
  return res.json() as { items: Post[]; next_cursor: string | null };
};
const titles = (page: { items: Post[] }) => page.items.map((p) => p.title);

test('an anonymous page carries a validator, and If-None-Match gets a 304 with no body', async () => {
  await createPost(main, alice!, { title: 'Validated' });
  const first = await main.app.inject({ url: '/main/v1/posts?limit=5' });
  assert.equal(first.statusCode, 200);
  assert.match(first.headers['content-type'] as string, /^application\/json/);
  assert.equal(first.headers['cache-control'], 'public, no-cache');
  assert.match(String(first.headers.vary), /authorization/i);
  const etag = first.headers.etag as string;
  assert.match(etag, /^"[\w-]+"$/);
  const again = await main.app.inject({
    url: '/main/v1/posts?limit=5',
    headers: { 'if-none-match': etag },
  });
  assert.equal(again.statusCode, 304);
  assert.equal(again.body, '');
  await createPost(main, alice!, { title: 'Changes the page' });
  const changed = await main.app.inject({
    url: '/main/v1/posts?limit=5',
    headers: { 'if-none-match': etag },
  });
  assert.equal(changed.statusCode, 200);
  assert.notEqual(changed.headers.etag, etag);
  assert.equal(changed.json().items[0].title, 'Changes the page');
});

test('a signed-in page is private, and also answers If-None-Match', async () => {
  const res = await main.app.inject({ url: '/main/v1/posts', headers: authHeader(alice) });
  assert.equal(res.headers['cache-control'], 'private, no-cache');
  const again = await main.app.inject({
    url: '/main/v1/posts',
    headers: { ...authHeader(alice), 'if-none-match': res.headers.etag as string },
  });
  assert.equal(again.statusCode, 304);
});

test('a write on one replica shows at once in the pages another replica has cached', async () => {
  const before = await listOn('limit=100');
  assert.deepEqual(await listOn('limit=100'), before);

  const post = await createPost(main, alice!, { title: 'Created elsewhere', tags: ['fresh'] });
  assert.equal(titles(await listOn('limit=100'))[0], 'Created elsewhere');
  assert.deepEqual(titles(await listOn('tag=fresh')), ['Created elsewhere']);

  const renamed = await main.app.inject({
    method: 'PATCH',
    url: `/main/v1/posts/${post.id}`,
    headers: authHeader(alice),
    payload: { title: 'Renamed elsewhere', tags: [] },
  });
  assert.equal(renamed.statusCode, 200);
  assert.equal(titles(await listOn('limit=100'))[0], 'Renamed elsewhere');
  assert.deepEqual(titles(await listOn('tag=fresh')), []);

  const category = (
    await main.app.inject({
      method: 'POST',
      url: '/main/v1/categories',
      headers: authHeader(editor),
      payload: { name: 'Before' },
    })
  ).json().category;
  await main.app.inject({
    method: 'PATCH',
    url: `/main/v1/posts/${post.id}`,
    headers: authHeader(alice),
    payload: { category_id: category.id },
  });
  assert.equal((await listOn('limit=1')).items[0]!.category?.name, 'Before');
  const put = await main.app.inject({
    method: 'PUT',
    url: `/main/v1/categories/${category.id}`,
    headers: authHeader(editor),
    payload: { name: 'After' },
  });
  assert.equal(put.statusCode, 200);
  assert.equal((await listOn('limit=1')).items[0]!.category?.name, 'After');

  // Another writer altogether (a migration, a console): the stamp is bumped by the database.
  await main.sql(`update posts set title = 'Edited in SQL' where id = $1`, [post.id]);
  assert.equal(titles(await listOn('limit=1'))[0], 'Edited in SQL');

  const deleted = await main.app.inject({
    method: 'DELETE',
    url: `/main/v1/posts/${post.id}`,
    headers: authHeader(alice),
  });
  assert.equal(deleted.statusCode, 204);
  assert.ok(!(await listOn('limit=100')).items.some((p) => p.id === post.id));
});

test('drafts listed to their author or an editor never reach an anonymous page', async () => {
  const draft = await createPost(main, alice!, { title: 'Secret draft', status: 'draft' });
  for (const user of [alice, editor]) {
    const mine = await list(main, 'limit=100', user);
    assert.ok(mine.items.some((p: Post) => p.id === draft.id));
  }
  const anonymous = await list(main, 'limit=100');
  assert.ok(!anonymous.items.some((p: Post) => p.id === draft.id));
  const drafts = await list(main, 'status=draft');
  assert.deepEqual(drafts.items, []);
});

test('the cache version the gateway follows moves with every write an anonymous page shows, for services only', async () => {
  const version = async () => {
    const res = await other.inject({
      url: '/internal/cache-version',
      headers: { 'x-service-token': main.config.SERVICE_TOKEN },
    });
    assert.equal(res.statusCode, 200);
    const { version } = res.json() as { version: string };
    assert.equal(typeof version, 'string');
    return version;
  };
  for (const headers of [{}, { 'x-service-token': 'x'.repeat(43) }]) {
    const refused = await other.inject({ url: '/internal/cache-version', headers });
    assert.equal(refused.statusCode, 401);
  }
  const start = await version();
  assert.equal(await version(), start);
  // A draft is a write like any other: the version may move more often than pages change.
  const post = await createPost(main, alice!, { title: 'Versioned' });
  const created = await version();
  assert.notEqual(created, start);
  await main.sql(`update posts set title = 'Versioned in SQL' where id = $1`, [post.id]);
  assert.notEqual(await version(), created);
  // Through the gateway, not at all: /internal/* is outside the routed /main prefix.
  const routed = await main.app.inject({ url: '/main/internal/cache-version' });
  assert.equal(routed.statusCode, 404);
});
