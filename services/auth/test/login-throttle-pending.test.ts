import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { createTestDatabase } from '@platform/testing';
import { Registry } from 'prom-client';
import { openDatabase } from '../src/db/index.ts';
import { createLoginThrottle, type ThrottleLimits } from '../src/throttle/service.ts';

// The throttle on its own, against PostgreSQL: what a request leaves behind between `check` and
// its verdict, and how long a refused one is held waiting for attempts still being checked.
const database = await createTestDatabase({
  migrations: path.resolve(import.meta.dirname, '../drizzle'),
});
const { db, close } = await openDatabase(database.url);
after(async () => {
  await close();
  await database.drop();
});

const SETTLE_MS = 3_000;
const throttleWith = (limits: Partial<ThrottleLimits>) =>
  createLoginThrottle(
    db,
    {
      perAccountAddress: 5,
      perAccount: 100,
      perAddress: 100,
      windowSeconds: 900,
      settleMs: SETTLE_MS,
      ...limits,
    },
    new Registry(),
  );

const unknown = async () => false;

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await run();
  return [result, performance.now() - started];
}

test('an attempt that throws inside check (knownAddress failing) leaves nothing pending', async () => {
  // Counted (as pending) under each key before knownAddress was asked, a throw there (its query
  // failing) left `pending` behind for good: every refusal on the account then waited the whole
  // settle time (3 s, polling PostgreSQL every 50 ms) for a verdict that never comes. Sent at
  // once, attempts pass the first look together and meet the account's limit while counting.
  const throttle = throttleWith({ perAccount: 1 });
  const account = 'user:throws-inside-check';
  const outcomes = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) =>
      throttle
        .check(account, `192.0.2.${10 + i}`, () => Promise.reject(new Error('connection lost')))
        .then(async (refusal) => {
          if (!refusal) await throttle.recordFailure(account, `192.0.2.${10 + i}`);
          return refusal;
        }),
    ),
  );
  const thrown = outcomes.filter((o) => o.status === 'rejected');
  assert.ok(thrown.length > 0, 'some attempts met the limit while counting');
  const left = await db.execute<{ pending: number; failures: number }>(
    `select coalesce(sum(pending), 0)::int as pending,
            coalesce(sum(failures) filter (where key like 'account:%'), 0)::int as failures
     from login_failures where key like '%throws-inside-check%'`,
  );
  assert.deepEqual(left.rows[0], { pending: 0, failures: 1 });
  const [refusal, elapsed] = await timed(() => throttle.check(account, '192.0.2.99', unknown));
  assert.equal(refusal?.scope, 'account');
  assert.ok(elapsed < SETTLE_MS / 2, `refused after ${Math.round(elapsed)} ms`);
});
