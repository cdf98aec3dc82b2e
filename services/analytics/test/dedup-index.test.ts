import assert from 'node:assert/strict';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { connect } from '@platform/db';
import { createTestDatabase } from '@platform/testing';
import { Registry } from 'prom-client';
import { type Db, schema } from '../src/db/index.ts';
import { createDedup, type Dedup, fingerprint } from '../src/ingestion/dedup.ts';
import { sql } from './helper.ts';

/**
 * The dedup index (dedup.ts) on real PostgreSQL, without the writer around it: replicas are
 * instances of their own on one database, each with its own pool and memory. Every id must be
 * won exactly once, whichever replica claims it, in whatever order, after rollbacks, prunes,
 * evictions and restarts.
 */

const migrations = path.resolve(import.meta.dirname, '../drizzle');

/** A migrated database of the test's own, and a pool per replica on it. */
async function database(t: TestContext) {
  const created = await createTestDatabase({ migrations });
  const pools: { close(): Promise<void> }[] = [];
  t.after(async () => {
    for (const p of pools) await p.close();
    await created.drop();
  });
  return {
    url: created.url,
    /** A replica's connection pool. */
    pool(): Db {
      const opened = connect(created.url, schema, { maxConnections: 8 });
      pools.push(opened);
      return opened.db;
    },
  };
}

/** Claims in a transaction of their own, as the writer does. */
const claim = async (db: Db, dedup: Dedup, claims: readonly string[]) =>
  pattern(await db.transaction(async (tx) => await dedup.claim(tx, claims)));

class Rollback extends Error {}
/** Claims in a transaction that then rolls back; resolves to what the claim answered in it. */
async function claimRolledBack(db: Db, dedup: Dedup, claims: readonly string[]) {
  let answer: boolean[] = [];
  await assert.rejects(
    db.transaction(async (tx) => {
      answer = await dedup.claim(tx, claims);
      throw new Rollback();
    }),
    Rollback,
  );
  return pattern(answer);
}

/** n fingerprints of keys named after `name`. */
const fps = (name: string, n: number) =>
  Array.from({ length: n }, (_, i) => fingerprint(`test:${name}:${i}`));
/** Claims of the fingerprints (the writer's, each of an event of its own). */
const byNew = (list: string[]): string[] => list;

/** Answers as text, one character a claim: W won, - lost. */
const pattern = (won: boolean[]) => won.map((w) => (w ? 'W' : '-')).join('');
const won = (n: number) => 'W'.repeat(n);
const lost = (n: number) => '-'.repeat(n);

async function metric(registry: Registry, name: string) {
  const found = registry.getSingleMetric(name);
  assert.ok(found, `${name} is registered`);
  return (await found.get()).values.reduce((n, v) => n + v.value, 0);
}

test('an id claimed on one replica is lost on the other, in either order', async (t) => {
  const pg = await database(t);
  const [dbA, dbB] = [pg.pool(), pg.pool()];
  const a = createDedup({ maxIds: 1_000_000 });
  const b = createDedup({ maxIds: 1_000_000 });
  const [first, second, third, fourth] = ['first', 'second', 'third', 'fourth'].map((n) =>
    fps(n, 50),
  ) as [string[], string[], string[], string[]];

  assert.deepEqual(await claim(dbA, a, byNew(first)), won(50));
  // B has read nothing yet: it catches up on A's block.
  assert.deepEqual(await claim(dbB, b, byNew(first)), lost(50));
  assert.deepEqual(await claim(dbB, b, byNew(second)), won(50));
  assert.deepEqual(await claim(dbA, a, byNew(second)), lost(50));
  // Both have caught up; what A claims now B must learn from A's block, not from its start.
  assert.deepEqual(await claim(dbA, a, byNew(third)), won(50));
  assert.deepEqual(await claim(dbB, b, byNew(third)), lost(50));
  // Taken and new ids in one claim, then the other way round.
  const mixed = [...third.slice(0, 10), ...fourth.slice(0, 10)];
  assert.deepEqual(await claim(dbB, b, byNew(mixed)), lost(10) + won(10));
  assert.deepEqual(await claim(dbA, a, byNew(fourth.slice(0, 20))), lost(10) + won(10));
  assert.deepEqual(await claim(dbB, b, byNew(fourth)), lost(20) + won(30));
  const accepted = fps('accepted', 5);
  assert.deepEqual(await claim(dbA, a, accepted), won(5));
  assert.deepEqual(await claim(dbB, b, accepted), lost(5));
  assert.deepEqual(await claim(dbA, a, accepted), lost(5));
});

