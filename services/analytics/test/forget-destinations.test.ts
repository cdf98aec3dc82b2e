import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { startReceiver, until } from './destinations-receiver.ts';
import { domainEvent, finalPassDuringLookup, forgetting, forgottenUser } from './forgetting.ts';
import { bearer, buildTestAnalytics, sql, userDeleted } from './helper.ts';

/**
 * A deleted user's events that still wait for a destination — deliveries already in the
 * destinations' table (the receiver down) and keyed events the writer hands over only once it
 * claims their id (after the deletion) — reach the webhook under the pseudonym, as the stores
 * get them; never under the real id. The `user.deleted` event itself names the user: it is how
 * a destination learns whom to erase.
 */

let receiverUp = false;
/** Paths the receiver refuses as such (400: a dead letter at once). */
const refused = new Set<string>();
const receiver = await startReceiver((path) => (refused.has(path) ? 400 : receiverUp ? 200 : 503));
const t = await buildTestAnalytics({
  DESTINATIONS: JSON.stringify([
    { name: 'crm', url: receiver.url('/crm'), secret: 'whsec-test-0123456789abcdef' },
    { name: 'refusing', url: receiver.url('/refusing'), secret: 'whsec-test-0123456789abcdef' },
  ]),
  DESTINATION_INTERVAL_MS: '20',
  DESTINATION_RETRY_BASE_MS: '20',
  DESTINATION_RETRY_MAX_MS: '100',
});
refused.add('/refusing');

const { deliver, mapping } = forgetting(t);

test("a deleted user's queued and pending deliveries reach the webhook under the pseudonym", async () => {
  const user = await t.user();
  const other = await t.user();
  // Every claim of a message id waits while the test holds the claims' lock: the keyed event
  // stays queued, unclaimed and not handed over, until after the deletion.
  const claims = new pg.Client({ connectionString: t.databaseUrl });
  await claims.connect();
  await claims.query(`select pg_advisory_lock(hashtext('message-id-claims'))`);
  try {
    const tracked = await t.app.inject({
      method: 'POST',
      url: '/analytics/v1/track-event',
      headers: bearer(user.accessToken),
      payload: {
        events: [
          { event: 'f.keyed', message_id: 'f-1', properties: { friend: user.id } },
          { event: 'f.plain', anonymous_id: 'anon-f', properties: { path: '/a' } },
        ],
      },
    });
    assert.equal(tracked.statusCode, 202, tracked.body);
    await deliver([domainEvent('post.updated', other.id, { author_id: user.id })]);
    // The receiver is down: the events without a message id wait in destination_deliveries.
    await until(() => receiver.at('/crm').length >= 2, 'failed attempts before the deletion');
    assert.equal((await userDeleted(t, user.id)).statusCode, 202);
  } finally {
    await claims.query(`select pg_advisory_unlock(hashtext('message-id-claims'))`);
    await claims.end();
  }
  const pseudonym = await mapping(user.id);
  assert.ok(pseudonym?.startsWith('deleted-'));
  const before = receiver.at('/crm').length;
  receiverUp = true;
  const taken = () => receiver.at('/crm').filter((r) => r.status === 200);
  await until(() => taken().length === 4, 'every event delivered');
  const after = receiver.at('/crm').slice(before);
  const named = (event: string) => after.find((r) => r.body.event === event && r.status === 200);
  for (const r of after.filter((x) => x.body.event !== 'user.deleted')) {
    assert.ok(!r.raw.includes(user.id), `${String(r.body.event)} carries the real id: ${r.raw}`);
  }
  assert.equal(named('f.keyed')?.body.userId, pseudonym);
  assert.deepEqual(named('f.keyed')?.body.properties, { friend: pseudonym });
  assert.equal(named('f.plain')?.body.userId, pseudonym);
  // An anonymous id stays, as in the stores (its link to the user went with the deletion).
  assert.equal(named('f.plain')?.body.anonymousId, 'anon-f');
  assert.deepEqual(named('post.updated')?.body.properties, { author_id: pseudonym });
  assert.equal(named('post.updated')?.body.userId, other.id, 'other users keep their id');
  // The deletion itself names the user: the destination's cue to erase what it holds.
  assert.equal(named('user.deleted')?.body.userId, user.id);

  // The refusing destination's dead letters are rewritten in place by the forgetting passes:
  // none keeps the id, and a replay, even after the mapping is gone, sends the pseudonym.
  const kept = () =>
    sql(
      t.databaseUrl,
      `select event from destination_deliveries
        where payload::text like $1 and event <> 'user.deleted' order by event`,
      [`%${user.id}%`],
    );
  await until(async () => (await kept()).length === 0, 'dead letters rewritten');
  await sql(t.databaseUrl, 'delete from forgotten_users where user_id = $1', [user.id]);
  refused.delete('/refusing');
  const replayed = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/destinations/dead-letters/replay?destination=refusing',
    headers: bearer(t.adminToken),
  });
  assert.equal(replayed.statusCode, 202, replayed.body);
  const again = () => receiver.at('/refusing').filter((r) => r.status === 200);
  await until(() => again().length === 4, 'the dead letters replayed');
  for (const r of again().filter((x) => x.body.event !== 'user.deleted')) {
    assert.ok(!r.raw.includes(user.id), `${String(r.body.event)} replayed with the real id`);
  }
  assert.equal(again().find((r) => r.body.event === 'f.keyed')?.body.userId, pseudonym);
});

