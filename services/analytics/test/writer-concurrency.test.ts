import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPointNumbers } from '../src/ingestion/point-numbers.ts';
import { enqueueEvents } from '../src/ingestion/queue.ts';
import type { QueuedEvent } from '../src/store/types.ts';
import { buildTestAnalytics, eventsStore } from './helper.ts';

/** Stands in for InfluxDB (two passes in flight), a little slow, and records every write. */
function slowStore() {
  const written: QueuedEvent[] = [];
  const store = eventsStore('influxdb', async (events) => {
    await sleep(3);
    written.push(...events.map((e) => ({ ...e })));
  });
  return { store, written };
}

test('passes side by side write every queued event, whether the writer remembers its row or not', async () => {
  const slow = slowStore();
  const t = await buildTestAnalytics({ WRITER_INTERVAL_MS: '10' }, { store: slow.store });
  const ids: string[] = [];
  // The other replica's point numbers.
  const points = createPointNumbers(t.database.db);
  for (let k = 0; k < 60; k += 1) {
    if (k % 2 === 0) {
      // Queued by another replica: this writer reads the row from the table.
      const id = `other:${k}`;
      await enqueueEvents(
        t.database.db,
        [
          {
            id,
            event: 'other.replica',
            source: 'other',
            userId: null,
            anonymousId: null,
            properties: { pad: 'x'.repeat(4000) },
            timestamp: new Date().toISOString(),
          },
        ],
        await points.take(1),
      );
      ids.push(id);
    } else {
      const res = await t.app.inject({
        method: 'POST',
        url: '/analytics/v1/track-event',
        payload: { events: [{ event: 'this.replica' }, { event: 'this.replica' }] },
      });
      assert.equal(res.statusCode, 202, res.body);
      ids.push(...res.json().ids);
    }
  }
  await t.drained();
  const written = new Set(slow.written.map((e) => e.id));
  assert.deepEqual(
    ids.filter((id) => !written.has(id)),
    [],
    'accepted but never written',
  );
});
