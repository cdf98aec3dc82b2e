import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { createTestDatabase } from '@platform/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import { openDatabase } from '../src/db/index.ts';
import { createLoginThrottle, type ThrottleLimits } from '../src/throttle/service.ts';

// The throttle on its own, against PostgreSQL: how long a lock lasts. A lock runs the full
// window from when its limit was hit, so it outlives the window it was set in; only attempts
// spared from it (an account's known address) are counted meanwhile. Times are moved in the
// table, not waited out.
const database = await createTestDatabase({
  migrations: path.resolve(import.meta.dirname, '../drizzle'),
});
const { db, close } = await openDatabase(database.url);
after(async () => {
  await close();
  await database.drop();
});

const WINDOW = 900;
const throttleWith = (limits: Partial<ThrottleLimits>) =>
  createLoginThrottle(
    db,
    {
      perAccountAddress: 100,
      perAccount: 100,
      perAddress: 100,
      windowSeconds: WINDOW,
      settleMs: 3_000,
      ...limits,
    },
    new Registry(),
    pino({ level: 'silent' }),
  );

const unknown = async () => false;
const known = async () => true;

/** Seconds the lock of `key` still runs (0: none), as PostgreSQL sees it. */
async function lockLeft(key: string): Promise<number> {
  const { rows } = await db.execute<{ left: number }>(
    `select coalesce(extract(epoch from greatest(locked_until - now(), interval '0')), 0)::float8
       as left from login_failures where key = '${key}'`,
  );
  return rows[0]?.left ?? 0;
}

/** The window of `key` started `seconds` ago; its lock runs `left` more seconds. */
const moveWindow = (key: string, seconds: number, left: number) =>
  db.execute(
    `update login_failures set window_started_at = now() - make_interval(secs => ${seconds}),
       locked_until = now() + make_interval(secs => ${left}) where key = '${key}'`,
  );

test('a lock outliving its window is not lifted by an attempt spared from it', async () => {
  // A distributed guesser hit the account's ceiling late in its window: the lock runs on after
  // the window. The owner signing in from home (spared) was counted in a new window, which
  // cleared the lock: every guesser's address got the whole allowance again at once, up to
  // twice the ceiling's rate. Its right password then took back that count and a lock with it.
  const throttle = throttleWith({ perAccount: 3 });
  const account = 'user:ceiling-outlives-window';
  for (let i = 0; i < 3; i++) {
    const guess = await throttle.check(account, `203.0.113.${10 + i}`, unknown);
    assert.equal(guess.refusal, undefined);
    await guess.recordFailure();
  }
  const key = `account:${account}`;
  await moveWindow(key, WINDOW + 1, 300);
  for (const verdict of ['recordSuccess', 'recordFailure'] as const) {
    const owner = await throttle.check(account, '198.51.100.10', known);
    assert.equal(owner.refusal?.spared, true, verdict);
    await owner[verdict]();
    const guess = await throttle.check(account, '203.0.113.20', unknown);
    assert.equal(guess.refusal?.scope, 'account', `after the owner's ${verdict}`);
    assert.ok(guess.refusal.retryAfter <= 300, `retry after ${guess.refusal.retryAfter} s`);
  }
  // Once the lock has run out, a window starts over with the whole allowance: the owner's
  // attempts while it ran are not held against the next one.
  await moveWindow(key, WINDOW + 301, -1);
  for (let i = 0; i < 3; i++) {
    const guess = await throttle.check(account, `203.0.113.${30 + i}`, unknown);
    assert.equal(guess.refusal, undefined, `guess ${i + 1} of the next window`);
    await guess.recordFailure();
  }
  assert.equal((await throttle.check(account, '203.0.113.40', unknown)).refusal?.scope, 'account');
});

