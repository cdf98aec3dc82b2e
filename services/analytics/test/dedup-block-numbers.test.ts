import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDedup, fingerprint } from '../src/ingestion/dedup.ts';
import { buildTestAnalytics, sql } from './helper.ts';

/**
 * Block numbers are 64-bit (bigserial); memory keeps 32 bits of them relative to a base, moved
 * up by prune. Without it a long-lived deployment (a block per Segment request) passes 2³² and
 * every number remembered wraps.
 */

const claimsOf = (keys: string[]): string[] => keys.map((k) => fingerprint(k));

test('ids stay claimed across block numbers past 2^32, and after prune moves the base', async () => {
  const t = await buildTestAnalytics();
  const db = t.database.db;
  const claim = (d: ReturnType<typeof createDedup>, claims: string[]) =>
    db.transaction((tx) => d.claim(tx, claims));
  const a = createDedup({ maxIds: 100_000 });
  const b = createDedup({ maxIds: 100_000 });

  assert.deepEqual(await claim(a, claimsOf(['k1'])), [true]);
  // Numbers jump past 2^31 (a deployment's years of Segment requests, a block each).
  await sql(t.databaseUrl, `select setval('message_id_blocks_id_seq', ${2 ** 31 + 10})`);
  assert.deepEqual(await claim(a, claimsOf(['k2'])), [true]);
  // k1's block leaves the window: prune moves A's base up to what remains.
  await sql(
    t.databaseUrl,
    `update message_id_blocks set created_at = now() - interval '10 days' where id < 1000`,
  );
  await a.prune(db, new Date(Date.now() - 86_400_000));
  assert.deepEqual(await claim(a, claimsOf(['k3'])), [true]);
  // Past 2^32: raw numbers would wrap in 32 bits.
  await sql(t.databaseUrl, `select setval('message_id_blocks_id_seq', ${2 ** 32 + 5})`);
  assert.deepEqual(await claim(b, claimsOf(['k4'])), [true]);
  assert.deepEqual(await claim(a, claimsOf(['k1', 'k2', 'k3', 'k4', 'k5'])), [
    true,
    false,
    false,
    false,
    true,
  ]);
  // A hit is checked against its block by number (it exists): k3 stays taken.
  assert.deepEqual(await claim(a, claimsOf(['k3'])), [false]);
  assert.deepEqual(await claim(b, claimsOf(['k1', 'k3', 'k5', 'k6'])), [false, false, false, true]);
  await a.prune(db, new Date(Date.now() - 86_400_000));
  assert.deepEqual(await claim(a, claimsOf(['k2', 'k4', 'k6', 'k8'])), [false, false, false, true]);
  // A fresh process starting past 2^32 reads them all.
  const c = createDedup({ maxIds: 100_000 });
  assert.deepEqual(await claim(c, claimsOf(['k1', 'k4', 'k6', 'k7'])), [false, false, false, true]);
});
