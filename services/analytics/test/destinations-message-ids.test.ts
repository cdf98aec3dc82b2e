import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startReceiver, until } from './destinations-receiver.ts';
import { bearer, buildTestAnalytics, downStore, sql, writeKeyAuth } from './helper.ts';

/**
 * Events with a message id reach the destinations when the writer takes their id, once: not a
 * copy (another request, a Segment batch sent twice) and not again when the writer tries a failed
 * write once more. Events without one go as they are accepted.
 */

const receiver = await startReceiver(() => 200);
const destinations = JSON.stringify([
  { name: 'all', url: receiver.url('/all'), secret: 'whsec-test-0123456789abcdef' },
]);
const fast = { DESTINATIONS: destinations, DESTINATION_INTERVAL_MS: '20' };

/** Delivered bodies by messageId: how often each arrived. */
const counts = (path: string) => {
  const n = new Map<string, number>();
  for (const r of receiver.at(path)) {
    const id = String(r.body.messageId);
    n.set(id, (n.get(id) ?? 0) + 1);
  }
  return n;
};

test('copies of /track-event items and Segment messages are delivered once', async () => {
  const t = await buildTestAnalytics(fast);
  const user = await t.user();
  const track = (copy: number) =>
    t.app.inject({
      method: 'POST',
      url: '/analytics/v1/track-event',
      headers: bearer(user.accessToken),
      payload: {
        events: [
          { event: 'dest.keyed', message_id: 'm-1', properties: { copy } },
          { event: 'dest.keyed', message_id: 'm-2', properties: { copy } },
          { event: 'dest.plain', properties: { copy } },
        ],
      },
    });
  const basic = await writeKeyAuth(t);
  const segment = () =>
    t.app.inject({
      method: 'POST',
      url: '/analytics/v1/batch',
      headers: { authorization: basic },
      payload: {
        batch: [
          { type: 'track', event: 'Seg Keyed', userId: 'u-1', messageId: 'seg-1' },
          { type: 'identify', userId: 'u-1', traits: { plan: 'pro' }, messageId: 'seg-2' },
        ],
      },
    });
  for (const res of await Promise.all([track(1), track(2), segment(), segment()])) {
    assert.ok(res.statusCode < 300, res.body);
  }
  await t.drained();
  await Promise.all([track(3), segment()]);
  await t.drained();

  const events = await sql(
    t.databaseUrl,
    `select name, count(*)::int as n from events where name in ('dest.keyed', 'dest.plain', 'Seg Keyed', 'identify')
     group by name order by name`,
  );
  assert.deepEqual(
    events.map((r) => [r.name, r.n]),
    [
      ['Seg Keyed', 1],
      ['dest.keyed', 2],
      ['dest.plain', 3],
      ['identify', 1],
    ],
  );
  // Each stored event delivered, each once: the keyed ones by the writer, the plain ones at once.
  await until(() => receiver.at('/all').length >= 7, 'seven deliveries');
  await until(async () => {
    const [{ n }] = await sql(
      t.databaseUrl,
      'select count(*)::int as n from destination_deliveries',
    );
    return n === 0;
  }, 'the deliveries to settle');
  await sleep(200);
  const delivered = counts('/all');
  assert.equal(receiver.at('/all').length, 7, JSON.stringify([...delivered]));
  assert.ok([...delivered.values()].every((n) => n === 1));
  const names = receiver.at('/all').map((r) => String(r.body.event ?? r.body.type));
  assert.equal(names.filter((n) => n === 'dest.keyed').length, 2);
  assert.equal(names.filter((n) => n === 'dest.plain').length, 3);
});

test('a write tried again after the store failed does not deliver its events again', async () => {
  const { store, state } = downStore();
  const t = await buildTestAnalytics(
    { ...fast, DESTINATIONS: destinations.replace('/all', '/retry') },
    { store },
  );
  const user = await t.user();
  const res = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    headers: bearer(user.accessToken),
    payload: { events: [{ event: 'retry.keyed', message_id: 'r-1' }] },
  });
  assert.equal(res.statusCode, 202, res.body);
  // The writer claims the id (handing the event to the destination), then fails to write.
  await until(() => receiver.at('/retry').length === 1, 'the delivery');
  await sleep(600);
  state.down = false;
  await t.drained();
  assert.equal(state.written.length, 1);
  await sleep(200);
  assert.equal(receiver.at('/retry').length, 1);
});
