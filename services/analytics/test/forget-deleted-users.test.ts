import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { forgetPending } from '../src/ingestion/forget.ts';
import { createPostgresStore } from '../src/store/postgres.ts';
import { until } from './destinations-receiver.ts';
import { domainEvent, forgetting } from './forgetting.ts';
import { bearer, buildTestAnalytics, sql, writeKeyAuth } from './helper.ts';

const t = await buildTestAnalytics();
const { deliver, send, linked, passed, passContext, track } = forgetting(t);

test('user.deleted unlinks the user from stored events, which stay under a pseudonym', async () => {
  const user = await t.user();
  const other = await t.user();
  await track(user, { event: 'page.viewed', properties: { path: '/about' } });
  await deliver([domainEvent('user.logged_in', user.id), domainEvent('user.logged_in', other.id)]);
  await t.drained();
  assert.equal((await linked(user.id)).length, 2);

  assert.equal((await deliver([domainEvent('user.deleted', user.id)])).statusCode, 202);
  await t.drained();
  await until(async () => (await linked(user.id)).length === 0, 'the user unlinked');

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

test('a Segment backend naming the user upper-cased: profile, links and events are forgotten too', async () => {
  // Swift's `uuidString` and others send the UUID upper-cased; stored as sent, it is the id.
  const user = await t.user();
  const upper = user.id.toUpperCase();
  const anonymousId = randomUUID();
  const basic = await writeKeyAuth(t, 'upper-casing backend');
  const batch = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/batch',
    headers: { authorization: basic },
    payload: {
      batch: [
        { type: 'identify', userId: upper, anonymousId, traits: { email: 'a@example.com' } },
        { type: 'track', userId: upper, event: 'Order Completed' },
      ],
    },
  });
  assert.equal(batch.statusCode, 200, batch.body);
  await t.drained();
  const kept = () =>
    sql(
      t.databaseUrl,
      `select 'profile' as what from profiles where lower(user_id) = $1
       union all select 'link' from identity_links where lower(user_id) = $1`,
      [user.id],
    );
  assert.equal((await kept()).length, 2);
  assert.equal((await linked(user.id)).length, 2);

  await deliver([domainEvent('user.deleted', user.id)]);
  assert.deepEqual(await kept(), [], 'the profile and the link go with the deletion');
  // Asked for in the case it was sent in before a pass unlinked its events: deleted all the same.
  const profile = await t.app.inject({
    url: `/analytics/v1/profiles/${upper}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 404, profile.body);
  await t.drained();
  await until(async () => (await linked(user.id)).length === 0, 'the events unlinked');
});

test('a deletion naming the id upper-cased is noted as auth writes ids, in lower case: one user', async () => {
  const user = await t.user();
  await deliver([domainEvent('user.deleted', user.id.toUpperCase())]);
  await deliver([domainEvent('user.deleted', user.id)]);
  const rows = await sql(
    t.databaseUrl,
    'select user_id from forgotten_users where lower(user_id) = $1',
    [user.id],
  );
  assert.deepEqual(rows, [{ user_id: user.id }]);
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
  // The final pass waits for the queue to move past the deletion (its own event included).
  await t.drained();
  const calls: [string, string][] = [];
  const ctx = passContext({
    forgetUsers: async (users) => {
      for (const u of users) calls.push([u.userId, u.pseudonym]);
      return { rewritten: 0 };
    },
  });
  await forgetPending(ctx, Date.now() + 11 * 60_000);
  assert.ok(calls.some(([id, pseudonym]) => id === user.id && pseudonym.startsWith('deleted-')));
  const left = await sql(t.databaseUrl, 'select 1 from forgotten_users where user_id = $1', [
    user.id,
  ]);
  assert.deepEqual(left, []);
});

/** A store on the test database whose passes are counted: how many, and from which mark. */
function countingStore() {
  const passes: { users: number; since: string | undefined }[] = [];
  const store = createPostgresStore(t.database.db);
  const ctx = passContext({
    forgetUsers: (users, since) => {
      passes.push({ users: users.length, since });
      return store.forgetUsers(users, since);
    },
  });
  return { ctx, passes };
}

test('accounts deleted together are unlinked by one pass; events arriving later by cheap ones', async () => {
  const users = await Promise.all([t.user(), t.user(), t.user()]);
  const ids = users.map((u) => u.id);
  await deliver(users.map((u) => domainEvent('user.logged_in', u.id)));
  await deliver(users.map((u) => domainEvent('user.deleted', u.id)));
  await t.drained();
  // The app's own timer passes too: once it has (all of a pass is one update), its rows are
  // put where that timer leaves them alone (a last pass in its future) and this test drives.
  await passed(ids);
  for (const u of users) assert.deepEqual(await linked(u.id), []);
  await deliver(users.map((u) => domainEvent('post.updated', u.id, { author_id: u.id })));
  await t.drained();
  const start = Date.now() + 3_600_000;
  await sql(
    t.databaseUrl,
    `update forgotten_users set forgotten_at = to_timestamp($2 / 1000.0) - interval '10 s',
       last_pass_at = to_timestamp($2 / 1000.0) - interval '10 s', pass_mark = null
     where user_id = any($1)`,
    [ids, start],
  );
  const { ctx, passes } = countingStore();
  assert.equal(await forgetPending(ctx, start), 3);
  assert.deepEqual(passes, [{ users: 3, since: undefined }], 'one pass reads the table once');
  for (const u of users) assert.deepEqual(await linked(u.id), []);

  // An event queued after the deletion (or still queued at it) is written under the pseudonym
  // by the writer, whose lookup has the user (forgotten.ts); the next pass, which would catch one
  // a writer wrote before its lookup had the user, reads only what was written since the first.
  await deliver([domainEvent('post.updated', users[0]!.id, { author_id: users[0]!.id })]);
  await t.drained();
  assert.deepEqual(await linked(users[0]!.id), [], 'written under the pseudonym');
  assert.equal(await forgetPending(ctx, start + 6_000), 3);
  assert.equal(passes.length, 2);
  assert.ok(passes[1]!.since !== undefined, 'a later pass reads only recent rows');
  assert.deepEqual(await linked(users[0]!.id), []);

  // After the eager minute, once more (again only recent rows), and the mapping goes.
  await deliver([domainEvent('post.updated', users[1]!.id, { actor_id: users[1]!.id })]);
  await t.drained();
  assert.equal(await forgetPending(ctx, start + 11 * 60_000), 3);
  assert.ok(passes[2]!.since !== undefined);
  assert.deepEqual(await linked(users[1]!.id), []);
  const left = await sql(t.databaseUrl, 'select 1 from forgotten_users where user_id = any($1)', [
    ids,
  ]);
  assert.deepEqual(left, []);
});

test('a deletion and a batch relinking the user’s anonymous ids meet without a deadlock', async () => {
  // Since server keys' links may replace browser keys' (ON CONFLICT DO UPDATE), a batch locks the
  // links it names that exist, in anonymous-id order, and then the profile; a deletion removed
  // the profile first and then the links: each held what the other waited for (40P01, a 500).
  const userId = randomUUID();
  const [a, b] = [randomUUID(), randomUUID()].sort();
  const basic = await writeKeyAuth(t, 'relinking backend');
  const batch = () =>
    t.app.inject({
      method: 'POST',
      url: '/analytics/v1/batch',
      headers: { authorization: basic },
      payload: {
        batch: [a, b].map((anonymousId) => ({ type: 'identify', userId, anonymousId })),
      },
    });
  assert.equal((await batch()).statusCode, 200);
  const holder = new pg.Client({ connectionString: t.databaseUrl });
  await holder.connect();
  const waiting = async (n: number) => {
    for (let i = 0; i < 200; i += 1) {
      const [row] = await sql(
        t.databaseUrl,
        "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()",
      );
      if ((row as { n: number }).n >= n) return;
      await sleep(25);
    }
    assert.fail(`${n} waiting on a lock`);
  };
  try {
    // The batch takes a's link, then waits for b's, held here.
    await holder.query('begin');
    await holder.query('select 1 from identity_links where anonymous_id = $1 for update', [b]);
    const relinked = batch();
    await waiting(1);
    // The deletion comes meanwhile.
    const deleted = send([domainEvent('user.deleted', userId)]);
    await waiting(2);
    await holder.query('commit');
    const [relinkedAnswer, deletedAnswer] = await Promise.all([relinked, deleted]);
    assert.ok(relinkedAnswer.statusCode < 500, relinkedAnswer.body);
    assert.ok(deletedAnswer.statusCode < 500, deletedAnswer.body);
  } finally {
    await holder.end();
  }
});
