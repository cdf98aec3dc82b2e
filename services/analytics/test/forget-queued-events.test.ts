import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { requeue, setAside } from '../src/ingestion/dead-letters.ts';
import { unlinkDeadLetters } from '../src/ingestion/dead-letters-unlink.ts';
import { forgetPending } from '../src/ingestion/forget.ts';
import { createPointNumbers } from '../src/ingestion/point-numbers.ts';
import { StoreUnavailable } from '../src/store/errors.ts';
import type { QueuedEvent, Store } from '../src/store/types.ts';
import { domainEvent, eventForm, finalPassDuringLookup, forgetting } from './forgetting.ts';
import { bearer, buildTestAnalytics, eventsStore } from './helper.ts';
import { countPacks } from './pack-spy.ts';

/** The PostgreSQL store, its writes held (failing as a store that is down) while `held`. */
const state = { held: false };
const hold =
  <A extends unknown[]>(write: (...args: A) => Promise<void>) =>
  async (...args: A) => {
    if (state.held) throw new StoreUnavailable('held by the test');
    await write(...args);
  };
/**
 * The app's own forgetting ticks every 200 ms (production's: 2 s, FORGET_TICK_MS): the tests
 * wait for a tick's pass (`passed`), or give the ticks a chance to drop a mapping too early.
 */
const TICK_MS = 200;
const forgettingTimings = { tickMs: TICK_MS };
const t = await buildTestAnalytics(
  {},
  {
    forgetting: forgettingTimings,
    wrapStore: (store: Store): Store => ({
      ...store,
      writeEvents: hold(store.writeEvents),
      writeSamples: hold(store.writeSamples),
      ...(store.writeEncoded ? { writeEncoded: hold(store.writeEncoded) } : {}),
    }),
  },
);
const { deliver, linked, mapping, pastGrace, passed, passContext, track } = forgetting(t);
/** forgetPending as a test drives it, on the test database's store. */
const ctx = passContext();

/**
 * Runs `during` with the store down, then brings it back and lets the writer drain: nothing of
 * `userId` may then be stored under the real id.
 */
async function withStoreDown(userId: string, during: () => Promise<void>) {
  state.held = true;
  try {
    await during();
  } finally {
    state.held = false;
  }
  await t.drained();
  assert.deepEqual(await linked(userId), [], 'nothing stored under the real id');
}

test('events still queued past the final pass (the store down) are written under the pseudonym', async () => {
  const user = await t.user();
  const other = await t.user();
  let pseudonym = '';
  await withStoreDown(user.id, async () => {
    await track(user, { event: 'page.viewed', properties: { path: '/about' } });
    await deliver([
      domainEvent('post.updated', other.id, { author_id: user.id }),
      domainEvent('user.logged_in', other.id),
    ]);
    await deliver([domainEvent('user.deleted', user.id)]);
    pseudonym = (await mapping(user.id)) ?? '';
    assert.ok(pseudonym.startsWith('deleted-'));
    // The app's own forgetting tick has seen the deletion (its writer's lookup with it).
    await passed([user.id]);
    // Ten minutes on, the store still down: the final pass runs, the queue still holds them.
    await pastGrace(user.id);
    await forgetPending(ctx);
    const queued = await t.sql('select count(*)::int as n from queue');
    assert.ok((queued[0] as { n: number }).n > 0, 'the events are still queued');
  });
  const unlinked = await t.sql(
    'select name, user_id, properties::text as properties from events where user_id = $2 or properties::text like $1 order by name',
    [`%${pseudonym}%`, pseudonym],
  );
  assert.deepEqual(
    unlinked.map((r) => r.name),
    ['page.viewed', 'post.updated', 'user.deleted'],
  );
  assert.equal((await linked(other.id)).length, 2, 'other users keep their id');

  // The queue has moved past the deletion: the next pass is the final one, and the mapping goes.
  await forgetPending(ctx);
  assert.equal(await mapping(user.id), undefined);
});

