import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startInflux, type TestInflux } from '@platform/testing';
import { createInfluxStore } from '../src/store/influx.ts';
import { influxClient } from '../src/store/influx-client.ts';
import { sampleLine } from '../src/store/line-protocol.ts';
import type { QueuedSample } from '../src/store/types.ts';
import { memoryState } from './influx-memory-state.ts';
import { storeContract } from './store-contract.ts';

let influx: TestInflux;
let databases = 0;
before(async () => {
  influx = await startInflux();
});
after(() => influx.stop());

const store = (database: string, rollupState = memoryState()) =>
  createInfluxStore({ url: influx.url, database, retentionDays: 3650, rollupState });

storeContract('InfluxDB store', async () => {
  databases += 1;
  return store(`contract_${databases}`);
});

test('InfluxDB: samples written before rollups existed are answered from raw points until rolled up', async () => {
  const database = 'before_rollups';
  const hour = Math.floor(Date.now() / 3600_000) * 3600_000 - 3600_000;
  const sample = (seq: number, durationMs: number, time: number): QueuedSample => ({
    seq,
    service: 'main',
    route: '/r',
    method: 'GET',
    status: 200,
    durationMs,
    timestamp: new Date(time).toISOString(),
    requestId: null,
    userId: null,
    upstream: null,
  });
  const state = memoryState();
  const s = createInfluxStore({ url: influx.url, database, retentionDays: 1, rollupState: state });
  // The database and retention policy exist, and an older version wrote raw points only.
  await s.writeEvents([]);
  const old = influxClient({ url: influx.url, database });
  await old.write(Array.from({ length: 20 }, (_, i) => sampleLine(sample(i + 1, i + 1, hour))));

  const now = Date.now();
  const later = Math.ceil((now + 61_000) / 60_000) * 60_000;
  await s.writeSamples(Array.from({ length: 10 }, (_, i) => sample(100 + i, 5, later)));
  const coveredFrom = await state.load();
  assert.ok(coveredFrom && coveredFrom.getTime() > now && coveredFrom.getTime() <= later);
  const range = { from: new Date(hour), to: new Date(later + 60_000), intervalSeconds: 60 };
  const at = async (time: number) =>
    (await s.performance(range)).find((p) => p.time.getTime() === time);

  // Before the rollups' start: the exact nearest-rank percentiles of the raw points.
  const before = await at(hour);
  assert.deepEqual([before?.requests, before?.p50, before?.p99], [20, 10, 20]);
  // The job rolls up the new minute and, newest first, every older minute within retention.
  while ((await s.settle!()) > 0) {}
  const recent = await at(later);
  assert.equal(recent?.requests, 10);
  assert.ok(recent?.p50 && Math.abs(recent.p50 - 5) <= 0.5, String(recent?.p50));
  // Then the old minute comes from its rollup too: within the 10 % bound.
  assert.equal((await state.load())?.getTime(), 0);
  const rolled = await at(hour);
  assert.equal(rolled?.requests, 20);
  assert.ok(
    rolled?.p50 && rolled.p50 !== 10 && Math.abs(rolled.p50 - 10) <= 1,
    String(rolled?.p50),
  );
});

test('InfluxDB: a writer pass sends its bodies as pieces, byte for byte, multi-byte text included', async () => {
  const s = store('pieces');
  await s.init();
  const time = Date.now() - 60_000;
  const event = (seq: number, text: string) => ({
    seq,
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    event: 'piece.sent',
    source: 'client',
    userId: 'u-pieces',
    anonymousId: null,
    properties: { text },
    timestamp: new Date(time + seq).toISOString(),
  });
  // Pieces whose characters are 1 to 4 bytes each: the content-length undici sends is their
  // bytes, not their characters (a count in characters cut the body short or hung the write).
  const texts = ['plain', 'é à ü', '日本語のテキスト', '😀 emoji ✓'];
  const bodies = texts.map((t, i) => s.encodeEvents!([event(i + 1, t)]));
  await s.writeEncoded!(bodies);
  const { items } = await s.activity({
    userId: 'u-pieces',
    from: new Date(time - 1000),
    to: new Date(time + 60_000),
    limit: 10,
    oldestFirst: true,
  });
  assert.deepEqual(
    items.map((e) => e.properties.text),
    texts,
  );
});
