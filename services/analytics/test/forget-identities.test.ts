import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { App } from '@platform/http';
import pg from 'pg';
import type { AnalyticsContext } from '../src/context.ts';
import { deliveriesHeld, forgetPending, scheduleForgetting } from '../src/ingestion/forget.ts';
import { noteRemovals } from '../src/ingestion/forget-left.ts';
import { createForgotten } from '../src/ingestion/forgotten.ts';
import { until } from './destinations-receiver.ts';
import { domainEvent, forgetting, forgottenUser } from './forgetting.ts';
import { bearer, buildTestAnalytics, writeKeyAuth } from './helper.ts';

// The tests run the passes themselves. The app's own ticks (every 2 s) raced them: one retried a
// noted removal between a test's failing pass and its look at what the removal left.
const t = await buildTestAnalytics({}, { forgetting: { tickMs: 3_600_000 } });
const { deliver, mapping, pastGrace, passContext } = forgetting(t);

/** The user's profile and links, whatever case their id was sent in. */
const identities = (userId: string) =>
  t.sql(
    `select 'profile' as what, user_id from profiles where lower(user_id) = $1
     union all select 'link', user_id from identity_links where lower(user_id) = $1`,
    [userId.toLowerCase()],
  );

/**
 * forgetPending's context whose next `failures` transactions after the final pass's deliveries
 * fail (the removal once more after the mapping is gone, then the retries of noted removals at
 * the end of the tick) until `stop()`; `during` runs as the final pass begins.
 */