test("queued events whose own user id is the user's upper-cased are written under the pseudonym", async () => {
  // A producer (a Segment backend) may send the UUID upper-cased; the writer's lookup has the
  // user's id as auth wrote it, in lower case.
  await t.drained();
  const user = await t.user();
  const upper = user.id.toUpperCase();
  let pseudonym = '';
  await withStoreDown(user.id, async () => {
    await deliver([domainEvent('user.logged_in', upper, {})]);
    await deliver([domainEvent('user.deleted', user.id)]);
    pseudonym = (await mapping(user.id)) ?? '';
    assert.ok(pseudonym.startsWith('deleted-'));
    await passed([user.id]);
  });
  const stored = await t.sql('select name from events where user_id = $1 order by name', [
    pseudonym,
  ]);
  assert.deepEqual(
    stored.map((r) => r.name),
    ['user.deleted', 'user.logged_in'],
  );
});

test("the deletion batch's own queued row counts as queued before it: the mapping waits for it", async () => {
  // The internal batch that carries user.deleted queues that event (and any other of the user in
  // the batch) in the same transaction that records queue_seq: those rows must be at or below it.
  await t.drained();
  const user = await t.user();
  let pseudonym = '';
  await withStoreDown(user.id, async () => {
    await deliver([domainEvent('user.logged_out', user.id), domainEvent('user.deleted', user.id)]);
    pseudonym = (await mapping(user.id)) ?? '';
    assert.ok(pseudonym.startsWith('deleted-'));
    // Ten minutes on, the store still down, the batch still queued: no final pass yet.
    await pastGrace(user.id);
    await forgetPending(ctx);
    assert.equal(await mapping(user.id), pseudonym, 'the mapping stays while its row is queued');
    // The app's own ticks refresh its writer's lookup meanwhile (and leave the mapping).
    await sleep(5 * TICK_MS);
  });
  const stored = await t.sql('select name from events where user_id = $1 order by name', [
    pseudonym,
  ]);
  assert.deepEqual(
    stored.map((r) => r.name),
    ['user.deleted', 'user.logged_out'],
  );
});

test('events naming the user that came during the grace time and are still queued keep the mapping', async () => {
  // main deletes the user's posts when the account goes: post.deleted events naming the user
  // arrive after the deletion. With the store down past the grace time they are still queued
  // when the rows queued before the deletion are gone, and must not be written with the id.
  await t.drained();
  const user = await t.user();
  let pseudonym = '';
  await withStoreDown(user.id, async () => {
    await deliver([domainEvent('user.deleted', user.id)]);
    pseudonym = (await mapping(user.id)) ?? '';
    await deliver([domainEvent('post.deleted', user.id, { author_id: user.id })]);
    // As if ten minutes had gone by: the deletion's row was written, the later one came five
    // minutes after the deletion and is still queued. The deletion goes past the grace time
    // last: the app's own ticks must not see it there before the queue is so.
    const queued = await t.sql('select seq::float8 as seq from queue order by seq');
    assert.equal(queued.length, 2);
    await t.sql(`update queue set enqueued_at = now() - interval '6 minutes' where seq = $1`, [
      (queued[1] as { seq: number }).seq,
    ]);
    await t.sql('delete from queue where seq = $1', [(queued[0] as { seq: number }).seq]);
    await pastGrace(user.id);
    await forgetPending(ctx);
    assert.equal(await mapping(user.id), pseudonym, 'the mapping stays while they are queued');
    // The app's own ticks meanwhile (they leave it too).
    await sleep(5 * TICK_MS);
  });
  await forgetPending(ctx);
  assert.equal(await mapping(user.id), undefined, 'then it goes');
});

