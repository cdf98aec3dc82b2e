import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { createTestDatabase } from '@platform/testing';
import { Registry } from 'prom-client';
import { readConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/index.ts';
import { createDedup, fingerprint } from '../src/ingestion/dedup.ts';
import { createFingerprints } from '../src/ingestion/fingerprints.ts';

/**
 * Past DEDUP_MAX_IDS a replica forgets the oldest quarter of the ids it remembers, cut by ids
 * (review): cut by block numbers, claims whose ids all lost (copies: a number drawn, no block
 * written) stretched the numbers, so a quarter of them held nearly every id remembered.
 */

test('blockAtRank names the block of the nth oldest fingerprint', () => {
  const memory = createFingerprints();
  const blocks: number[] = [];
  let seed = 7;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  for (let i = 0; i < 5000; i += 1) {
    // Blocks across both 16-bit halves, many fingerprints sharing one.
    const block = 1 + (next() % 3 === 0 ? next() % 200_000 : next() % 50);
    memory.set(next(), next(), block);
    blocks.push(block);
  }
  blocks.sort((a, b) => a - b);
  for (const rank of [1, 2, 17, 1250, 2500, 4999, 5000]) {
    assert.equal(memory.blockAtRank(rank), blocks[rank - 1], `rank ${rank}`);
  }
});

test('an eviction forgets a quarter of the ids, however the block numbers are spread', async (t) => {
  const created = await createTestDatabase({
    migrations: path.resolve(import.meta.dirname, '../drizzle'),
  });
  const database = await openDatabase(created.url);
  t.after(async () => {
    await database.close();
    await created.drop();
  });
  const registry = new Registry();
  const dedup = createDedup({ maxIds: 1000, metrics: registry });
  const claim = (fps: string[]) => database.db.transaction((tx) => dedup.claim(tx, fps));
  const fps = (name: string, n: number) =>
    Array.from({ length: n }, (_, i) => fingerprint(`test:${name}:${i}`));
  // 900 ids in 50 blocks, then 1000 claims of copies only (numbers drawn, no blocks), then 99.
  const old = Array.from({ length: 50 }, (_, k) => fps(`old-${k}`, 18));
  for (const batch of old) await claim(batch);
  for (let k = 0; k < 1000; k += 1) await claim(old[0]!.slice(0, 1));
  for (let k = 0; k < 99; k += 1) await claim(fps(`new-${k}`, 1));
  // Ten more: room is made for them.
  await claim(fps('more', 10));
  const evicted = (await registry.getSingleMetric('analytics_dedup_evicted_total')!.get())
    .values[0]!.value;
  // A quarter of 999 is 250: whole blocks of 18, so 252 (before: every one of the 900 old ids).
  assert.equal(evicted, 252);
  // The newest old blocks are still remembered, the oldest forgotten (the window got shorter).
  assert.deepEqual(await claim(old[49]!), Array(18).fill(false));
  assert.deepEqual(await claim(old[0]!.slice(1)), Array(17).fill(true));
});

test('DEDUP_MAX_IDS below WRITER_BATCH_SIZE is a configuration error, naming both', () => {
  const base = {
    DATABASE_URL: 'postgres://u@127.0.0.1:5432/analytics',
    AUTH_URL: 'http://127.0.0.1:8081',
    SERVICE_TOKEN: 'a-service-token-of-32-characters-x',
  };
  assert.throws(
    () => readConfig({ ...base, DEDUP_MAX_IDS: '4999' }),
    (error: Error) =>
      error.name === 'ConfigError' && /DEDUP_MAX_IDS.*WRITER_BATCH_SIZE/.test(error.message),
  );
  assert.equal(
    readConfig({ ...base, DEDUP_MAX_IDS: '1000', WRITER_BATCH_SIZE: '1000' }).DEDUP_MAX_IDS,
    1000,
  );
});
