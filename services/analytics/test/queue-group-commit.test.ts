import assert from 'node:assert/strict';
import { syncBuiltinESMExports } from 'node:module';
import { test } from 'node:test';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import zlib from 'node:zlib';
import type { Db } from '../src/db/index.ts';
import { createPointNumbers } from '../src/ingestion/point-numbers.ts';
import { createQueue, storedText } from '../src/ingestion/queue.ts';
import type { NewRow } from '../src/ingestion/queue-rows.ts';
import { StoreUnavailable } from '../src/store/errors.ts';
import { buildTestAnalytics, eventsStore, sql } from './helper.ts';

/** The rows stay where these tests look for them: the writer finds its store down. */
const unreachable = () =>
  eventsStore('postgres', async () => {
    throw new StoreUnavailable('connect ECONNREFUSED');
  });

const row = (n: number): NewRow => ({
  kind: 'event',
  text: JSON.stringify([{ id: `row-${n}` }]),
  item: [{ id: `row-${n}` }],
});

/** The service's database, counting the statements the queue sends and failing the ones asked. */
function counted(db: Db, fail: (call: number) => boolean) {
  let calls = 0;
  const wrapped = {
    execute: (query: Parameters<Db['execute']>[0]) => {
      calls += 1;
      if (fail(calls)) return Promise.reject(new Error('connection terminated'));
      return db.execute(query);
    },
  } as unknown as Db;
  return { db: wrapped, calls: () => calls };
}

test('appends that arrive while an insert is in flight share the next insert, each in its order', async () => {
  const t = await buildTestAnalytics({}, { store: unreachable() });
  const database = counted(t.database.db, () => false);
  const queue = createQueue(database.db, createPointNumbers(t.database.db));
  const rows = await Promise.all([1, 2, 3, 4, 5].map((n) => queue.append(row(n))));
  // The first went at once; the four that came while it was in flight went together.
  assert.equal(database.calls(), 2);
  const stored = (await sql(
    t.databaseUrl,
    'select seq::float8 as seq, item, packed from queue',
  )) as { seq: number; item: string | null; packed: Buffer | null }[];
  const bySeq = new Map(stored.map((r) => [r.seq, storedText(r)]));
  for (const [i, r] of rows.entries()) {
    assert.equal(bySeq.get(r!.seq), row(i + 1).text, `append ${i + 1} got its own row`);
  }
  assert.deepEqual(
    rows.map((r) => r!.seq),
    [...rows.map((r) => r!.seq)].sort((a, b) => a - b),
  );
  assert.equal(await queue.append({ kind: 'event', text: '[]', item: [] }), undefined);
});

test('a failed insert fails every append in it, and only those', async () => {
  const t = await buildTestAnalytics({}, { store: unreachable() });
  const database = counted(t.database.db, (call) => call === 2);
  const queue = createQueue(database.db, createPointNumbers(t.database.db));
  const results = await Promise.allSettled([1, 2, 3].map((n) => queue.append(row(n))));
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'rejected'],
  );
  const stored = (await sql(t.databaseUrl, 'select item, packed from queue')) as {
    item: string | null;
    packed: Buffer | null;
  }[];
  assert.deepEqual(stored.map(storedText), [row(1).text]);
  // The queue goes on after a failure.
  const again = await queue.append(row(4));
  assert.ok(again && again.seq > 0);
});

test('appends that wait for the insert in flight are packed meanwhile, not after it', async () => {
  const t = await buildTestAnalytics({}, { store: unreachable() });
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let inserts = 0;
  const slow = {
    execute: async (query: Parameters<Db['execute']>[0]) => {
      inserts += 1;
      if (inserts === 1) await held;
      return t.database.db.execute(query);
    },
  } as unknown as Db;
  const queue = createQueue(slow, createPointNumbers(t.database.db));
  // Every Brotli compression, in line or on the thread pool (row-packing.ts packRowAsync).
  let packs = 0;
  const { brotliCompress, brotliCompressSync } = zlib;
  zlib.brotliCompressSync = ((...args: Parameters<typeof brotliCompressSync>) => {
    packs += 1;
    return brotliCompressSync(...args);
  }) as typeof brotliCompressSync;
  zlib.brotliCompress = ((...args: unknown[]) => {
    packs += 1;
    return (brotliCompress as (...a: unknown[]) => void)(...args);
  }) as typeof brotliCompress;
  syncBuiltinESMExports();
  try {
    const appends = [1, 2, 3].map((n) => queue.append(row(n)));
    // The first insert waits for a block of point numbers from PostgreSQL first.
    for (let wait = 0; wait < 500 && inserts === 0; wait += 1) await sleep(10);
    for (let turn = 0; turn < 5; turn += 1) await setImmediate();
    assert.equal(inserts, 1, 'the first insert is in flight');
    assert.equal(packs, 3, 'the two rows waiting for it are packed already');
    release();
    const rows = await Promise.all(appends);
    assert.equal(inserts, 2);
    const stored = (await sql(
      t.databaseUrl,
      'select seq::float8 as seq, item, packed from queue',
    )) as {
      seq: number;
      item: string | null;
      packed: Buffer | null;
    }[];
    const bySeq = new Map(stored.map((r) => [r.seq, storedText(r)]));
    for (const [i, r] of rows.entries()) assert.equal(bySeq.get(r!.seq), row(i + 1).text);
  } finally {
    zlib.brotliCompressSync = brotliCompressSync;
    zlib.brotliCompress = brotliCompress;
    syncBuiltinESMExports();
  }
});