test('a dead letter naming a user being forgotten is listed under the pseudonym, as it would be sent', async () => {
  // Deleted two minutes ago and passed over since: no pass is due before the final one, minutes
  // away (later still with a backlog). A late event naming the user (main's post.deleted for
  // their post) that a receiver refuses is a dead letter at once, with the id in its payload
  // until the final pass rewrites it — and the listing showed it to admins meanwhile, while
  // GET /profiles answered 404 and /user-activity nothing for the same user.
  const { userId, pseudonym } = await forgottenUser(t, { forgotten: 2, passed: 2 });
  refused.add('/refusing');
  try {
    const event = domainEvent('post.deleted', userId, { author_id: userId });
    await deliver([event]);
    const dead = () =>
      sql(
        t.databaseUrl,
        `select 1 from destination_deliveries
          where destination = 'refusing' and event_id = $1 and status = 'dead'`,
        [event.id],
      );
    await until(async () => (await dead()).length === 1, 'the refused delivery dead-lettered');
    const listed = await t.app.inject({
      url: '/analytics/v1/destinations/dead-letters?destination=refusing&limit=100',
      headers: bearer(t.adminToken),
    });
    assert.equal(listed.statusCode, 200, listed.body);
    const item = (listed.json() as { items: { event_id: string; payload: unknown }[] }).items.find(
      (i) => i.event_id === event.id,
    );
    assert.ok(item, listed.body);
    const text = JSON.stringify(item.payload);
    assert.ok(!text.toLowerCase().includes(userId), `the dead letter lists the id: ${text}`);
    assert.ok(text.includes(pseudonym), text);
  } finally {
    refused.delete('/refusing');
    await sql(t.databaseUrl, 'delete from forgotten_users where user_id = $1', [userId]);
  }
});

test('a final pass between reading the dead-letter page and looking up its users: the id is still not listed', async () => {
  // The page and the lookup each had a snapshot of their own: a final pass that rewrote the
  // delivery and deleted the mapping between them left the page as read, with the real id.
  const { userId, pseudonym } = await forgottenUser(t, { forgotten: 2, passed: 2 });
  refused.add('/refusing');
  try {
    const event = domainEvent('post.deleted', userId, { author_id: userId });
    await deliver([event]);
    await until(
      async () =>
        (
          await sql(
            t.databaseUrl,
            `select 1 from destination_deliveries
              where destination = 'refusing' and event_id = $1 and status = 'dead'`,
            [event.id],
          )
        ).length === 1,
      'the refused delivery dead-lettered',
    );
    // The final pass, by hand, while the listing's lookup of the users waits for it.
    const listed = await finalPassDuringLookup(
      t,
      () =>
        t.app.inject({
          url: '/analytics/v1/destinations/dead-letters?destination=refusing&limit=100',
          headers: bearer(t.adminToken),
        }),
      async (pass) => {
        await pass.query(
          `update destination_deliveries set payload = replace(payload::text, $1, $2)::jsonb
            where destination = 'refusing' and event_id = $3`,
          [userId, pseudonym, event.id],
        );
        await pass.query('delete from forgotten_users where user_id = $1', [userId]);
      },
    );
    assert.equal(listed.statusCode, 200, listed.body);
    const item = (listed.json() as { items: { event_id: string; payload: unknown }[] }).items.find(
      (i) => i.event_id === event.id,
    );
    const text = JSON.stringify(item?.payload);
    assert.ok(!text.toLowerCase().includes(userId), `the dead letter lists the id: ${text}`);
    assert.ok(text.includes(pseudonym), text);
  } finally {
    refused.delete('/refusing');
    await sql(t.databaseUrl, 'delete from forgotten_users where user_id = $1', [userId]);
  }
});
