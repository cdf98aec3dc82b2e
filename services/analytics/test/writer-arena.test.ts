import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import pino from 'pino';
import { createPointNumbers, numbered } from '../src/ingestion/point-numbers.ts';
import { insertRows } from '../src/ingestion/queue.ts';
import { type Row, trackedRow } from '../src/ingestion/queue-rows.ts';
import { createWriter } from '../src/ingestion/writer.ts';
import { createArena } from '../src/ingestion/writer-arena.ts';
import { createRowCache } from '../src/ingestion/writer-cache.ts';
import type { Store } from '../src/store/types.ts';
import { buildTestAnalytics, eventsStore } from './helper.ts';

test('the arena keeps each text as its UTF-8 bytes until it is given back', () => {
  const arena = createArena({ blockBytes: 64, maxBlocks: 2 });
  const a = arena.put('é-one')!;
  const b = arena.put('two ✓')!;
  assert.equal(a.bytes.toString(), 'é-one');
  assert.equal(b.bytes.toString(), 'two ✓');
  assert.equal(a.bytes.length, Buffer.byteLength('é-one'));
  // Too large for any block: the caller keeps the text itself.
  assert.equal(arena.put('x'.repeat(65)), undefined);
  // Two blocks in use, both holding a live text: no room for a third text.
  const c = arena.put('y'.repeat(60))!;
  assert.equal(arena.put('z'.repeat(60)), undefined);
  // A block is written over only once every text in it is given back.
  arena.free(a);
  assert.equal(arena.put('z'.repeat(60)), undefined);
  arena.free(b);
  const d = arena.put('z'.repeat(60))!;
  assert.equal(d.bytes.toString(), 'z'.repeat(60));
  assert.equal(c.bytes.toString(), 'y'.repeat(60));
  assert.equal(arena.blocks, 2);
});

test('the arena gives its spare blocks up when nothing is in it', () => {
  const arena = createArena({ blockBytes: 64, maxBlocks: 8 });
  const slices = Array.from({ length: 8 }, (_, i) => arena.put(String(i).repeat(40))!);
  assert.equal(arena.blocks, 8);
  for (const s of slices) arena.free(s);
  assert.ok(arena.blocks <= 2, `${arena.blocks} blocks kept while idle`);
  // And takes new ones again under load.
  const again = Array.from({ length: 8 }, (_, i) => arena.put(String(i).repeat(40)));
  assert.ok(again.every(Boolean));
});

/** A store that encodes a row's events as their names, one per line. */
const namesStore = {
  kind: 'influxdb',
  encodeEvents: (events: { event: string }[]) => events.map((e) => `${e.event}\n`).join(''),
  writeEncoded: async () => {},
} as unknown as Store;
const row = (seq: number, name: string): Row => ({
  seq,
  kind: 'event',
  item: [{ event: name }],
  point: seq,
});
const text = (cached: unknown) => String((cached as { body: string | Buffer }).body);

test('a row a pass still holds keeps its bytes when another pass forgets it', () => {
  // One block, room for one body: memory given back too early would be written over at once.
  const arena = createArena({ blockBytes: 48, maxBlocks: 1 });
  const cache = createRowCache({ store: namesStore, log: pino({ level: 'silent' }), arena });
  cache.remember(row(1, 'a'.repeat(40)));
  const held = cache.hold(1)!;
  assert.ok(Buffer.isBuffer((held as { body: unknown }).body), 'the body is kept in the arena');
  // Another pass finds the row done with (it is older than what that pass took) and forgets it.
  cache.forget(1);
  cache.remember(row(2, 'b'.repeat(40)));
  assert.equal(text(held), `${'a'.repeat(40)}\n`);
  const second = cache.hold(2)!;
  assert.equal(typeof (second as { body: unknown }).body, 'string', 'no room: kept as text');
  // The pass is done: the memory is used again.
  cache.release([held]);
  cache.remember(row(3, 'c'.repeat(40)));
  const third = cache.hold(3)!;
  assert.ok(Buffer.isBuffer((third as { body: unknown }).body));
  assert.equal(text(third), `${'c'.repeat(40)}\n`);
  assert.equal(text(second), `${'b'.repeat(40)}\n`);
});

