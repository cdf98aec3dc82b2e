import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TEST_SECRETS } from '@platform/testing';
import { buildTestMain, createPost } from './helper.ts';

const main = await buildTestMain();

const deliver = (
  userId: string,
  token: string = TEST_SECRETS.SERVICE_TOKEN,
  id = `auth:${Date.now()}`,
) =>
  main.app.inject({
    method: 'POST',
    url: '/internal/events',
    headers: { 'x-service-token': token },
    payload: {
      events: [
        {
          id: `${id}-0`,
          type: 'user.registered',
          occurred_at: new Date().toISOString(),
          payload: { user_id: userId },
        },
        {
          id,
          type: 'user.deleted',
          occurred_at: new Date().toISOString(),
          user_id: userId,
          payload: { user_id: userId },
        },
      ],
    },
  });
const tagCount = async (slug: string) =>
  (await main.app.inject({ url: '/main/v1/tags' }))
    .json()
    .items.find((t: { slug: string }) => t.slug === slug)?.post_count ?? 0;

test('user.deleted deletes every post of that user, with tag counts and unlinked events', async () => {
  const gone = await main.user();
  const stays = await main.user();
  const posts = [
    await createPost(main, gone, { tags: ['farewell'] }),
    await createPost(main, gone, { status: 'draft', tags: ['farewell', 'only-theirs'] }),
    await createPost(main, gone),
  ];
  const kept = await createPost(main, stays, { tags: ['farewell'] });
  assert.equal(await tagCount('farewell'), 2);

  const res = await deliver(gone.id);
  assert.equal(res.statusCode, 202, res.body);
  for (const post of posts) {
    assert.equal((await main.app.inject({ url: `/main/v1/posts/${post.id}` })).statusCode, 404);
  }
  assert.equal((await main.app.inject({ url: `/main/v1/posts/${kept.id}` })).statusCode, 200);
  assert.equal(await tagCount('farewell'), 1);
  // A tag no post uses any more goes with the last one.
  assert.deepEqual(await main.sql(`select slug from tags where slug = 'only-theirs'`), []);
  const events = await main.sql<{ payload: Record<string, unknown> }>(
    `select payload from outbox where type = 'post.deleted' and payload->>'reason' = 'author_deleted'`,
  );
  assert.deepEqual(events.map((e) => e.payload.post_id).sort(), posts.map((p) => p.id).sort());
  // The account is gone: the events name no author, so analytics does not link it again.
  assert.ok(events.every((e) => e.payload.author_id === null && e.payload.actor_id === null));

  // At least once: the same event again changes nothing.
  assert.equal((await deliver(gone.id)).statusCode, 202);
  assert.equal((await main.app.inject({ url: `/main/v1/posts/${kept.id}` })).statusCode, 200);
});

test('only services may deliver events, and the body is validated', async () => {
  const user = await main.user();
  const post = await createPost(main, user);
  assert.equal((await deliver(user.id, 'x'.repeat(40))).statusCode, 401);
  const bare = await main.app.inject({
    method: 'POST',
    url: '/internal/events',
    payload: { events: [] },
  });
  assert.equal(bare.statusCode, 401);
  assert.equal((await main.app.inject({ url: `/main/v1/posts/${post.id}` })).statusCode, 200);
  const bad = await main.app.inject({
    method: 'POST',
    url: '/internal/events',
    headers: { 'x-service-token': TEST_SECRETS.SERVICE_TOKEN },
    payload: { events: [{ id: 'x', type: 'user.deleted' }] },
  });
  assert.equal(bad.statusCode, 400);
});