function failingAfterFinalPass(failures: number, during: () => Promise<void> = async () => {}) {
  const ctx = passContext();
  let left = 0;
  const failing = new Proxy(ctx.db, {
    get(target, prop) {
      if (prop === 'transaction' && left > 0) {
        left -= 1;
        return () => Promise.reject(new Error('injected: the removal failed'));
      }
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const destinations = ctx.destinations;
  const broken = {
    ...ctx,
    db: failing,
    destinations: {
      ...destinations,
      forgetFinally: async (...args: Parameters<typeof destinations.forgetFinally>) => {
        await during();
        await destinations.forgetFinally(...args);
        left = failures;
      },
    },
  } as AnalyticsContext;
  return {
    ctx: broken,
    /** How many of the failures are still to come. */
    left: () => left,
    stop: () => {
      left = 0;
    },
  };
}

/** A profile of `userId` whose last removal is noted (forgotten_identities), to be retried. */
async function notedProfile(userId: string) {
  await t.sql('insert into profiles (user_id, first_seen, last_seen) values ($1, now(), now())', [
    userId,
  ]);
  await t.sql('insert into forgotten_identities (user_id) values ($1)', [userId]);
}

/**
 * A trigger that fails every removal of `userId`'s profile (in life: a link a stuck transaction
 * holds, each try failing); `drop()` takes it away.
 */
async function failingRemoval(userId: string) {
  const name = `fail_removal_${userId.replaceAll('-', '_')}`;
  await t.sql(`create function ${name}() returns trigger language plpgsql as
    $$ begin raise exception 'injected: the removal fails'; end $$`);
  await t.sql(`create trigger ${name} before delete on profiles for each row
    when (old.user_id = '${userId}') execute function ${name}()`);
  return {
    drop: async () => {
      await t.sql(`drop trigger ${name} on profiles`);
      await t.sql(`drop function ${name}()`);
    },
  };
}

test("a Segment backend's identify during the grace time leaves no profile or link past the final pass", async () => {
  // A backend's queue flushes after the account's deletion (a retry, a batch sent late): the
  // deletion's own removal of profile and links has run, and the messages bring them back —
  // under the real id, with the traits, and for good once the mapping is gone.
  const user = await t.user();
  const auth = await writeKeyAuth(t, 'late backend');
  await deliver([domainEvent('user.deleted', user.id)]);
  const batch = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/batch',
    headers: { authorization: auth },
    payload: {
      batch: [
        {
          type: 'identify',
          userId: user.id.toUpperCase(),
          anonymousId: randomUUID(),
          traits: { email: 'gone@example.com' },
        },
        { type: 'alias', userId: user.id, previousId: randomUUID() },
      ],
    },
  });
  assert.equal(batch.statusCode, 200, batch.body);
  await t.drained();
  assert.ok(await mapping(user.id), 'still in its grace time');

  await forgetPending(passContext(), Date.now() + 11 * 60_000);
  assert.equal(await mapping(user.id), undefined, 'the final pass ran');
  assert.deepEqual(await identities(user.id), []);
  for (const id of [user.id, user.id.toUpperCase()]) {
    const profile = await t.app.inject({
      url: `/analytics/v1/profiles/${id}`,
      headers: bearer(t.adminToken),
    });
    assert.equal(profile.statusCode, 404, `${id}: ${profile.body}`);
  }
});

test("a final pass's last removal of profile and links that fails is retried at the next pass", async () => {
  // A backend's identify commits while the final pass runs (its store pass and its wait for the
  // deliveries' lock take seconds), after the pass's first removal: the removal once more after
  // the mapping is gone is what catches it. That one failed (a timeout, the database
  // restarting) and nothing retried it: the mapping, which drives the passes, was deleted, and
  // the profile stayed under the real id for good.
  const user = await t.user();
  const auth = await writeKeyAuth(t, 'late backend, failing removal');
  await deliver([domainEvent('user.deleted', user.id)]);
  await t.drained();
  const identify = () =>
    t.app.inject({
      method: 'POST',
      url: '/analytics/v1/batch',
      headers: { authorization: auth },
      payload: {
        batch: [
          {
            type: 'identify',
            userId: user.id,
            anonymousId: randomUUID(),
            traits: { email: 'gone@example.com' },
          },
        ],
      },
    });
  // A database whose transactions after the final pass's deliveries fail: the removal (and its
  // retry at the end of the same tick: the database still down).
  const broken = failingAfterFinalPass(Number.POSITIVE_INFINITY, async () => {
    const answer = await identify();
    assert.equal(answer.statusCode, 200, answer.body);
  });
  await pastGrace(user.id);
  await assert.rejects(forgetPending(broken.ctx), /injected/);
  broken.stop();
  assert.equal(await mapping(user.id), undefined, 'the mapping went with the final pass');
  assert.equal((await identities(user.id)).length, 2, 'the profile and link the removal left');
  // Until the removal is retried the user is still a deleted one: GET /profiles answered the
  // profile the identify made, with its traits (the mapping it looked at was gone).
  for (const id of [user.id, user.id.toUpperCase()]) {
    const profile = await t.app.inject({
      url: `/analytics/v1/profiles/${id}`,
      headers: bearer(t.adminToken),
    });
    assert.equal(profile.statusCode, 404, `${id}: ${profile.body}`);
  }

  await forgetPending(passContext());
  assert.deepEqual(await identities(user.id), []);
});

test("a final pass's last removal that its tick's retry then makes is not reported", async () => {
  // The removal once more after the mapping is gone failed (a moment's outage), and the tick's
  // retry of noted removals, just after, succeeded: nothing was left, yet the tick logged
  // "unlinking deleted users failed; will retry" — an alarm about a failure already mended.
  const user = await forgottenUser(t);
  await t.sql('insert into profiles (user_id, first_seen, last_seen) values ($1, now(), now())', [
    user.userId,
  ]);
  const broken = failingAfterFinalPass(1);
  // The forgetting worker's ticks, on a stand-in for the app that keeps what they log.
  const warnings: string[] = [];
  const hooks = new Map<string, () => Promise<void>>();
  const app = {
    log: { warn: (_: object, message: string) => warnings.push(message) },
    addHook: (name: string, hook: () => Promise<void>) => hooks.set(name, hook),
  } as unknown as App;
  scheduleForgetting(app, broken.ctx, { tickMs: 20 });
  await pastGrace(user.userId);
  await hooks.get('onReady')!();
  try {
    await until(
      async () => (await mapping(user.userId)) === undefined && broken.left() === 0,
      'the final pass, its removal failing',
    );
    await until(async () => (await identities(user.userId)).length === 0, 'the retry');
    // A few more ticks: nothing is left to report.
    await sleep(100);
  } finally {
    await hooks.get('onClose')!();
  }
  assert.deepEqual(warnings, []);
});

test("a last removal that keeps failing holds up neither the writer's lookup nor other users' passes", async () => {
  // A removal noted in forgotten_identities that fails at every try (here a trigger; in life a
  // link a stuck batch holds locked, each try failing at the statement timeout). The retry came
  // first in every tick and failed it whole: the writer's lookup of users being forgotten was
  // not refreshed (a deletion since was written under the real id) and no pass ran.
  const stuck = randomUUID();
  await notedProfile(stuck);
  const removalFails = await failingRemoval(stuck);
  try {
    const user = await t.user();
    await deliver([domainEvent('user.deleted', user.id)]);
    await t.drained();
    const forgotten = createForgotten();
    const ctx = { ...passContext(), forgotten } as AnalyticsContext;
    const failed = await forgetPending(ctx).then(
      () => undefined,
      (e: Error) => `${e.message} ${(e.cause as Error | undefined)?.message}`,
    );
    assert.match(String(failed), /injected/, 'the failing removal is reported');
    assert.ok(forgotten.ids.has(user.id), "the writer's lookup has the deleted user");
    const [row] = await t.sql('select last_pass_at from forgotten_users where user_id = $1', [
      user.id,
    ]);
    assert.ok(row?.last_pass_at, 'the deleted user had their pass');
    assert.equal((await identities(stuck)).length, 1, 'the failing removal is left to retry');
  } finally {
    await removalFails.drop();
    await t.sql('delete from forgotten_identities where user_id = $1', [stuck]);
    await t.sql('delete from profiles where user_id = $1', [stuck]);
  }
});

test("a removal a stuck batch's link blocks fails fast, and the tick's work goes on", async () => {
  // A transaction stuck holding one of the user's links (a batch that relinked an anonymous id,
  // frozen mid-transaction): each removal of the user's profile and links (the pass's own, the
  // last one after the mapping goes, the retry of noted ones) waited out the statement timeout,
  // a minute each — ticks minutes apart, the writer's lookup of users being forgotten refreshed
  // as late. Now each asks for a short lock wait, fails, and is retried at the next tick.
  const user = await forgottenUser(t);
  const anonymousId = randomUUID();
  await t.sql(
    `insert into identity_links (anonymous_id, user_id, via) values ($1, $2, 'identify')`,
    [anonymousId, user.userId],
  );
  const stuck = new pg.Client({ connectionString: t.databaseUrl });
  await stuck.connect();
  let outcome: unknown;
  let took = -1;
  try {
    await stuck.query('begin');
    await stuck.query('update identity_links set linked_at = now() where anonymous_id = $1', [
      anonymousId,
    ]);
    const started = Date.now();
    const pass = forgetPending(passContext(), Date.now() + 11 * 60_000).then(
      () => 'passed',
      (e: unknown) => e,
    );
    outcome = await Promise.race([pass, sleep(10_000).then(() => 'still waiting')]);
    took = Date.now() - started;
  } finally {
    await stuck.query('rollback').catch(() => {});
    await stuck.end();
  }
  assert.ok(outcome instanceof Error, `the tick: ${String(outcome)} after ${took} ms`);
  assert.match(outcome.message, /lock timeout/);
  assert.equal(deliveriesHeld(outcome), false, 'taken for destination_deliveries held');
  assert.equal(await mapping(user.userId), undefined, 'the final pass ran all the same');
  assert.equal((await identities(user.userId)).length, 1, 'the link the stuck batch held');

  // The batch gone, the next tick's retry removes it.
  await forgetPending(passContext());
  assert.deepEqual(await identities(user.userId), []);
  assert.deepEqual(
    await t.sql('select 1 from forgotten_identities where user_id = $1', [user.userId]),
    [],
  );
});

test('GET /user-activity of a user being forgotten answers nothing, whatever an identify relinked', async () => {
  // Deleted two minutes ago and passed over since: no pass is due before the final one, minutes
  // away. A backend's identify sent after the deletion linked an anonymous id to the user again,
  // and an admin's /user-activity (or the user's own, with a token still valid) stitched the
  // anonymous events through that link, while GET /profiles answered 404 for the same user.
  const user = await t.user();
  await forgottenUser(t, { forgotten: 2, passed: 2 }, user.id);
  const anonymousId = randomUUID();
  const batch = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/batch',
    headers: { authorization: await writeKeyAuth(t, 'late backend, activity') },
    payload: {
      batch: [
        { type: 'track', event: 'Pricing Viewed', anonymousId },
        { type: 'identify', userId: user.id, anonymousId, traits: { plan: 'pro' } },
      ],
    },
  });
  assert.equal(batch.statusCode, 200, batch.body);
  await t.drained();
  assert.equal((await identities(user.id)).length, 2, 'the identify made a profile and a link');

  for (const [who, url, token] of [
    ['an admin', `/analytics/v1/user-activity?user_id=${user.id}`, t.adminToken],
    ['the user', '/analytics/v1/user-activity', user.accessToken],
  ] as const) {
    const activity = await t.app.inject({ url, headers: bearer(token) });
    assert.equal(activity.statusCode, 200, `${who}: ${activity.body}`);
    assert.deepEqual(activity.json(), { items: [], next_cursor: null }, who);
  }
  const profile = await t.app.inject({
    url: `/analytics/v1/profiles/${user.id}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 404, profile.body);
  await t.sql('delete from forgotten_users where user_id = $1', [user.id]);
});

test("a noted removal that keeps failing holds up no other user's noted removal", async () => {
  // Two users' last removals noted in forgotten_identities: one fails at every try (here a
  // trigger; in life a link a stuck transaction holds, for hours), the other failed once (a
  // batch held its link past the 1 s wait) and would succeed now. They were retried together,
  // in one transaction: the second user's profile, traits and all, stayed for as long as the
  // first one's removal kept failing.
  const stuck = randomUUID();
  const other = randomUUID();
  for (const id of [stuck, other]) await notedProfile(id);
  const removalFails = await failingRemoval(stuck);
  try {
    await assert.rejects(
      forgetPending(passContext()),
      /injected/,
      'the failing removal is reported',
    );
    assert.deepEqual(await identities(other), [], "the other user's profile is removed");
    assert.deepEqual(
      await t.sql('select 1 from forgotten_identities where user_id = $1', [other]),
      [],
      "and the other user's note with it",
    );
    assert.equal((await identities(stuck)).length, 1, 'the failing removal is left to retry');
  } finally {
    await removalFails.drop();
    await t.sql('delete from forgotten_identities where user_id = any($1)', [[stuck, other]]);
    await t.sql('delete from profiles where user_id = any($1)', [[stuck, other]]);
  }
});

test("user.deleted removes the payload's user, not the event's: one id for the removal and the passes", async () => {
  // The relay sets an event's user_id to the payload's user_id, else its actor_id: an event
  // naming another user than its payload (or only its actor) removed that user's profile and
  // links, while the passes forgot the payload's user — whose links stayed.
  const [deleted, actor, bystander] = [randomUUID(), randomUUID(), randomUUID()];
  for (const userId of [deleted, actor, bystander]) {
    await t.sql('insert into profiles (user_id, first_seen, last_seen) values ($1, now(), now())', [
      userId,
    ]);
    await t.sql(
      `insert into identity_links (anonymous_id, user_id, via) values ($1, $2, 'identify')`,
      [randomUUID(), userId],
    );
  }
  await deliver([domainEvent('user.deleted', actor, { user_id: deleted, actor_id: actor })]);
  assert.deepEqual(await identities(deleted), [], "the payload's user is removed");
  assert.ok(await mapping(deleted), 'and forgotten');
  assert.equal((await identities(actor)).length, 2, "the event's user_id is left alone");
  assert.equal(await mapping(actor), undefined);
  // No user_id in the payload: the event's user_id is its actor (the relay's fallback).
  await deliver([domainEvent('user.deleted', bystander, { actor_id: bystander })]);
  assert.equal((await identities(bystander)).length, 2, 'no deleted user named: nothing removed');
  assert.equal(await mapping(bystander), undefined);
});

test('a noted removal of an id that is no UUID, in mixed case, is found as noted: no profile answered', async () => {
  // Noted as written (its rows are removed so), it was looked up in lower case: not found, and
  // the profile an identify made again was answered until the removal went through.
  const userId = `Legacy-${randomUUID()}`;
  await t.sql('insert into profiles (user_id, first_seen, last_seen) values ($1, now(), now())', [
    userId,
  ]);
  await t.database.db.transaction((tx) => noteRemovals(tx, [userId]));
  assert.deepEqual(
    await t.sql('select user_id from forgotten_identities where user_id = $1', [userId]),
    [{ user_id: userId }],
  );
  const profile = await t.app.inject({
    url: `/analytics/v1/profiles/${userId}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 404, profile.body);
  await t.sql('delete from forgotten_identities where user_id = $1', [userId]);
});

