import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startReceiver, until } from './destinations-receiver.ts';
import { bearer, buildTestAnalytics, downStore } from './helper.ts';

/**
 * Events with a message id reach the destinations when the writer claims their id. While the
 * store is down the writer's passes take the same oldest rows again and again (WRITER_BATCH_SIZE
 * / 250 rows each), so the writer claims the later rows ahead (review: keyed events of later
 * requests waited for the store, while events without an id were delivered at once). Once the
 * store is back, each is written and delivered once.
 */

const receiver = await startReceiver(() => 200);

test('keyed events reach the destinations while the store is down, once', async () => {
  const { store, state } = downStore();
  const t = await buildTestAnalytics(
    {
      DESTINATIONS: JSON.stringify([
        { name: 'all', url: receiver.url('/o'), secret: 'whsec-test-0123456789abcdef' },
      ]),
      DESTINATION_INTERVAL_MS: '20',
      // One row per pass: the later requests' rows are beyond what the failing passes take.
      WRITER_BATCH_SIZE: '250',
    },
    { store },
  );
  const user = await t.user();
  const send = (i: number) =>
    t.app.inject({
      method: 'POST',
      url: '/analytics/v1/track-event',
      headers: bearer(user.accessToken),
      payload: { events: [{ event: 'o.keyed', message_id: `o-${i}` }, { event: 'o.plain' }] },
    });
  for (let i = 0; i < 3; i += 1) assert.equal((await send(i)).statusCode, 202);
  // A copy of the last one, queued while the store is down: never delivered.
  assert.equal((await send(2)).statusCode, 202);
  const named = (name: string) => receiver.at('/o').filter((r) => r.body.event === name);
  await until(() => named('o.plain').length === 4, 'the events without an id');
  await until(() => named('o.keyed').length === 3, 'the keyed events');

  state.down = false;
  await t.drained();
  assert.deepEqual(
    state.written
      .filter((e) => e.event === 'o.keyed')
      .map((e) => e.id)
      .sort(),
    named('o.keyed')
      .map((r) => String(r.body.messageId))
      .sort(),
  );
  await sleep(300);
  assert.equal(named('o.keyed').length, 3);
});
