import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authHeader, buildTestMain, createPost, list, type User } from './helper.ts';

const main = await buildTestMain();
const [alice, bob, editor, admin] = await Promise.all([
  main.user(),
  main.user(),
  main.user(['user', 'editor']),
  main.user(['user', 'admin']),
]);
const aliceDraft = await createPost(main, alice!, { status: 'draft', title: 'Alice secret draft' });
const alicePost = await createPost(main, alice!, { title: 'Alice public post' });

const get = (key: string, user?: User) =>
  main.app.inject({ url: `/main/v1/posts/${key}`, headers: authHeader(user) });
const change = (method: 'PUT' | 'PATCH' | 'DELETE', key: string, user: User, payload?: object) =>
  main.app.inject({
    method,
    url: `/main/v1/posts/${key}`,
    headers: authHeader(user),
    ...(payload ? { payload } : {}),
  });

test('a draft is readable by its author, editors and admins; everyone else gets 404', async () => {
  for (const user of [alice, editor, admin]) {
    assert.equal((await get(aliceDraft.id, user)).statusCode, 200);
  }
  for (const user of [bob, undefined]) {
    for (const key of [aliceDraft.id, aliceDraft.slug]) {
      const res = await get(key, user);
      assert.equal(res.statusCode, 404);
      assert.doesNotMatch(res.body, /secret/);
    }
  }
  assert.equal((await get(alicePost.id)).statusCode, 200);
});

test('lists show a draft only to its author, editors and admins', async () => {
  const ids = async (query: string, user?: User) =>
    (await list(main, query, user)).items.map((p) => p.id);
  for (const query of ['', 'status=draft', `author=${alice!.id}`, 'q=secret', 'sort=title']) {
    assert.ok(!(await ids(query)).includes(aliceDraft.id), `anonymous, ${query}`);
    assert.ok(!(await ids(query, bob)).includes(aliceDraft.id), `bob, ${query}`);
    assert.ok((await ids(query, alice)).includes(aliceDraft.id), `alice, ${query}`);
    assert.ok((await ids(query, editor)).includes(aliceDraft.id), `editor, ${query}`);
    assert.ok((await ids(query, admin)).includes(aliceDraft.id), `admin, ${query}`);
  }
  assert.ok(!(await ids('status=published', alice)).includes(aliceDraft.id));
  assert.deepEqual(await ids('status=draft'), []);
  const bobDraft = await createPost(main, bob!, { status: 'draft' });
  assert.deepEqual(await ids('status=draft', bob), [bobDraft.id]);
});

test("a user cannot change or delete another's post: 403 if they can see it, 404 if not", async () => {
  for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
    const body = method === 'DELETE' ? undefined : { title: 'Hijacked', body: 'by bob' };
    assert.equal((await change(method, alicePost.id, bob!, body)).statusCode, 403, method);
    assert.equal((await change(method, aliceDraft.id, bob!, body)).statusCode, 404, method);
  }
  const still = await get(alicePost.id);
  assert.equal(still.json().post.title, 'Alice public post');
});

test('editors and admins may change and delete any post; the author stays the author', async () => {
  const edited = await change('PATCH', aliceDraft.id, editor!, { title: 'Edited by editor' });
  assert.equal(edited.statusCode, 200);
  assert.equal(edited.json().post.author_id, alice!.id);
  const replaced = await change('PUT', alicePost.id, admin!, {
    title: 'By admin',
    body: 'b',
    status: 'published',
  });
  assert.equal(replaced.statusCode, 200);
  assert.equal(replaced.json().post.author_id, alice!.id);
  const victim = await createPost(main, alice!);
  assert.equal((await change('DELETE', victim.id, editor!)).statusCode, 204);
});

test('identity comes only from the token: client-supplied author fields and headers are ignored', async () => {
  const res = await main.app.inject({
    method: 'POST',
    url: '/main/v1/posts',
    headers: { ...authHeader(bob), 'x-user-id': alice!.id },
    payload: { title: 'Whose?', body: 'b', author_id: alice!.id },
  });
  assert.equal(res.statusCode, 201);
  assert.equal(res.json().post.author_id, bob!.id);
  const spoofed = await main.app.inject({
    method: 'PATCH',
    url: `/main/v1/posts/${alicePost.id}`,
    headers: { ...authHeader(bob), 'x-user-id': alice!.id },
    payload: { title: 'spoof' },
  });
  assert.equal(spoofed.statusCode, 403);
});

test('signed-out writes are 401', async () => {
  for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
    const res = await main.app.inject({
      method,
      url: `/main/v1/posts/${alicePost.id}`,
      ...(method === 'DELETE' ? {} : { payload: { title: 't', body: 'b' } }),
    });
    assert.equal(res.statusCode, 401, method);
  }
});

test('a token of a revoked session is refused with 401 soon after; other sessions still work', async () => {
  const carol = await main.user();
  const write = (user: User) =>
    main.app.inject({
      method: 'POST',
      url: '/main/v1/posts',
      headers: authHeader(user),
      payload: { title: 'Before and after logout', body: 'b' },
    });
  assert.equal((await write(carol)).statusCode, 201);
  main.issuer.revoke(carol.sessionId);
  // The revocation feed is polled every 250 ms; a loaded machine gets ten seconds.
  const deadline = Date.now() + 10_000;
  while ((await write(carol)).statusCode !== 401) {
    assert.ok(Date.now() < deadline, 'the revoked token was still accepted');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal((await get(alicePost.id, carol)).statusCode, 401);
  assert.equal((await write(bob!)).statusCode, 201);
});

test('an author whose token lacks posts:write may read their posts but not change or delete them', async () => {
  // The manifest grants posts:write to "create posts and edit or delete own posts"; a role that
  // does not hold it (a role taken away, a role an operator made without it, a token signed
  // before main declared it) could not create a post but still rewrote, published and deleted
  // the ones it had, since only creates asked for the permission.
  const dave = await main.user();
  const draft = await createPost(main, dave, { status: 'draft', title: 'Dave draft' });
  const post = await createPost(main, dave, { title: 'Dave post' });
  const minted = await main.issuer.token({ userId: dave.id, roles: ['reader'], permissions: [] });
  const without: User = { id: dave.id, sessionId: minted.sessionId, token: minted.accessToken };
  assert.equal((await get(draft.id, without)).statusCode, 200);
  for (const target of [draft, post]) {
    for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
      const body =
        method === 'DELETE' ? undefined : { title: 'Rewritten', body: 'b', status: 'published' };
      const res = await change(method, target.id, without, body);
      assert.equal(res.statusCode, 403, `${method} ${target.status}: ${res.body}`);
      assert.equal(res.json().code, 'forbidden');
    }
  }
  assert.equal((await get(draft.id, dave)).json().post.status, 'draft');
  assert.equal((await get(post.id)).json().post.title, 'Dave post');
  // The same token with the permission changes them as before.
  assert.equal((await change('PATCH', post.id, dave, { title: 'Dave edits' })).statusCode, 200);
  assert.equal((await change('DELETE', draft.id, dave)).statusCode, 204);
});
