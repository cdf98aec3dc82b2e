// What the forgetting tests (forget-*.test.ts) share: domain events sent as producers send them,
// a forgotten user, the id → pseudonym mapping, what is still stored under an id, forgetPending's
// context, and the final pass's lock on destination_deliveries.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql as drizzleSql } from 'drizzle-orm';
import pg from 'pg';
import type { AnalyticsContext } from '../src/context.ts';
import type { Db } from '../src/db/index.ts';
import { unlinkDeliveriesFinally } from '../src/destinations/forget.ts';
import { createDestinations } from '../src/destinations/index.ts';
import { createPostgresStore } from '../src/store/postgres.ts';
import type { Store } from '../src/store/types.ts';
import { until } from './destinations-receiver.ts';
import { bearer, serviceHeaders, sql, type TestAnalytics, type TestUser } from './helper.ts';

/** A domain event of `userId` as a producer's outbox sends it (by default naming them). */
export const domainEvent = (
  type: string,
  userId: string,
  payload: object = { user_id: userId },
) => ({
  id: `auth:${randomUUID()}`,
  type,
  occurred_at: new Date().toISOString(),
  user_id: userId,
  payload,
});

/** A dead letter's text in the `event` form: `userId`'s post.updated with these properties. */
export const eventForm = (userId: string, properties: object) =>
  JSON.stringify([
    {
      id: `main:${randomUUID()}`,
      event: 'post.updated',
      source: 'main',
      userId,
      anonymousId: null,
      properties: JSON.stringify(properties),
      timestamp: new Date().toISOString(),
    },
  ]);

/** The forgetting tests' helpers, on the service `t`. */
export function forgetting(t: TestAnalytics) {
  /** Domain events to /internal/events, whatever it answers. */
  const send = (events: object[]) =>
    t.app.inject({
      method: 'POST',
      url: '/internal/events',
      headers: serviceHeaders,
      payload: { events },
    });
  const destinations = createDestinations({ config: t.config, db: t.database.db, log: t.app.log });
  return {
    send,
    /** `/track-event` from `user` (their token): accepted (202), or the test fails. */
    async track(user: TestUser, payload: object) {
      const answer = await t.app.inject({
        method: 'POST',
        url: '/analytics/v1/track-event',
        headers: bearer(user.accessToken),
        payload,
      });
      assert.equal(answer.statusCode, 202, answer.body);
      return answer;
    },
    /** Domain events to /internal/events: accepted (202), or the test fails. */
    async deliver(events: object[]) {
      const answer = await send(events);
      assert.equal(answer.statusCode, 202, answer.body);
      return answer;
    },
    /**
     * The stored events that still hold `userId`, as their user or in their properties, in any
     * case (a UUID upper-cased by a client is still the id).
     */
    linked: (userId: string) =>
      t.sql(
        'select event_id from events where lower(user_id) = $1 or lower(properties::text) like $2',
        [userId.toLowerCase(), `%${userId.toLowerCase()}%`],
      ),
    /** The user's pseudonym while the mapping is kept. */
    mapping: async (userId: string) =>
      (await t.sql('select pseudonym from forgotten_users where user_id = $1', [userId]))[0]
        ?.pseudonym as string | undefined,
    /** Puts the deletion (and its last pass) past the grace time, as if ten minutes had gone by. */
    pastGrace: (userId: string) =>
      t.sql(
        `update forgotten_users set forgotten_at = now() - interval '11 minutes',
           last_pass_at = now() - interval '11 minutes' where user_id = $1`,
        [userId],
      ),
    /** Resolves once a forgetting pass (the app's own ticks') has gone over each of these users. */
    passed: (userIds: string[]) =>
      until(
        async () =>
          (
            await t.sql(
              'select 1 from forgotten_users where user_id = any($1) and last_pass_at is not null',
              [userIds],
            )
          ).length === userIds.length,
        'a forgetting pass over each user',
      ),
    /** The destinations' part of a pass (their deliveries rewritten), on the test database. */
    destinations,
    /**
     * forgetPending's context as a test drives it: the test database, its destinations, and the
     * PostgreSQL store on it (or `store`).
     */
    passContext: (store?: Pick<Store, 'forgetUsers'>) =>
      ({
        db: t.database.db,
        destinations,
        store: store ?? createPostgresStore(t.database.db),
      }) as unknown as AnalyticsContext,
  };
}

/**
 * A user being forgotten (a row of forgotten_users, a new id and pseudonym): deleted now and not
 * passed over yet, or deleted and last passed over these many minutes ago (`ago`).
 */
export async function forgottenUser(
  t: TestAnalytics,
  ago?: { forgotten: number; passed: number },
  userId: string = randomUUID(),
) {
  const pseudonym = `deleted-${randomUUID()}`;
  await (ago
    ? sql(
        t.databaseUrl,
        `insert into forgotten_users (user_id, pseudonym, forgotten_at, last_pass_at)
          values ($1, $2, now() - make_interval(mins => $3), now() - make_interval(mins => $4))`,
        [userId, pseudonym, ago.forgotten, ago.passed],
      )
    : sql(t.databaseUrl, 'insert into forgotten_users (user_id, pseudonym) values ($1, $2)', [
        userId,
        pseudonym,
      ]));
  return { userId, pseudonym };
}

