import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreRejected } from '../src/store/errors.ts';
import type { QueuedEvent, Store } from '../src/store/types.ts';
import { buildTestAnalytics, eventsStore, sql } from './helper.ts';

/**
 * A store that fails like a down server `outages` times, and refuses events named `poison`;
 * `encodes`: it also takes events encoded as they are accepted (Store.encodeEvents).
 */
function flakyStore(encodes: boolean): {
  store: Store & { encodedWrites: number };
  calls: () => number;
  written: QueuedEvent[];
} {
  let calls = 0;
  let outages = 3;
  const written: QueuedEvent[] = [];
  const store = eventsStore(
    'postgres',
    async (events) => {
      calls += 1;
      if (outages > 0) {
        outages -= 1;
        throw new Error('connect ECONNREFUSED');
      }
      if (events.some((e) => e.event === 'poison')) throw new StoreRejected('field type conflict');
      for (const e of events) if (!written.some((w) => w.seq === e.seq)) written.push(e);
    },
    { encodes },
  );
  return { store, calls: () => calls, written };
}

for (const encodes of [false, true]) {
  const form = encodes ? 'encoded as accepted' : 'as items';
  test(`the writer retries a failing store, and parks only the items it refuses (${form})`, async () => {
    const flaky = flakyStore(encodes);
    const t = await buildTestAnalytics({}, { store: flaky.store });
    const res = await t.app.inject({
      method: 'POST',
      url: '/analytics/v1/track-event',
      payload: {
        events: [
          { event: 'ok.one' },
          { event: 'poison' },
          { event: 'ok.two' },
          { event: 'ok.three' },
        ],
      },
    });
    assert.equal(res.statusCode, 202);
    for (let i = 0; i < 200 && flaky.written.length < 3; i += 1) await sleep(50);
    assert.deepEqual(
      flaky.written.map((e) => e.event),
      ['ok.one', 'ok.two', 'ok.three'],
    );
    assert.ok(flaky.calls() > 4, 'retried after the outage, then split the refused batch');
    // The refused event stays queued (parked for later), the written ones are gone.
    let rows: { item: ({ event: string } | null)[]; attempts: number }[] = [];
    for (let i = 0; i < 100; i += 1) {
      rows = (await sql(
        t.databaseUrl,
        'select item::json as item, attempts from queue',
      )) as typeof rows;
      if (rows[0]?.attempts === 1) break;
      await sleep(50);
    }
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.attempts, 1);
    assert.deepEqual(
      rows[0]?.item.map((i) => i?.event ?? null),
      [null, 'poison', null, null],
    );
    // Encoded, the refused body sent the row back to the item path that found the poison.
    assert.equal(flaky.store.encodedWrites > 0, encodes);
  });
}
