import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnalyticsContext } from '../src/context.ts';
import { forgetPending } from '../src/ingestion/forget.ts';
import { bearer, buildTestAnalytics, serviceHeaders, sql } from './helper.ts';

const t = await buildTestAnalytics();

const domainEvent = (type: string, userId: string, payload: object = { user_id: userId }) => ({
  id: `auth:${randomUUID()}`,
  type,
  occurred_at: new Date().toISOString(),
  user_id: userId,
  payload,
});
const deliver = (events: object[]) =>
  t.app.inject({
    method: 'POST',
    url: '/internal/events',
    headers: serviceHeaders,
    payload: { events },
  });
const linked = (userId: string) =>
  sql(t.databaseUrl, 'select event_id from events where user_id = $1 or properties::text like $2', [
    userId,
    `%${userId}%`,
  ]);

async function until(check: () => Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

test('user.deleted unlinks the user from stored events, which stay under a pseudonym', async () => {
  const user = await t.user();
  const other = await t.user();
  const tracked = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    headers: bearer(user.accessToken),
    payload: { event: 'page.viewed', properties: { path: '/about' } },
  });
  assert.equal(tracked.statusCode, 202);
  await deliver([domainEvent('user.logged_in', user.id), domainEvent('user.logged_in', other.id)]);
  await t.drained();
  assert.equal((await linked(user.id)).length, 2);

  assert.equal((await deliver([domainEvent('user.deleted', user.id)])).statusCode, 202);
  await t.drained();
  await until(async () => (await linked(user.id)).length === 0);

  const rows = await sql(
    t.databaseUrl,
    `select name, user_id, properties from events where user_id like 'deleted-%' order by seq`,
  );
  assert.deepEqual(
    rows.map((r) => r.name),
    ['page.viewed', 'user.logged_in', 'user.deleted'],
  );
  assert.equal(new Set(rows.map((r) => r.user_id)).size, 1, 'one pseudonym for the user');
  assert.ok(!JSON.stringify(rows).includes(user.id));
  assert.equal((await linked(other.id)).length, 1, 'other users keep their events');

  // The user's activity is gone for an admin asking by their id.
  const activity = await t.app.inject({
    url: `/analytics/v1/user-activity?user_id=${user.id}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(activity.statusCode, 200);
  assert.deepEqual(activity.json().items, []);
});

test('a deletion that arrives twice is one pseudonym; ids that are not UUIDs are ignored', async () => {
  const user = await t.user();
  const event = domainEvent('user.deleted', user.id);
  await deliver([event]);
  await deliver([{ ...event, id: `auth:${randomUUID()}` }]);
  await deliver([domainEvent('user.deleted', 'not-a-uuid', { user_id: 'not-a-uuid' })]);
  const rows = await sql(t.databaseUrl, 'select user_id from forgotten_users');
  assert.ok(rows.some((r) => r.user_id === user.id));
  assert.ok(!rows.some((r) => r.user_id === 'not-a-uuid'));
  assert.equal(rows.filter((r) => r.user_id === user.id).length, 1);
});

test('after the grace period a final pass runs and the id → pseudonym mapping is deleted', async () => {
  const user = await t.user();
  await deliver([domainEvent('user.deleted', user.id)]);
  const calls: [string, string][] = [];
  const ctx = {
    db: t.database.db,
    store: {
      forgetUser: async (id: string, pseudonym: string) => {
        calls.push([id, pseudonym]);
        return 0;
      },
    },
  } as unknown as AnalyticsContext;
  await forgetPending(ctx, Date.now() + 11 * 60_000);
  assert.ok(calls.some(([id, pseudonym]) => id === user.id && pseudonym.startsWith('deleted-')));
  const left = await sql(t.databaseUrl, 'select 1 from forgotten_users where user_id = $1', [
    user.id,
  ]);
  assert.deepEqual(left, []);
});
