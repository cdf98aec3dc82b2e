import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type App, loggerOptions } from '@platform/http';
import { logCapture } from '@platform/testing';
import pino from 'pino';
import { ForgettingLeft } from '../src/db/lock-waits.ts';
import { deliveriesHeld, forgetPending, scheduleForgetting } from '../src/ingestion/forget.ts';
import { tickFailure } from '../src/ingestion/forget-left.ts';
import { until } from './destinations-receiver.ts';
import {
  deliveriesNaming,
  domainEvent,
  eventForm,
  forgetting,
  forgottenUser,
  whileHeld,
} from './forgetting.ts';
import { buildTestAnalytics } from './helper.ts';

/**
 * A row held by a transaction stuck mid-transaction (a replica frozen or cut off keeps its
 * backend until TCP gives up on it) made each step of a forgetting pass that met it wait out the
 * statement timeout, a minute: the pass's sweeps of dead letters, stored events and deliveries,
 * and the `user.deleted` handler's removal of the user's links. The tick (and the writer's lookup
 * of users being forgotten it refreshes) was held as long, and the deletion's request failed.
 * Now each waits ROW_LOCK_WAIT_MS (1 s) at most; the step is left for a later tick, whose pass
 * does it once the row is free, and the final pass keeps the mapping until every step was done.
 */

// The tests run the passes themselves; the app's own ticks (every 2 s) would do their work too.
const t = await buildTestAnalytics({}, { forgetting: { tickMs: 3_600_000 } });
const { send, linked, mapping, passContext, destinations } = forgetting(t);

/**
 * Past the wait (ROW_LOCK_WAIT_MS, 1 s) and the pass's own work, well short of the statement
 * timeout (60 s).
 */
const BOUND_MS = 4000;
/** How long a test waits for a step held by a row before calling it held for good. */
const GIVE_UP_MS = 10_000;

/** `work`'s outcome (what it resolved to, or its error) and how long it took, or 'still waiting'. */
async function timed(work: () => Promise<unknown>) {
  const started = Date.now();
  const outcome = await Promise.race([
    work().catch((e: unknown) => e),
    sleep(GIVE_UP_MS).then(() => 'still waiting'),
  ]);
  return { outcome, took: Date.now() - started };
}

/** The final pass (as if the grace time were over), timed. */
const finalPass = () => timed(() => forgetPending(passContext(), Date.now() + 11 * 60_000));

/** The step `code` failed fast, reported as left for a later tick (not as the table held). */
function leftFast(run: { outcome: unknown; took: number }, code: string) {
  const { outcome, took } = run;
  assert.ok(outcome instanceof Error, `${String(outcome)} after ${took} ms`);
  assert.equal((outcome as { code?: unknown }).code, code, outcome.message);
  assert.equal(deliveriesHeld(outcome), false, 'taken for destination_deliveries held');
  assert.ok(took < BOUND_MS, `waited ${took} ms`);
}

/** An event of `userId` in the PostgreSQL store (a seq no queue row has). */
const storedEvent = async (userId: string) => {
  const eventId = `main:${randomUUID()}`;
  await t.sql(
    `insert into events (seq, event_id, name, source, user_id, properties, occurred_at)
      values (-(extract(epoch from clock_timestamp()) * 1e6)::bigint, $1, 'post.updated', 'main',
        $2, '{}', now())`,
    [eventId, userId],
  );
  return eventId;
};

/** The mapping is gone once a pass ran with nothing held. */
async function finallyForgotten(userId: string) {
  await forgetPending(passContext(), Date.now() + 11 * 60_000);
  assert.equal(await mapping(userId), undefined, 'the final pass ran');
}

test('a dead letter a stuck transaction holds: the rewrite is left for a later tick, the mapping kept', async () => {
  const user = await forgottenUser(t);
  const [letter] = await t.sql(
    `insert into ingestion_dead_letters (queue_seq, kind, item, error)
      values (1, 'event', $1, 'refused') returning id`,
    [eventForm(user.userId, {})],
  );
  await storedEvent(user.userId);
  const run = await whileHeld(
    t,
    'select 1 from ingestion_dead_letters where id = $1 for update',
    [letter!.id],
    finalPass,
  );
  leftFast(run, 'dead_letters_left');
  assert.deepEqual(await linked(user.userId), [], 'the store pass went on');
  assert.notEqual(await mapping(user.userId), undefined, 'the mapping went, the id left behind');

  await finallyForgotten(user.userId);
  assert.deepEqual(
    await t.sql('select 1 from ingestion_dead_letters where lower(item) like $1', [
      `%${user.userId}%`,
    ]),
    [],
  );
});