test('dead letters of a deleted user are rewritten: listing and replaying show the pseudonym', async () => {
  const user = await t.user();
  const other = await t.user();
  const eventText = eventForm(user.id, { author_id: user.id });
  const trackForm = JSON.stringify([
    user.id,
    Date.now(),
    randomUUID(),
    [['page.viewed', null, null, { path: '/x' }]],
  ]);
  const othersForm = JSON.stringify([
    other.id,
    Date.now(),
    randomUUID(),
    [['page.viewed', null, null, { path: '/y' }]],
  ]);
  await t.sql(
    `insert into ingestion_dead_letters (queue_seq, kind, item, error)
     values (1, 'event', $1, 'refused'), (2, 'track', $2, 'refused'), (3, 'track', $3, 'refused')`,
    [eventText, trackForm, othersForm],
  );
  await deliver([domainEvent('user.deleted', user.id)]);
  const pseudonym = (await mapping(user.id))!;
  await t.drained();
  await forgetPending(ctx);
  // Past the grace time with the queue empty: the final pass, and the mapping goes.
  await pastGrace(user.id);
  await forgetPending(ctx);
  assert.equal(await mapping(user.id), undefined);

  const listed = await t.app.inject({
    url: '/analytics/v1/ingestion/dead-letters',
    headers: bearer(t.adminToken),
  });
  assert.equal(listed.statusCode, 200);
  assert.ok(!listed.body.includes(user.id), 'no dead letter keeps the id');
  const items = listed.json().items as { id: number; kind: string }[];
  const own = (
    await t.sql('select id::int as id from ingestion_dead_letters where item like $1', [
      `%${pseudonym}%`,
    ])
  ).map((r) => r.id as number);
  assert.equal(own.length, 2, 'the event form and the track form');
  assert.ok(items.some((i) => i.kind === 'track' && JSON.stringify(i).includes(other.id)));

  for (const id of own) {
    const replay = await t.app.inject({
      method: 'POST',
      url: `/analytics/v1/ingestion/dead-letters/${id}/replay`,
      headers: bearer(t.adminToken),
    });
    assert.equal(replay.statusCode, 202, replay.body);
  }
  await t.drained();
  assert.deepEqual(await linked(user.id), [], 'a replay writes no real id');
  const replayed = await t.sql('select name from events where user_id = $1 order by name', [
    pseudonym,
  ]);
  assert.deepEqual(
    replayed.map((r) => r.name),
    ['page.viewed', 'post.updated', 'user.deleted'],
  );
});

/**
 * Its eager minute over and passed over a minute ago: no tick's pass is due until the final. Once
 * the app's first pass over the user is over: a tick that read the user due before this update
 * went on with its pass, and rewrote the dead letters the test set aside meanwhile.
 */
async function passedOverAfterEagerMinute(userId: string) {
  await passed([userId]);
  await t.sql(
    `update forgotten_users set forgotten_at = now() - interval '5 minutes',
       last_pass_at = now() - interval '1 minute' where user_id = $1`,
    [userId],
  );
}

test('a dead letter naming a user being forgotten is listed under the pseudonym before a pass rewrites it', async () => {
  // Set aside after the eager minute (a late event the store refused): it holds the id until
  // the final pass, and was listed so, while destination dead letters named the pseudonym.
  const user = await t.user();
  const other = await t.user();
  await deliver([domainEvent('user.deleted', user.id)]);
  const pseudonym = (await mapping(user.id))!;
  await passedOverAfterEagerMinute(user.id);
  const letters = await t.sql(
    `insert into ingestion_dead_letters (queue_seq, kind, item, error)
     values (1, 'event', $1, $2), (2, 'event', $3, 'refused') returning id::text as id`,
    [
      eventForm(user.id.toUpperCase(), { author_id: user.id, by: other.id }),
      `unable to parse 'user_id="${user.id}"'`,
      eventForm(other.id, { ref: other.id }),
    ],
  );
  const listed = await t.app.inject({
    url: '/analytics/v1/ingestion/dead-letters',
    headers: bearer(t.adminToken),
  });
  assert.equal(listed.statusCode, 200);
  assert.ok(!listed.body.toLowerCase().includes(user.id), 'the id is listed nowhere');
  type Listed = { id: string; payload: { userId: string; properties: string }[]; error: string };
  const items = listed.json().items as Listed[];
  const [own, others] = letters.map((l) => items.find((i) => i.id === l.id));
  assert.equal(own?.payload[0]?.userId, pseudonym);
  assert.deepEqual(JSON.parse(own!.payload[0]!.properties), {
    author_id: pseudonym,
    by: other.id,
  });
  assert.equal(own?.error, `unable to parse 'user_id="${pseudonym}"'`);
  assert.equal(others?.payload[0]?.userId, other.id, "another user's letter as it is");
  const stored = await t.sql('select 1 from ingestion_dead_letters where item like $1', [
    `%${user.id}%`,
  ]);
  assert.equal(stored.length, 1, 'listing rewrites nothing: the passes do');
});