test('claims of overlapping ids from two replicas at once win each id exactly once', async (t) => {
  const pg = await database(t);
  const replicas = [0, 1].map(() => ({ db: pg.pool(), dedup: createDedup({ maxIds: 1_000_000 }) }));
  const ids = fps('race', 300);
  const wins = new Map<string, number>(ids.map((fp) => [fp, 0]));
  const count = (claims: string[], answer: string) => {
    for (const [i, fp] of claims.entries()) {
      if (answer[i] === 'W') wins.set(fp, wins.get(fp)! + 1);
    }
  };
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let round = 0; round < 3; round += 1) {
    // Eight claims at once, four per replica, each of 150 of the ids in its own order and with
    // some of them twice.
    const calls = Array.from({ length: 8 }, (_, k) => {
      const some = [...ids].sort(() => rand() - 0.5).slice(0, 150);
      const claims = byNew([...some, ...some.slice(0, 10)].sort(() => rand() - 0.5));
      return { replica: replicas[k % 2]!, claims };
    });
    const answers = await Promise.all(
      calls.map(({ replica, claims }) => claim(replica.db, replica.dedup, claims)),
    );
    for (const [k, answer] of answers.entries()) count(calls[k]!.claims, answer);
  }
  // At the end both claim everything: whatever no call took is won now, once.
  for (const { db, dedup } of replicas) {
    const claims = byNew(ids);
    count(claims, await claim(db, dedup, claims));
  }
  const wrong = [...wins].filter(([, n]) => n !== 1);
  assert.deepEqual(wrong, [], 'ids won other than once');
});

test('a claim rolled back with its transaction leaves its ids free', async (t) => {
  const pg = await database(t);
  const [dbA, dbB] = [pg.pool(), pg.pool()];
  const a = createDedup({ maxIds: 1_000_000 });
  const b = createDedup({ maxIds: 1_000_000 });

  // A's memory holds them, PostgreSQL does not: A claims them again and wins, then B loses.
  const x = fps('rolled-back-a', 20);
  assert.deepEqual(await claimRolledBack(dbA, a, byNew(x)), won(20));
  assert.deepEqual(await claim(dbA, a, byNew(x)), won(20));
  assert.deepEqual(await claim(dbB, b, byNew(x)), lost(20));
  assert.deepEqual(await claim(dbA, a, byNew(x)), lost(20));

  // B's memory holds them under its rolled-back block; A wins them, and B then must see A's
  // block, not its own rolled-back one.
  const y = fps('rolled-back-b', 20);
  assert.deepEqual(await claimRolledBack(dbB, b, byNew(y)), won(20));
  assert.deepEqual(await claim(dbA, a, byNew(y)), won(20));
  assert.deepEqual(await claim(dbB, b, byNew(y)), lost(20));

  // Freed ids claimed twice in one call: the first copy wins, the second loses.
  const [z] = fps('rolled-back-twice', 1) as [string];
  await claimRolledBack(dbA, a, byNew([z]));
  assert.deepEqual(await claim(dbA, a, byNew([z, z])), 'W-');
  assert.deepEqual(await claim(dbB, b, byNew([z])), '-');
});

test('within one call the first copy of an id wins, on a new id and on one claimed before', async (t) => {
  const pg = await database(t);
  const [dbA, dbB] = [pg.pool(), pg.pool()];
  const a = createDedup({ maxIds: 1_000_000 });
  const b = createDedup({ maxIds: 1_000_000 });
  const [x, y] = fps('twice', 2) as [string, string];
  assert.deepEqual(await claim(dbA, a, [x, y, x, x]), 'WW--');
  assert.deepEqual(await claim(dbB, b, [y, x, y]), '---');
  assert.deepEqual(await claim(dbA, a, [x, y]), '--');
});

test('prune forgets old blocks on every replica and keeps recent ones', async (t) => {
  const pg = await database(t);
  const [dbA, dbB] = [pg.pool(), pg.pool()];
  const registry = new Registry();
  const a = createDedup({ maxIds: 1_000_000, metrics: registry });
  const b = createDedup({ maxIds: 1_000_000 });
  const oldA = fps('old-a', 30);
  const oldB = fps('old-b', 30);
  const recent = fps('recent', 30);
  assert.deepEqual(await claim(dbA, a, byNew(oldA)), won(30));
  assert.deepEqual(await claim(dbB, b, byNew(oldB)), won(30));
  assert.deepEqual(await claim(dbA, a, byNew(recent)), won(30));
  // B reads A's blocks: both remember all 90.
  assert.deepEqual(await claim(dbB, b, byNew(oldA)), lost(30));
  assert.equal(await metric(registry, 'analytics_dedup_ids'), 90);

  // The blocks of the old ids were claimed ten days ago.
  await sql(
    pg.url,
    `update message_id_blocks set created_at = now() - interval '10 days'
     where position($1 in fps) > 0 or position($2 in fps) > 0`,
    [oldA[0], oldB[0]],
  );
  await a.prune(dbA, new Date(Date.now() - 7 * 86_400_000));
  const left = await sql(pg.url, 'select fps from message_id_blocks');
  assert.deepEqual(
    left.map((r) => r.fps),
    [recent.join('')],
  );
  // A forgot them in memory too.
  assert.equal(await metric(registry, 'analytics_dedup_ids'), 30);

  assert.deepEqual(await claim(dbA, a, byNew(oldA)), won(30));
  assert.deepEqual(await claim(dbA, a, byNew(recent)), lost(30));
  // B did not prune: its memory still names the deleted blocks, which no longer hold them.
  assert.deepEqual(await claim(dbB, b, byNew(oldB)), won(30));
  assert.deepEqual(await claim(dbB, b, byNew(recent)), lost(30));
  // Claimed anew, they are taken again for both.
  assert.deepEqual(await claim(dbB, b, byNew(oldA)), lost(30));
  assert.deepEqual(await claim(dbA, a, byNew(oldB)), lost(30));
});