test('a stored event a stuck transaction holds: the store pass is left for a later tick, the mapping kept', async () => {
  const user = await forgottenUser(t);
  const eventId = await storedEvent(user.userId);
  const run = await whileHeld(
    t,
    'select 1 from events where event_id = $1 for update',
    [eventId],
    finalPass,
  );
  leftFast(run, 'store_left');
  assert.notEqual(await mapping(user.userId), undefined, 'the mapping went, the id left behind');

  await finallyForgotten(user.userId);
  assert.deepEqual(await linked(user.userId), []);
});

test('a delivery a stuck transaction holds: its rewrite is left for a later tick, the final passes not paused', async () => {
  const user = await forgottenUser(t);
  const [delivery] = await t.sql(
    `insert into destination_deliveries (destination, event_id, event, payload)
      values ('crm', $1, 'post.updated', $2) returning id`,
    [`main:${randomUUID()}`, JSON.stringify({ userId: user.userId })],
  );
  const [eager, final] = await whileHeld(
    t,
    'select 1 from destination_deliveries where id = $1 for update',
    [delivery!.id],
    // A pass in the user's eager minute (its deliveries' part), then the final pass, whose sweep
    // before the table's lock meets the row.
    async () => [await timed(() => destinations.forget([user])), await finalPass()],
  );
  leftFast(eager!, 'deliveries_left');
  leftFast(final!, 'deliveries_left');
  assert.notEqual(await mapping(user.userId), undefined, 'the mapping went, the id left behind');

  await finallyForgotten(user.userId);
  assert.equal(await deliveriesNaming(t, 'crm', user.userId), 0);
});

/**
 * `userId` linked to an anonymous id, and deleted while a stuck batch holds that link's row:
 * accepted (202) all the same; how long the deletion took.
 */
async function deletedWhileLinkHeld(userId: string) {
  const anonymousId = randomUUID();
  await t.sql(
    `insert into identity_links (anonymous_id, user_id, via) values ($1, $2, 'identify')`,
    [anonymousId, userId],
  );
  const run = await whileHeld(
    t,
    'update identity_links set linked_at = now() where anonymous_id = $1',
    [anonymousId],
    () => timed(() => send([domainEvent('user.deleted', userId)])),
  );
  const answer = run.outcome as { statusCode?: number; body?: string };
  assert.equal(answer.statusCode, 202, `${answer.body ?? String(run.outcome)}`);
  return run;
}

test("a deletion whose user's link a stuck batch holds is accepted at once; a pass removes the link", async () => {
  const userId = randomUUID();
  const run = await deletedWhileLinkHeld(userId);
  assert.ok(run.took < BOUND_MS, `the deletion waited ${run.took} ms`);
  assert.notEqual(await mapping(userId), undefined, 'the deletion is noted');
  const links = () => t.sql('select 1 from identity_links where user_id = $1', [userId]);
  assert.equal((await links()).length, 1, 'the link the stuck batch held');

  // The batch gone, the next pass removes it (and the final one ends the user's forgetting).
  await forgetPending(passContext());
  assert.deepEqual(await links(), []);
  await finallyForgotten(userId);
});

test('a deletion whose link removal is left, its user no UUID: the link is still removed by a later tick', async () => {
  // The deletion is noted in the mapping that drives the passes only for a UUID: for any other
  // id (or, before, an event's user_id that differed from its payload's), a removal the
  // savepoint left had nothing to redo it but its own note: the link kept for good.
  const userId = `legacy-${randomUUID()}`;
  await deletedWhileLinkHeld(userId);
  assert.equal(await mapping(userId), undefined, 'no mapping: not a UUID');
  const links = () => t.sql('select 1 from identity_links where user_id = $1', [userId]);
  assert.equal((await links()).length, 1, 'the link the stuck batch held');

  await forgetPending(passContext());
  assert.deepEqual(await links(), [], 'the link the handler left, kept for good');
});

test("a dead letter held at a user's first pass past the eager minute: the next tick rewrites it, not the final pass", async () => {
  // Deleted two minutes ago, never passed over (a backlog of deletions, the service down).
  const user = { userId: randomUUID(), pseudonym: `deleted-${randomUUID()}` };
  await t.sql(
    `insert into forgotten_users (user_id, pseudonym, forgotten_at)
      values ($1, $2, now() - interval '2 minutes')`,
    [user.userId, user.pseudonym],
  );
  const [letter] = await t.sql(
    `insert into ingestion_dead_letters (queue_seq, kind, item, error)
      values (1, 'event', $1, 'refused') returning id`,
    [eventForm(user.userId, {})],
  );
  const run = await whileHeld(
    t,
    'select 1 from ingestion_dead_letters where id = $1 for update',
    [letter!.id],
    () => timed(() => forgetPending(passContext())),
  );
  leftFast(run, 'dead_letters_left');

  // The row free, a tick a little later (still in the grace time: no final pass).
  await forgetPending(passContext(), Date.now() + 6000);
  assert.deepEqual(
    await t.sql('select 1 from ingestion_dead_letters where id = $1 and lower(item) like $2', [
      letter!.id,
      `%${user.userId}%`,
    ]),
    [],
    'the pass was recorded as done: the id kept in the dead letter until the final pass',
  );
});