test('a final pass between reading a dead-letter page and looking up its users: the id is still not listed', async () => {
  // The page and the lookup each had a snapshot of their own: a final pass that rewrote the
  // letter and deleted the mapping between them left the page as read (the real id) and nothing
  // to put in its place.
  const user = await t.user();
  await deliver([domainEvent('user.deleted', user.id)]);
  const pseudonym = (await mapping(user.id))!;
  // No tick's pass is due until the final: the pass here is the test's.
  await passedOverAfterEagerMinute(user.id);
  await t.sql(
    `insert into ingestion_dead_letters (queue_seq, kind, item, error) values (1, 'event', $1, 'refused')`,
    [eventForm(user.id, {})],
  );
  // The final pass, by hand, while the listing's lookup of the users waits for it.
  const listed = await finalPassDuringLookup(
    t,
    () =>
      t.app.inject({ url: '/analytics/v1/ingestion/dead-letters', headers: bearer(t.adminToken) }),
    async (pass) => {
      await pass.query('update ingestion_dead_letters set item = replace(item, $1, $2)', [
        user.id,
        pseudonym,
      ]);
      await pass.query('delete from forgotten_users where user_id = $1', [user.id]);
    },
  );
  assert.equal(listed.statusCode, 200);
  assert.ok(!listed.body.toLowerCase().includes(user.id), `the id is listed: ${listed.body}`);
  assert.ok(listed.body.includes(pseudonym));
});

test('what the store said of a dead letter is rewritten too', async () => {
  // InfluxDB answers a line it cannot parse with the line itself, user_id field and all.
  const user = await t.user();
  const eventText = eventForm(user.id, {});
  await t.sql(
    `insert into ingestion_dead_letters (queue_seq, kind, item, error) values (1, 'event', $1, $2)`,
    [
      eventText,
      `unable to parse 'events,event=post.updated user_id="${user.id}" 1': bad timestamp`,
    ],
  );
  await deliver([domainEvent('user.deleted', user.id)]);
  const pseudonym = (await mapping(user.id))!;
  await forgetPending(ctx);
  const kept = await t.sql(
    'select item, error from ingestion_dead_letters where item like $1 or error like $1',
    [`%${user.id}%`],
  );
  assert.deepEqual(kept, [], 'no dead letter keeps the id');
  const rewritten = await t.sql('select 1 from ingestion_dead_letters where error like $1', [
    `%${pseudonym}%`,
  ]);
  assert.equal(rewritten.length, 1);
});

test('what the store said, kept short, keeps no part of a user id it cut', async () => {
  // A dead letter keeps 500 characters of what the store said. Cut inside a quoted id, it kept
  // the id's first characters: no pass rewrote them (they find an id whole), and the listing
  // showed them after the user was forgotten.
  const user = await t.user();
  const quoted = `unable to parse 'events,event=post.updated user_id="${user.id}" 1': bad timestamp`;
  // The id's first 20 characters fall within the 500.
  const said = `${'x'.repeat(500 - quoted.indexOf(user.id) - 20)}${quoted}`;
  const value = JSON.parse(eventForm(user.id, {}))[0] as Record<string, unknown>;
  await t.database.db.transaction((tx) =>
    setAside(
      tx,
      [{ row: { seq: 1, kind: 'event', item: [value] }, index: 0, value, error: said }],
      [],
    ),
  );
  await deliver([domainEvent('user.deleted', user.id)]);
  const pseudonym = (await mapping(user.id))!;
  await forgetPending(ctx);
  const listed = await t.app.inject({
    url: '/analytics/v1/ingestion/dead-letters',
    headers: bearer(t.adminToken),
  });
  assert.equal(listed.statusCode, 200);
  const [letter] = (listed.json().items as { payload: unknown; error: string }[]).filter((i) =>
    JSON.stringify(i.payload).includes(pseudonym),
  );
  assert.ok(letter, listed.body);
  assert.ok(letter.error.length <= 500);
  assert.ok(!letter.error.includes(user.id.slice(0, 8)), `part of the id kept: ${letter.error}`);
});