test('a block pruned out of number order is freed, its neighbours are not', async (t) => {
  // A block's time is its transaction's start: one that waited for the lock is numbered after
  // younger ones. Pruning it leaves older-numbered blocks, so memory still names it.
  const pg = await database(t);
  const db = pg.pool();
  const a = createDedup({ maxIds: 1_000_000 });
  const [before, middle, after] = ['before', 'middle', 'after'].map((n) => fps(n, 20)) as [
    string[],
    string[],
    string[],
  ];
  for (const list of [before, middle, after])
    assert.deepEqual(await claim(db, a, byNew(list)), won(20));
  await sql(
    pg.url,
    `update message_id_blocks set created_at = now() - interval '10 days'
     where position($1 in fps) > 0`,
    [middle[0]],
  );
  await a.prune(db, new Date(Date.now() - 7 * 86_400_000));
  const b = createDedup({ maxIds: 1_000_000 });
  assert.deepEqual(await claim(db, b, byNew(before)), lost(20));
  assert.deepEqual(
    await claim(db, a, byNew([...before, ...middle, ...after])),
    lost(20) + won(20) + lost(20),
  );
  assert.deepEqual(await claim(db, b, byNew(middle)), lost(20));
});

test('beyond DEDUP_MAX_IDS the oldest ids are forgotten first, and counted', async (t) => {
  const pg = await database(t);
  const [dbA, dbB] = [pg.pool(), pg.pool()];
  const registry = new Registry();
  const a = createDedup({ maxIds: 1000, metrics: registry });
  const batches = Array.from({ length: 6 }, (_, k) => fps(`evicted-${k}`, 400));
  for (const batch of batches) assert.deepEqual(await claim(dbA, a, byNew(batch)), won(400));
  // 400, 800, then before each further 400 the oldest remembered block goes: blocks 5 and 6 stay.
  assert.equal(await metric(registry, 'analytics_dedup_evicted_total'), 1600);
  assert.equal(await metric(registry, 'analytics_dedup_ids'), 800);

  assert.deepEqual(await claim(dbA, a, byNew(batches[5]!)), lost(400));
  // The window got shorter than DEDUP_DAYS: the first batch is won again.
  assert.deepEqual(await claim(dbA, a, byNew(batches[0]!)), won(400));
  assert.ok((await metric(registry, 'analytics_dedup_evicted_total')) >= 2000);
  assert.ok((await metric(registry, 'analytics_dedup_ids')) <= 1000);

  // A replica starting now reads every block and keeps within its bound as it goes.
  const bRegistry = new Registry();
  const b = createDedup({ maxIds: 1000, metrics: bRegistry });
  assert.deepEqual(await claim(dbB, b, byNew(batches[5]!.slice(0, 10))), lost(10));
  assert.deepEqual(await claim(dbB, b, byNew(batches[0]!.slice(0, 10))), lost(10));
  assert.deepEqual(await claim(dbB, b, byNew(batches[1]!.slice(0, 10))), won(10));
  assert.ok((await metric(bRegistry, 'analytics_dedup_evicted_total')) >= 1600);
  assert.ok((await metric(bRegistry, 'analytics_dedup_ids')) <= 1000);
});

test('a replica started later loses every id claimed before it', async (t) => {
  const pg = await database(t);
  const db = pg.pool();
  const a = createDedup({ maxIds: 1_000_000 });
  // More blocks than one catch-up read takes (100), one of them rolled back.
  const batches = Array.from({ length: 130 }, (_, k) => fps(`restart-${k}`, 5));
  for (const [k, batch] of batches.entries()) {
    if (k === 60) await claimRolledBack(db, a, byNew(fps('never', 5)));
    assert.deepEqual(await claim(db, a, byNew(batch)), won(5));
  }
  const registry = new Registry();
  const restarted = createDedup({ maxIds: 1_000_000, metrics: registry });
  assert.deepEqual(await claim(pg.pool(), restarted, byNew(batches.flat())), lost(650));
  assert.equal(await metric(registry, 'analytics_dedup_ids'), 650);
  assert.deepEqual(
    await claim(pg.pool(), restarted, byNew([...fps('never', 5), ...fps('new', 5)])),
    won(10),
  );
});
