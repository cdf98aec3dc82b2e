import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreRejected, StoreUnavailable } from '../src/store/errors.ts';
import type { QueuedEvent, Store } from '../src/store/types.ts';
import { until } from './destinations-receiver.ts';
import { bearer, buildTestAnalytics, eventsStore, type TestAnalytics } from './helper.ts';

/**
 * A store that fails like a down server `outages` times, and refuses events named `poison`
 * while `refusing`; `encodes`: it also takes events encoded as they are accepted
 * (Store.encodeEvents).
 */
function flakyStore(encodes: boolean) {
  let calls = 0;
  let outages = 3;
  const state = { refusing: true };
  const written: QueuedEvent[] = [];
  const store = eventsStore(
    'postgres',
    async (events) => {
      calls += 1;
      if (outages > 0) {
        outages -= 1;
        throw new StoreUnavailable('connect ECONNREFUSED');
      }
      if (state.refusing && events.some((e) => e.event === 'poison')) {
        throw new StoreRejected('field type conflict');
      }
      for (const e of events) if (!written.some((w) => w.seq === e.seq)) written.push(e);
    },
    { encodes },
  );
  return { store, calls: () => calls, written, state };
}

const track = (t: { app: TestAnalytics['app'] }, events: object[]) =>
  t.app.inject({ method: 'POST', url: '/analytics/v1/track-event', payload: { events } });

async function deadLetters(t: TestAnalytics) {
  const res = await t.app.inject({
    url: '/analytics/v1/ingestion/dead-letters',
    headers: bearer(t.adminToken),
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().items as { id: string; payload: { event: string }[]; error: string }[];
}

for (const encodes of [false, true]) {
  const form = encodes ? 'encoded as accepted' : 'as items';
  test(`the writer retries a store that is down, and sets aside only the items it refuses (${form})`, async () => {
    const flaky = flakyStore(encodes);
    const t = await buildTestAnalytics({}, { store: flaky.store });
    const res = await track(t, [
      { event: 'ok.one' },
      { event: 'poison' },
      { event: 'ok.two' },
      { event: 'ok.three' },
    ]);
    assert.equal(res.statusCode, 202);
    await until(() => flaky.written.length === 3, 'the three good events');
    assert.deepEqual(
      flaky.written.map((e) => e.event),
      ['ok.one', 'ok.two', 'ok.three'],
    );
    assert.ok(flaky.calls() > 4, 'retried after the outage, then split the refused batch');
    // The refused event is a dead letter, and the queue is empty.
    const dead = await until(async () => {
      const items = await deadLetters(t);
      return items.length === 1 && items;
    }, 'the dead letter');
    assert.deepEqual(
      dead[0]!.payload.map((i) => i.event),
      ['poison'],
    );
    assert.equal(dead[0]!.error, 'field type conflict');
    await t.drained();
    // Encoded, the refused body sent the row back to the item path that found the poison.
    assert.equal(flaky.store.encodedWrites > 0, encodes);

    // Once the store takes it, a replayed dead letter is written like any event.
    flaky.state.refusing = false;
    const replay = await t.app.inject({
      method: 'POST',
      url: `/analytics/v1/ingestion/dead-letters/${dead[0]!.id}/replay`,
      headers: bearer(t.adminToken),
    });
    assert.equal(replay.statusCode, 202, replay.body);
    await until(() => flaky.written.some((e) => e.event === 'poison'), 'the replayed event');
    assert.deepEqual(await deadLetters(t), []);
  });
}

/** A store whose writes fail with a plain error while `down`, and that then fails its ping. */
function silentStore(fails: (events: QueuedEvent[]) => boolean) {
  const written: string[] = [];
  let failures = 0;
  const state = { down: true, pingable: false };
  const store: Store = {
    ...eventsStore('postgres', async (events) => {
      if (fails(events) || state.down) {
        failures += 1;
        throw new TypeError('something went wrong');
      }
      written.push(...events.map((e) => e.event));
    }),
    ping: async () => {
      if (!state.pingable) throw new Error('connect ECONNREFUSED');
    },
  };
  return { store, written, state, failures: () => failures };
}

test('a store failing without saying why while it does not answer is down: nothing is set aside', async () => {
  const silent = silentStore(() => false);
  const t = await buildTestAnalytics({}, { store: silent.store });
  assert.equal((await track(t, [{ event: 'a' }, { event: 'b' }])).statusCode, 202);
  await until(() => silent.failures() >= 3, 'a few failed writes');
  silent.state.down = false;
  silent.state.pingable = true;
  await until(() => silent.written.length === 2, 'both events');
  assert.deepEqual(silent.written, ['a', 'b']);
  assert.deepEqual(await deadLetters(t), []);
});

test('a store failing without saying why while it answers: only the item it fails on is set aside', async () => {
  const silent = silentStore((events) => events.some((e) => e.event === 'odd'));
  silent.state.down = false;
  silent.state.pingable = true;
  const t = await buildTestAnalytics({}, { store: silent.store });
  const res = await track(t, [{ event: 'a' }, { event: 'odd' }, { event: 'b' }, { event: 'c' }]);
  assert.equal(res.statusCode, 202);
  const dead = await until(async () => {
    const items = await deadLetters(t);
    return items.length === 1 && items;
  }, 'the dead letter');
  assert.equal(dead[0]!.payload[0]!.event, 'odd');
  assert.equal(dead[0]!.error, 'something went wrong');
  await t.drained();
  assert.deepEqual(silent.written.sort(), ['a', 'b', 'c']);
});