test('a queue row that cannot be read keeps no part of a user id in what its dead letter says', async () => {
  // V8's JSON.parse message quotes ten characters either side of the fault, cut anywhere: the
  // dead letter said `..."56789ab"},@]" is not valid JSON`, a part of the id no pass finds.
  const user = await t.user();
  await t.sql(`insert into queue (kind, item) values ('event', $1)`, [
    `[{"userId":"${user.id}"},@]`,
  ]);
  await t.sql(`insert into queue (kind, item) values ('event', $1)`, [
    `[{"note":"${'n'.repeat(30)}"},@ "${user.id}", "${'m'.repeat(30)}"]`,
  ]);
  await t.drained();
  await deliver([domainEvent('user.deleted', user.id)]);
  const pseudonym = (await mapping(user.id))!;
  await forgetPending(ctx);
  const letters = (await t.sql('select error from ingestion_dead_letters where item like $1', [
    `%${pseudonym}%`,
  ])) as { error: string }[];
  assert.equal(letters.length, 2);
  for (const { error } of letters) {
    assert.match(error, /is not valid JSON/);
    for (const part of [user.id.slice(0, 6), user.id.slice(-6)]) {
      assert.ok(!error.toLowerCase().includes(part), `part of the id kept: ${error}`);
    }
  }
});

test('an id in upper or mixed case in a dead letter is rewritten too', async () => {
  // Clients often upper-case a UUID (Swift's `uuidString`); it is the same id.
  const user = await t.user();
  const pseudonym = `deleted-${randomUUID()}`;
  const mixed = `${user.id.toUpperCase().slice(0, 18)}${user.id.slice(18)}`;
  const trackForm = JSON.stringify([
    null,
    Date.now(),
    randomUUID(),
    [['page.viewed', null, null, { ref: user.id.toUpperCase(), by: mixed }]],
  ]);
  await t.sql(
    `insert into ingestion_dead_letters (queue_seq, kind, item, error) values (1, 'track', $1, $2)`,
    [trackForm, `refused ${mixed}`],
  );
  await unlinkDeadLetters(t.database.db, [{ userId: user.id, pseudonym }]);
  const [letter] = await t.sql(
    'select item, error from ingestion_dead_letters where item like $1',
    [`%${pseudonym}%`],
  );
  const [, , , [[, , , properties]]] = JSON.parse(letter?.item as string);
  assert.deepEqual(properties, { ref: pseudonym, by: pseudonym });
  assert.equal(letter?.error, `refused ${pseudonym}`);
});

test('a replay that read a dead letter before a pass rewrote it queues the rewritten text', async () => {
  const user = await t.user();
  const pseudonym = `deleted-${randomUUID()}`;
  const trackForm = JSON.stringify([
    user.id,
    Date.now(),
    randomUUID(),
    [['page.viewed', null, null, { path: '/race', ref: user.id }]],
  ]);
  const [letter] = await t.sql(
    `insert into ingestion_dead_letters (queue_seq, kind, item, error)
     values (1, 'track', $1, 'refused') returning id::int as id`,
    [trackForm],
  );
  // A forgetting pass rewrites the dead letter while the replay is between its read and its
  // transaction (the point numbers it takes there); then the mapping goes (the final pass).
  const points = createPointNumbers(t.database.db);
  const racing = {
    take: async (count: number) => {
      await unlinkDeadLetters(t.database.db, [{ userId: user.id, pseudonym }]);
      return points.take(count);
    },
  };
  // And packs outside any transaction: the text read first is stale, and packing the new one
  // inside held a pooled connection idle (on the thread pool, for a large letter) meanwhile.
  const packed = await countPacks(t.database.db, async (db) =>
    assert.equal(await requeue(db, (letter as { id: number }).id, racing), true),
  );
  assert.equal(packed.inTransaction, 0, 'nothing packed inside the transaction');
  await t.drained();
  assert.deepEqual(await linked(user.id), [], 'the replay wrote no real id');
  const stored = await t.sql('select properties::text as p from events where user_id = $1', [
    pseudonym,
  ]);
  assert.equal(stored.length, 1);
  assert.ok(String((stored[0] as { p: string }).p).includes(pseudonym));
});