test("a pass whose removal of a user's profile failed leaves that user due again, and only them", async () => {
  // Deleted two minutes ago, never passed over (a backlog, the service down): past the eager
  // minute, a user is due again only while their pass is not recorded as done. The removal
  // failed and the pass was recorded all the same: the profile (and an identify's links) stayed
  // until the final pass, minutes on.
  const insert = async () => {
    const user = { userId: randomUUID(), pseudonym: `deleted-${randomUUID()}` };
    await t.sql(
      `insert into forgotten_users (user_id, pseudonym, forgotten_at)
        values ($1, $2, now() - interval '2 minutes')`,
      [user.userId, user.pseudonym],
    );
    await t.sql('insert into profiles (user_id, first_seen, last_seen) values ($1, now(), now())', [
      user.userId,
    ]);
    return user;
  };
  const [stuck, other] = [await insert(), await insert()];
  const removalFails = await failingRemoval(stuck.userId);
  try {
    await assert.rejects(forgetPending(passContext()), /injected/);
  } finally {
    await removalFails.drop();
  }
  const passes = await t.sql(
    'select user_id, last_pass_at is not null as done from forgotten_users where user_id = any($1)',
    [[stuck.userId, other.userId]],
  );
  assert.deepEqual(
    Object.fromEntries(passes.map((r) => [r.user_id, r.done])),
    { [stuck.userId]: false, [other.userId]: true },
    'due again: the user whose removal failed, only them',
  );
  assert.deepEqual(await identities(other.userId), [], "the other user's profile went");
  // The next tick (still in the grace time: no final pass) removes it.
  await forgetPending(passContext(), Date.now() + 6000);
  assert.deepEqual(await identities(stuck.userId), []);
});