/**
 * A dead letter and a stored event of `userId`, each held by a stuck transaction while `during`
 * runs: a pass leaves two steps (dead letters, store).
 */
async function whileBothHeld<T>(userId: string, during: () => Promise<T>): Promise<T> {
  const [letter] = await t.sql(
    `insert into ingestion_dead_letters (queue_seq, kind, item, error)
      values (1, 'event', $1, 'refused') returning id`,
    [eventForm(userId, {})],
  );
  const eventId = await storedEvent(userId);
  return whileHeld(
    t,
    'select 1 from ingestion_dead_letters where id = $1 for update',
    [letter!.id],
    () => whileHeld(t, 'select 1 from events where event_id = $1 for update', [eventId], during),
  );
}

test('several steps left in one tick: what the tick reports names each of them', async () => {
  // A dead letter and a stored event, each held by a stuck transaction: the tick reported only
  // the first step left (the dead letters), and the log said nothing of the store pass.
  const user = await forgottenUser(t);
  const { outcome } = await whileBothHeld(user.userId, () =>
    timed(() => forgetPending(passContext())),
  );
  assert.ok(outcome instanceof Error, String(outcome));
  assert.match(outcome.message, /rewriting deleted users' dead letters failed: .*lock timeout/);
  assert.match(outcome.message, /rewriting deleted users' stored events failed: .*lock timeout/);
  assert.equal(deliveriesHeld(outcome), false, 'taken for destination_deliveries held');

  await finallyForgotten(user.userId);
});

test("several steps left in one tick: the worker's warning names each, and no user id", async () => {
  // Its `err` held each step's error (ForgettingFailures' `errors`), which pino writes out apart
  // (`aggregateErrors`) without the service's serializer, which cuts a failed query's parameters:
  // the ids the dead letters' and the store's sweeps were asked for were in the line.
  const user = await forgottenUser(t);
  // The worker's ticks on a stand-in for the app, its logger the services' (loggerOptions); its
  // first warning closes it, so that no later tick runs beside the final pass below.
  const logs = logCapture();
  const logger = pino(loggerOptions('analytics', 'info'), logs.stream);
  const hooks = new Map<string, () => Promise<void>>();
  const app = {
    log: {
      warn: (fields: object, message: string) => {
        logger.warn(fields, message);
        void hooks.get('onClose')!();
      },
    },
    addHook: (name: string, hook: () => Promise<void>) => hooks.set(name, hook),
  } as unknown as App;
  scheduleForgetting(app, passContext(), { tickMs: 20 });
  await whileBothHeld(user.userId, async () => {
    await hooks.get('onReady')!();
    await until(async () => logs.lines.length > 0, 'a tick that left both steps');
  });
  assert.equal(logs.lines.length, 1);
  const [line] = logs.lines.map((l) => JSON.parse(l));
  assert.equal(line.msg, 'unlinking deleted users failed; will retry');
  assert.match(line.err.message, /rewriting deleted users' dead letters failed: .*lock timeout/);
  assert.match(line.err.message, /rewriting deleted users' stored events failed: .*lock timeout/);
  assert.equal(line.err.code, 'forgetting_failures');
  assert.ok(!logs.text().includes(user.userId), logs.text());
  assert.ok(!logs.text().includes(user.pseudonym), 'the pseudonym the sweeps were given');

  await finallyForgotten(user.userId);
});

test("a final pass's wait for destination_deliveries that ran out, reported with a step left, still pauses the final passes", () => {
  const tableHeld = Object.assign(new Error('canceling statement due to lock timeout'), {
    code: '55P03',
  });
  const rowHeld = new ForgettingLeft('store_left', tableHeld);
  const both = tickFailure([tableHeld], { steps: [rowHeld], removals: new Map() });
  assert.ok(both instanceof Error);
  assert.match(both.message, /lock timeout; rewriting deleted users' stored events failed/);
  assert.equal(deliveriesHeld(both), true, 'the final passes pause');
  const stepsOnly = tickFailure([], {
    steps: [rowHeld, new ForgettingLeft('dead_letters_left', tableHeld)],
    removals: new Map(),
  });
  assert.equal(deliveriesHeld(stepsOnly), false, 'rows held: no pause');
});