test("an address's lock outliving its window is not lifted by a colleague spared from it", async () => {
  // One address (an office, a carrier's NAT) tried many accounts and hit the address limit late
  // in its window. A colleague at their known address, spared, typing a wrong password once the
  // window had passed started a new one without the lock: the guesser behind the same address
  // went on at once.
  const throttle = throttleWith({ perAddress: 3 });
  const office = '198.51.100.30';
  for (let i = 0; i < 3; i++) {
    const guess = await throttle.check(`unknown:office-guess${i}@example.com`, office, unknown);
    assert.equal(guess.refusal, undefined);
    await guess.recordFailure();
  }
  await moveWindow(`address:${office}`, WINDOW + 1, 300);
  const colleague = await throttle.check('user:office-colleague', office, known);
  assert.equal(colleague.refusal?.spared, true);
  await colleague.recordFailure();
  const guess = await throttle.check('unknown:office-guess9@example.com', office, unknown);
  assert.equal(guess.refusal?.scope, 'address');
});

test('attempts spared from a lock do not make it last longer', async () => {
  // Each attempt counted past the limit set the lock again to a full window from then: the
  // owner signing in from home (spared) now and then kept the account's lock running for their
  // new phone, and colleagues signing in at an office kept its address locked for a newcomer,
  // each sign-in a window more. A lock runs a window from when its limit was hit.
  const throttle = throttleWith({ perAccount: 3, perAddress: 3 });
  const account = 'user:spared-keeps-signing-in';
  for (let i = 0; i < 3; i++) {
    const guess = await throttle.check(account, `203.0.113.${50 + i}`, unknown);
    assert.equal(guess.refusal, undefined);
    await guess.recordFailure();
  }
  const key = `account:${account}`;
  await moveWindow(key, 600, 300);
  for (const verdict of ['recordSuccess', 'recordFailure'] as const) {
    const owner = await throttle.check(account, '198.51.100.50', known);
    assert.equal(owner.refusal?.spared, true);
    await owner[verdict]();
    const left = await lockLeft(key);
    assert.ok(left > 290 && left <= 300, `after the owner's ${verdict}: ${left} s left`);
  }
  const office = '198.51.100.51';
  for (let i = 0; i < 3; i++) {
    const guess = await throttle.check(`unknown:newcomer-guess${i}@example.com`, office, unknown);
    await guess.recordFailure();
  }
  await moveWindow(`address:${office}`, 600, 300);
  const colleague = await throttle.check('user:office-regular', office, known);
  assert.equal(colleague.refusal?.spared, true);
  await colleague.recordSuccess();
  const left = await lockLeft(`address:${office}`);
  assert.ok(left > 290 && left <= 300, `after a colleague's sign-in: ${left} s left`);
});

test("a lock runs by the database's clock, whatever the app's", async () => {
  // The counts and locks are written with PostgreSQL's now(), but how long a lock had left was
  // read with the app's clock: a replica whose clock ran ten minutes behind the database's
  // refused the owner ten minutes after the lock had run out, and one ten minutes ahead let
  // attempts past a running lock to be refused only while counting, with a Retry-After of a
  // whole window.
  const throttle = throttleWith({ perAccountAddress: 3 });
  const account = 'user:skewed-replica';
  const address = '192.0.2.60';
  const key = `account-address:${account}|${address}`;
  for (let i = 0; i < 3; i++) {
    const wrong = await throttle.check(account, address, unknown);
    assert.equal(wrong.refusal, undefined);
    await wrong.recordFailure();
  }
  const now = Date.now;
  const skewed = async <T>(offsetMs: number, run: () => Promise<T>) => {
    Date.now = () => now() + offsetMs;
    try {
      return await run();
    } finally {
      Date.now = now;
    }
  };
  await moveWindow(key, 600, 300);
  const ahead = await skewed(600_000, () => throttle.check(account, address, unknown));
  assert.equal(ahead.refusal?.scope, 'account_address');
  assert.ok(
    ahead.refusal.retryAfter > 290 && ahead.refusal.retryAfter <= 300,
    `retry after ${ahead.refusal.retryAfter} s`,
  );
  await moveWindow(key, WINDOW + 301, -1);
  const behind = await skewed(-600_000, () => throttle.check(account, address, unknown));
  assert.equal(behind.refusal, undefined, 'the lock has run out');
  await behind.recordSuccess();
});