/**
 * A final pass's lock request waiting on destination_deliveries (pg_stat_activity), in the
 * database it is asked in: the other test files' passes run on the same server.
 */
export const LOCK_WAITS = `select 1 from pg_stat_activity
  where datname = current_database() and wait_event_type = 'Lock'
    and query ilike 'lock table destination_deliveries%'`;

/** Whether a final pass waits for destination_deliveries' lock in `t`'s database. */
export const passWaitsForLock = async (t: TestAnalytics) =>
  (await sql(t.databaseUrl, LOCK_WAITS)).length > 0;

const insertDelivery = `insert into destination_deliveries (destination, event_id, event, payload)
  values ($1, $2, 'post.updated', '{}')`;

/**
 * Runs `during` while a transaction that wrote a delivery (to `destination`) stays open, holding
 * destination_deliveries as one stuck mid-transaction would; rolled back once `during` is over.
 */
export const whileDeliveriesHeld = <T>(
  t: TestAnalytics,
  destination: string,
  during: () => Promise<T>,
): Promise<T> => whileHeld(t, insertDelivery, [destination, `main:${randomUUID()}`], during);

/**
 * Runs `during` while a transaction on a connection of its own that ran `statement` (a row it
 * locks, a table it writes) stays open, as one stuck mid-transaction would; rolled back once
 * `during` is over.
 */
export async function whileHeld<T>(
  t: TestAnalytics,
  statement: string,
  params: unknown[],
  during: () => Promise<T>,
): Promise<T> {
  const stuck = new pg.Client({ connectionString: t.databaseUrl });
  await stuck.connect();
  try {
    await stuck.query('begin');
    await stuck.query(statement, params);
    return await during();
  } finally {
    await stuck.query('rollback').catch(() => {});
    await stuck.end();
  }
}

/** How long (ms) a write of a delivery (to `destination`) takes, on a connection of its own. */
export async function deliveryWriteMs(t: TestAnalytics, destination: string) {
  const writer = new pg.Client({ connectionString: t.databaseUrl });
  await writer.connect();
  try {
    const started = Date.now();
    await writer.query(insertDelivery, [destination, `main:${randomUUID()}`]);
    return Date.now() - started;
  } finally {
    await writer.end();
  }
}

/**
 * A final pass over `user`'s deliveries on `db` (unlinkDeliveriesFinally); resolves to how many
 * rows it rewrote under its lock: those whose xmin is the locking transaction's id (a fresh
 * cluster's epoch is 0).
 */
export async function rewrittenUnderLock(db: Db, user: { userId: string; pseudonym: string }) {
  let underLock = -1;
  await unlinkDeliveriesFinally(db, [user], async (tx) => {
    const { rows } = await tx.execute<{ n: number }>(
      drizzleSql`select count(*)::int as n from destination_deliveries
        where xmin = (txid_current() % 4294967296)::text::xid`,
    );
    underLock = rows[0]!.n;
  });
  return underLock;
}

/** How many deliveries to `destination` still name `userId`. */
export async function deliveriesNaming(t: TestAnalytics, destination: string, userId: string) {
  const [row] = await sql(
    t.databaseUrl,
    `select count(*)::int as n from destination_deliveries
      where destination = $1 and payload::text like $2`,
    [destination, `%${userId}%`],
  );
  return row?.n as number | undefined;
}

/**
 * A final pass played by hand between the two reads of a dead-letter listing (`list`): with
 * forgotten_users locked, the listing is sent and its lookup of the page's users (`= any(`, in
 * no transaction that wrote: the destination worker's claims do) waits for the lock; then `pass`
 * rewrites and deletes the mapping, and commits. Another waiting lookup taken for the listing's
 * could only let a test pass early, never fail. The listing's answer.
 */
export async function finalPassDuringLookup<R>(
  t: TestAnalytics,
  list: () => Promise<R>,
  pass: (client: pg.Client) => Promise<void>,
): Promise<R> {
  const client = new pg.Client({ connectionString: t.databaseUrl });
  await client.connect();
  try {
    await client.query('begin');
    await client.query('lock table forgotten_users in access exclusive mode');
    // Sent now: an inject is sent once awaited or `then`ed.
    const listing = Promise.resolve(list());
    // Not on `client`: within a transaction pg_stat_activity stays as first read.
    const lookupWaits = `select 1 from pg_stat_activity where datname = current_database()
      and wait_event_type = 'Lock' and query ilike 'select%forgotten_users%= any(%'
      and backend_xid is null`;
    await until(
      async () => (await sql(t.databaseUrl, lookupWaits)).length > 0,
      "the listing's lookup waits for the lock",
    );
    await pass(client);
    await client.query('commit');
    return await listing;
  } finally {
    await client.query('rollback').catch(() => {});
    await client.end();
  }
}