test('a row two passes hold is given back after the second', () => {
  const arena = createArena({ blockBytes: 48, maxBlocks: 1 });
  const cache = createRowCache({ store: namesStore, log: pino({ level: 'silent' }), arena });
  cache.remember(row(1, 'a'.repeat(40)));
  const first = cache.hold(1)!;
  const again = cache.hold(1)!;
  cache.forget(1);
  cache.release([first]);
  cache.remember(row(2, 'b'.repeat(40)));
  assert.equal(text(again), `${'a'.repeat(40)}\n`);
  cache.release([again]);
  cache.remember(row(3, 'c'.repeat(40)));
  assert.ok(Buffer.isBuffer((cache.hold(3) as { body: unknown }).body));
});

/** A one-event `/track-event` row, queued as an append queues it. */
async function queueOne(
  db: Parameters<typeof insertRows>[0],
  points: ReturnType<typeof createPointNumbers>,
  event: string,
) {
  const row = trackedRow({ userId: null, receivedAt: Date.now(), idBase: randomUUID() }, [
    { event, anonymousId: 'anon-1', time: null, propertiesJson: '{}' },
  ]);
  const [queued] = await insertRows(db, await numbered([row], points));
  return queued!;
}

test('the writer gives back every body it wrote, and those of passes that failed', async () => {
  const t = await buildTestAnalytics();
  // This test's writer alone takes the rows.
  await t.app.close();
  const arena = createArena();
  let fail = true;
  const written: string[] = [];
  const store = eventsStore(
    'influxdb',
    async (events) => {
      if (fail) {
        fail = false;
        throw new Error('connect ECONNREFUSED');
      }
      written.push(...events.map((e) => e.event));
    },
    { encodes: true },
  );
  const writer = createWriter({
    db: t.database.db,
    store,
    config: { ...t.config, WRITER_MAX_BACKOFF_MS: 100 },
    log: pino({ level: 'silent' }),
    arena,
  });
  const points = createPointNumbers(t.database.db);
  for (let n = 0; n < 5; n += 1)
    writer.remember(await queueOne(t.database.db, points, `arena.${n}`));
  assert.equal(arena.live, 5, 'the bodies are kept in the arena');
  writer.start();
  await writer.drained();
  await writer.close();
  assert.deepEqual(written.sort(), ['arena.0', 'arena.1', 'arena.2', 'arena.3', 'arena.4']);
  assert.equal(arena.live, 0);
});

test('a pass holds its rows until its write is done, though another pass forgets them meanwhile', async () => {
  const t = await buildTestAnalytics();
  // This test's writer alone takes the rows.
  await t.app.close();
  // One block: memory given back before the write ends is written over by the next body.
  const arena = createArena({ blockBytes: 4096, maxBlocks: 1 });
  const name = (n: number, size: number) => `arena.${n}.${'é'.repeat(size)}`;
  let openGate = () => {};
  const gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
  let secondWritten = () => {};
  const second = new Promise<void>((resolve) => {
    secondWritten = resolve;
  });
  const written: string[] = [];
  const changed: string[] = [];
  const store = eventsStore(
    'influxdb',
    async (events) => {
      written.push(...events.map((e) => e.event));
    },
    { encodes: true },
  );
  store.writeEncoded = async (bodies) => {
    const before = bodies.map(String);
    // The first row's write is still in InfluxDB while the other pass takes, writes and
    // forgets the second row and a third row is remembered.
    if (before.some((b) => b.includes(name(1, 500)))) await gate;
    const after = bodies.map(String);
    if (after.join() !== before.join()) changed.push(before.join());
    for (const b of after)
      written.push(...(JSON.parse(b) as { event: string }[]).map((e) => e.event));
    if (before.some((b) => b.includes(name(2, 500)))) secondWritten();
  };
  // One row a pass: the two passes take one each.
  const writer = createWriter({
    db: t.database.db,
    store,
    config: { ...t.config, WRITER_BATCH_SIZE: 250 },
    log: pino({ level: 'silent' }),
    arena,
  });
  const points = createPointNumbers(t.database.db);
  const queue = async (n: number, size: number) =>
    writer.remember(await queueOne(t.database.db, points, name(n, size)));
  await queue(1, 500);
  await queue(2, 500);
  writer.start();
  // The pass that took the second row found the first one older than it: forgotten.
  await second;
  // Too large for what is left of the block: written over its start were it free.
  await queue(3, 1200);
  writer.wake();
  openGate();
  await writer.drained();
  await writer.close();
  assert.deepEqual(changed, [], 'a body was written over while its write was in flight');
  assert.deepEqual(written.sort(), [name(1, 500), name(2, 500), name(3, 1200)].sort());
  assert.equal(arena.live, 0);
});
