import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueuedEvent } from '../src/store/types.ts';
import { buildTestAnalytics, eventsStore } from './helper.ts';

test("a request's 202 is sent before the writer encodes its row, and the row still reaches the store", async () => {
  const order: string[] = [];
  const written: QueuedEvent[] = [];
  const store = eventsStore(
    'influxdb',
    async (events) => {
      written.push(...events);
    },
    { encodes: true },
  );
  const encode = store.encodeEvents!;
  store.encodeEvents = (events) => {
    order.push('encoded');
    return encode(events);
  };
  const t = await buildTestAnalytics(
    {},
    {
      store,
      beforeReady: (app) =>
        app.addHook('onSend', async (request, _reply, payload) => {
          if (request.url.endsWith('/track-event')) order.push('sent');
          return payload;
        }),
    },
  );
  const res = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    payload: { events: [{ event: 'a' }, { event: 'b' }] },
  });
  assert.equal(res.statusCode, 202, res.body);
  await t.drained();
  // Encoded from memory (once), after the answer went out; not read back from the queue.
  assert.deepEqual(order, ['sent', 'encoded']);
  assert.deepEqual(
    written.map((e) => e.event),
    ['a', 'b'],
  );
  assert.equal(store.encodedWrites, 1);
});