test('a row encoded when it was accepted (InfluxDB) is written under the pseudonym too', async () => {
  // The process encodes a row's events for InfluxDB as it queues them (writer-cache.ts): the
  // writer reads such a row back when its body names a user being forgotten.
  const written: QueuedEvent[] = [];
  const down = { held: true };
  const store = eventsStore(
    'influxdb',
    async (events) => {
      if (down.held) throw new StoreUnavailable('held by the test');
      written.push(...events);
    },
    { encodes: true },
  );
  Object.assign(store, { forgetUsers: async () => ({ rewritten: 0 }) });
  const influx = await buildTestAnalytics({}, { store, forgetting: forgettingTimings });
  const user = await influx.user();
  const viaInflux = forgetting(influx);
  await viaInflux.track(user, {
    event: 'page.viewed',
    properties: { path: '/about', ref: user.id },
  });
  await viaInflux.deliver([domainEvent('user.deleted', user.id)]);
  await viaInflux.passed([user.id]);
  down.held = false;
  await influx.drained();
  const [row] = await influx.sql('select pseudonym from forgotten_users');
  const pseudonym = (row as { pseudonym: string }).pseudonym;
  assert.deepEqual(written.map((e) => e.event).sort(), ['page.viewed', 'user.deleted']);
  assert.ok(!JSON.stringify(written).includes(user.id), 'no event written with the real id');
  assert.ok(written.every((e) => e.userId === pseudonym));
});

for (const [kind, encodes] of [
  ['postgres', false],
  ['influxdb', true],
] as const) {
  test(`an event queued under the user's id as its anonymous id is written under the pseudonym (${kind})`, async () => {
    // Clients often send the signed-in user's id as their anonymous id (some SDKs set it so
    // after `identify`): another user's event under it, in upper case, still queued (the store
    // down) when the user is deleted, is written with the pseudonym as its anonymous id — the
    // writer's rewrite, not a store pass (this store's does nothing). On InfluxDB the row was
    // encoded when it was accepted: read back for it.
    const written: QueuedEvent[] = [];
    const down = { held: true };
    const store = eventsStore(
      kind,
      async (events) => {
        if (down.held) throw new StoreUnavailable('held by the test');
        written.push(...events);
      },
      { encodes },
    );
    Object.assign(store, { forgetUsers: async () => ({ rewritten: 0 }) });
    const app = await buildTestAnalytics({}, { store, forgetting: forgettingTimings });
    const user = await app.user();
    const other = await app.user();
    const via = forgetting(app);
    await via.track(other, { event: 'page.viewed', anonymous_id: user.id.toUpperCase() });
    await via.deliver([domainEvent('user.deleted', user.id)]);
    await via.passed([user.id]);
    down.held = false;
    await app.drained();
    const [row] = await app.sql('select pseudonym from forgotten_users');
    const pseudonym = (row as { pseudonym: string }).pseudonym;
    const viewed = written.find((e) => e.event === 'page.viewed');
    assert.equal(viewed?.anonymousId, pseudonym);
    assert.equal(viewed?.userId, other.id, "the other user's own id stays");
    assert.ok(!JSON.stringify(written).toLowerCase().includes(user.id), 'no real id written');
  });
}
