// What the forgetting tests (forget-*.test.ts) share: domain events sent as producers send them,
// the id → pseudonym mapping, what is still stored under an id, and forgetPending's context.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AnalyticsContext } from '../src/context.ts';
import { createDestinations } from '../src/destinations/index.ts';
import { createPostgresStore } from '../src/store/postgres.ts';
import type { Store } from '../src/store/types.ts';
import { until } from './destinations-receiver.ts';
import { bearer, serviceHeaders, type TestAnalytics, type TestUser } from './helper.ts';

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
