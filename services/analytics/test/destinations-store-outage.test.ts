import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startReceiver, until } from './destinations-receiver.ts';
import { bearer, buildTestAnalytics, eventsStore } from './helper.ts';

/**
 * Open (review, design): events with a message id reach the destinations only when the writer
 * claims their id, and while the store is down the writer's passes take the same oldest rows
 * again and again (WRITER_BATCH_SIZE / 250 rows each), so keyed events of later requests wait for
 * the store while events without an id are delivered at once. Before the writer claimed every id,
 * they were delivered as accepted. A fix: while the store is down, claim ahead (rows without a
 * `queue_claims` outcome, past the ones the failing passes hold), which hands them over and keeps
 * their outcome for when they are written. Marked todo until then.
 */

const receiver = await startReceiver(() => 200);

test('keyed events reach the destinations while the store is down', {
  todo: 'destinations wait for the store (review)',
}, async () => {
  const store = eventsStore('influxdb', async () => {
    throw new Error('connect ECONNREFUSED');
  });
  store.ping = async () => {
    throw new Error('connect ECONNREFUSED');
  };
  const t = await buildTestAnalytics(
    {
      DESTINATIONS: JSON.stringify([
        { name: 'all', url: receiver.url('/o'), secret: 'whsec-test-0123456789abcdef' },
      ]),
      DESTINATION_INTERVAL_MS: '20',
      // One row per pass: the second request's keyed event waits behind the first row.
      WRITER_BATCH_SIZE: '250',
    },
    { store },
  );
  const user = await t.user();
  for (let i = 0; i < 3; i += 1) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/analytics/v1/track-event',
      headers: bearer(user.accessToken),
      payload: { events: [{ event: 'o.keyed', message_id: `o-${i}` }, { event: 'o.plain' }] },
    });
    assert.equal(res.statusCode, 202);
  }
  const named = (name: string) => receiver.at('/o').filter((r) => r.body.event === name).length;
  await until(() => named('o.plain') === 3, 'the events without an id');
  await until(() => named('o.keyed') === 3, 'the keyed events', 5000);
});
