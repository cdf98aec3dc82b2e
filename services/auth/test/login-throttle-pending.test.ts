import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { loggerOptions } from '@platform/http';
import { createTestDatabase, logCapture } from '@platform/testing';
import pino from 'pino';
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
    pino({ level: 'silent' }),
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
        .then(async (attempt) => {
          if (!attempt.refusal) await attempt.recordFailure();
          return attempt.refusal;
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
  const [{ refusal }, elapsed] = await timed(() => throttle.check(account, '192.0.2.99', unknown));
  assert.equal(refusal?.scope, 'account');
  assert.ok(elapsed < SETTLE_MS / 2, `refused after ${Math.round(elapsed)} ms`);
});

test('a refusal that attempts still being checked cannot lift is not held waiting for them', async () => {
  // An office's address locked by a guesser's wrong passwords, while colleagues at their known
  // addresses (spared) sign in: their attempts are pending under the address key. Each guess
  // refused there waited for them (up to 3 s, polling PostgreSQL every 50 ms) and was refused
  // anyway: the wrong ones already judged hold the lock whatever their verdict.
  const throttle = throttleWith({ perAddress: 3 });
  const office = '198.51.100.60';
  for (let i = 0; i < 3; i++) {
    const guess = await throttle.check(`unknown:guess${i}@office`, office, unknown);
    assert.equal(guess.refusal, undefined);
    await guess.recordFailure();
  }
  const colleague = await throttle.check('user:colleague', office, async () => true);
  assert.equal(colleague.refusal?.spared, true);
  const [{ refusal }, elapsed] = await timed(() =>
    throttle.check('unknown:guess4@office', office, unknown),
  );
  assert.equal(refusal?.scope, 'address');
  assert.ok(elapsed < SETTLE_MS / 2, `refused after ${Math.round(elapsed)} ms`);
  await colleague.recordSuccess();
});

test('a refusal that a right answer still being checked lifts waits for it and goes ahead', async () => {
  // What the wait is for, kept: three wrong passwords judged and two attempts still being
  // checked reach the account's limit of five; the sixth waits, and once one of the two is
  // found right (its count taken back), it is counted and goes ahead.
  const throttle = throttleWith({ perAccount: 5 });
  const account = 'user:lifted-by-a-verdict';
  for (let i = 0; i < 3; i++) {
    const wrong = await throttle.check(account, `203.0.113.${i}`, unknown);
    assert.equal(wrong.refusal, undefined);
    await wrong.recordFailure();
  }
  const [fourth, fifth] = [
    await throttle.check(account, '203.0.113.3', unknown),
    await throttle.check(account, '203.0.113.4', unknown),
  ];
  assert.equal(fourth.refusal, undefined);
  assert.equal(fifth.refusal, undefined);
  const sixth = timed(() => throttle.check(account, '203.0.113.5', unknown));
  await new Promise((resolve) => setTimeout(resolve, 200));
  await fourth.recordSuccess();
  const [sixthAttempt, elapsed] = await sixth;
  assert.equal(sixthAttempt.refusal, undefined);
  assert.ok(elapsed >= 200 && elapsed < SETTLE_MS, `went ahead after ${Math.round(elapsed)} ms`);
  await fifth.recordFailure();
  await sixthAttempt.recordFailure();
  // Five counted (three, the fourth's and the sixth's wrong ones): the next is refused at once.
  const [next, after] = await timed(() => throttle.check(account, '203.0.113.6', unknown));
  assert.equal(next.refusal?.scope, 'account');
  assert.ok(after < SETTLE_MS / 2, `refused after ${Math.round(after)} ms`);
});

test('an attempt never judged (its request died) is pending no longer than its window', async () => {
  // Nothing judges an attempt whose request died between check and verdict (a crashed or
  // killed replica, a statement failing in the caller). A new window started its count over
  // but kept its `pending`, so it lived as long as the key was used once a window: with the
  // count back at one, each later lock held every refusal the whole settle time, for good.
  const throttle = throttleWith({ perAccountAddress: 2, windowSeconds: 1 });
  const account = 'user:request-died';
  const address = '192.0.2.77';
  assert.equal((await throttle.check(account, address, unknown)).refusal, undefined);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  for (let i = 0; i < 2; i++) {
    const wrong = await throttle.check(account, address, unknown);
    assert.equal(wrong.refusal, undefined, `attempt ${i + 1}`);
    await wrong.recordFailure();
  }
  const left = await db.execute<{ pending: number }>(
    `select coalesce(sum(pending), 0)::int as pending from login_failures
     where key like '%request-died%' or key = 'address:${address}'`,
  );
  assert.equal(left.rows[0]?.pending, 0);
  const [{ refusal }, elapsed] = await timed(() => throttle.check(account, address, unknown));
  assert.equal(refusal?.scope, 'account_address');
  assert.ok(elapsed < SETTLE_MS / 2, `refused after ${Math.round(elapsed)} ms`);
});

test('a refusal is not held for verdicts that could lift one lock while another holds it', async () => {
  // The guesser's own lock at the address (wrong passwords judged) holds whatever happens; the
  // address's lock, set later, could still be lifted by a colleague's attempt being checked.
  // Only the later lock was looked at: the guess waited for the colleague's verdict (up to 3 s,
  // polling PostgreSQL) and was refused by its own lock anyway.
  const throttle = throttleWith({ perAccountAddress: 2, perAddress: 3 });
  const office = '198.51.100.90';
  for (let i = 0; i < 2; i++) {
    const wrong = await throttle.check('user:target', office, unknown);
    assert.equal(wrong.refusal, undefined);
    await wrong.recordFailure();
  }
  // A second later (so its lock outlasts the pair's), a colleague's attempt sets the address
  // lock and is still being checked.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const colleague = await throttle.check('user:colleague2', office, unknown);
  assert.equal(colleague.refusal, undefined);
  const [{ refusal }, elapsed] = await timed(() => throttle.check('user:target', office, unknown));
  assert.ok(refusal && !refusal.spared);
  assert.ok(elapsed < SETTLE_MS / 2, `refused after ${Math.round(elapsed)} ms`);
  await colleague.recordSuccess();
});

test('an attempt never judged holds refusals no longer than the settle time after the last count', async () => {
  // Within its window, an attempt whose request died (a killed replica, a statement failing in
  // the caller) stayed pending: once wrong passwords locked the key with it, every refusal
  // waited the whole settle time (polling PostgreSQL every 50 ms) for the rest of the window.
  const settleMs = 1_500;
  const throttle = throttleWith({ perAccountAddress: 3, settleMs });
  const account = 'user:died-in-window';
  const address = '192.0.2.88';
  assert.equal((await throttle.check(account, address, unknown)).refusal, undefined);
  for (let i = 0; i < 2; i++) {
    const wrong = await throttle.check(account, address, unknown);
    assert.equal(wrong.refusal, undefined, `attempt ${i + 2}`);
    await wrong.recordFailure();
  }
  await new Promise((resolve) => setTimeout(resolve, settleMs + 200));
  const [{ refusal }, elapsed] = await timed(() => throttle.check(account, address, unknown));
  assert.equal(refusal?.scope, 'account_address');
  assert.ok(elapsed < settleMs / 2, `refused after ${Math.round(elapsed)} ms`);
});

test('a success clears its own count and the wrong ones judged, not attempts still being checked beside it', async () => {
  // An owner and a guesser behind one address (an office, a carrier's NAT) guessing the owner's
  // account: the success deleted the pair's row, and with it the count of the guess still being
  // checked beside it, so that guess was never counted once judged wrong — one guess more than
  // the limit for each success of the owner's.
  const throttle = throttleWith({ perAccountAddress: 3 });
  const account = 'user:owner-beside-a-guess';
  const office = '198.51.100.120';
  const guess = await throttle.check(account, office, unknown);
  const owner = await throttle.check(account, office, unknown);
  assert.equal(guess.refusal, undefined);
  assert.equal(owner.refusal, undefined);
  await owner.recordSuccess();
  await guess.recordFailure();
  let passed = 0;
  for (let i = 0; i < 5; i++) {
    const next = await throttle.check(account, office, unknown);
    if (next.refusal) {
      assert.equal(next.refusal.scope, 'account_address');
      break;
    }
    passed++;
    await next.recordFailure();
  }
  assert.equal(
    passed,
    2,
    'the guess beside the success counts: two more before the limit of three',
  );
});

test('a verdict comes to the window its attempt was counted in, not to the one after it', async () => {
  // Judged after the key's window had started over, an attempt of the last window took its
  // count back from the new one (a wrong guess counted there went uncounted) and settled a
  // pending mark of the new one (an attempt still being checked no longer held refusals, and
  // a success cleared it as if judged).
  const throttle = throttleWith({ perAccountAddress: 4 });
  const account = 'user:verdict-after-the-window';
  const address = '192.0.2.130';
  const pair = `account-address:${account}|${address}`;
  const [released, judged, right] = [
    await throttle.check(account, address, unknown),
    await throttle.check(account, address, unknown),
    await throttle.check(account, address, unknown),
  ];
  for (const attempt of [released, judged, right]) assert.equal(attempt.refusal, undefined);
  // The window passes while they are being checked (moved back rather than waited out).
  await db.execute(
    `update login_failures set window_started_at = window_started_at - interval '901 seconds'
     where key like '%verdict-after-the-window%' or key = 'address:${address}'`,
  );
  const guess = await throttle.check(account, address, unknown);
  assert.equal(guess.refusal, undefined);
  const row = async () =>
    (
      await db.execute<{ failures: number; pending: number }>(
        `select failures, pending from login_failures where key = '${pair}'`,
      )
    ).rows[0];
  assert.deepEqual(await row(), { failures: 1, pending: 1 });
  await judged.recordFailure();
  assert.deepEqual(await row(), { failures: 1, pending: 1 }, 'the new window keeps its pending');
  await released.release();
  assert.deepEqual(await row(), { failures: 1, pending: 1 }, 'and its count');
  await right.recordSuccess();
  assert.deepEqual(await row(), { failures: 1, pending: 1 }, 'a success clears only judged ones');
  await guess.recordFailure();
  // Four in the new window: the guess and three more.
  for (let i = 0; i < 3; i++) {
    const next = await throttle.check(account, address, unknown);
    assert.equal(next.refusal, undefined, `guess ${i + 2}`);
    await next.recordFailure();
  }
  assert.equal((await throttle.check(account, address, unknown)).refusal?.scope, 'account_address');
});

test('a count that cannot be taken back is logged, without the values of its keys', async () => {
  // Taking back what an attempt counted (a code check refused before its code was judged, a
  // throw inside check) failed silently inside the throttle: the count stayed a failure and its
  // pending mark held refusals until it aged out, with nothing in the log to say why. The key
  // holds what was typed as the login (a password typed into the email field): never logged.
  const logs = logCapture();
  const throttle = createLoginThrottle(
    db,
    { perAccountAddress: 5, perAccount: 3, perAddress: 100, windowSeconds: 900, settleMs: 3_000 },
    new Registry(),
    pino(loggerOptions('auth', 'info'), logs.stream),
  );
  const account = 'unknown:typed-secret-take-back';
  const statementsFail = `alter table login_failures add constraint take_back_fails
    check (key not like '%typed-secret-take-back%') not valid`;
  const released = await throttle.check(account, '192.0.2.150', unknown);
  assert.equal(released.refusal, undefined);
  await db.execute(statementsFail);
  try {
    await released.release();
  } finally {
    await db.execute('alter table login_failures drop constraint take_back_fails');
  }
  // The account's count over its limit and not yet locked (attempts sent at once, counted
  // together): the next one asks knownAddress after counting, and it throws.
  await db.execute(
    `update login_failures set failures = 3, locked_until = null
     where key = 'account:${account}'`,
  );
  await assert.rejects(
    throttle.check(account, '192.0.2.151', async () => {
      await db.execute(statementsFail);
      throw new Error('connection lost');
    }),
    /connection lost/,
  );
  await db.execute('alter table login_failures drop constraint take_back_fails');
  const warned = logs.lines
    .map((line) => JSON.parse(line) as { level: string; msg: string; scope?: string })
    .filter((line) => line.level === 'warn');
  assert.deepEqual(
    warned.map((line) => [line.msg, line.scope]),
    [
      ['taking back a sign-in attempt failed', 'account_address'],
      ['taking back a sign-in attempt failed', 'account'],
      ['taking back a sign-in attempt failed', 'account_address'],
      ['taking back a sign-in attempt failed', 'account'],
    ],
  );
  assert.ok(!logs.text().includes('typed-secret'), logs.text());
  assert.ok(logs.text().includes('take_back_fails'), 'the cause is logged');
});

test('an attempt refused while counting takes back every count, also when one take-back fails', async () => {
  // Refused at a key while counting, an attempt takes back what it counted under each key. A
  // take-back that failed threw out of check: the keys after it kept their count and a pending
  // mark holding refusals, nothing logged them, and the 429 became a 500.
  const logs = logCapture();
  const throttle = createLoginThrottle(
    db,
    { perAccountAddress: 5, perAccount: 3, perAddress: 100, windowSeconds: 900, settleMs: 3_000 },
    new Registry(),
    pino(loggerOptions('auth', 'info'), logs.stream),
  );
  const account = 'unknown:refused-take-back-fails';
  // The account's count at its limit and not yet locked (attempts sent at once, counted
  // together): the next one is refused while counting, after the pair's count.
  const first = await throttle.check(account, '192.0.2.160', unknown);
  await first.recordFailure();
  await db.execute(
    `update login_failures set failures = 3, locked_until = null
     where key = 'account:${account}'`,
  );
  const pair = `account-address:${account}|192.0.2.161`;
  let attempt: Awaited<ReturnType<typeof throttle.check>>;
  try {
    attempt = await throttle.check(account, '192.0.2.161', async () => {
      await db.execute(`alter table login_failures add constraint take_back_fails
        check (key <> '${pair}') not valid`);
      return false;
    });
  } finally {
    await db.execute('alter table login_failures drop constraint if exists take_back_fails');
  }
  assert.equal(attempt.refusal?.scope, 'account');
  const { rows } = await db.execute<{ failures: number; pending: number }>(
    `select failures, pending from login_failures where key = 'account:${account}'`,
  );
  // Its pending count taken back, and counted once as refused (the refusal is a wrong answer).
  assert.deepEqual(rows[0], { failures: 4, pending: 0 }, 'the account key took its count back');
  const warned = logs.lines
    .map((line) => JSON.parse(line) as { level: string; msg: string; scope?: string })
    .filter((line) => line.level === 'warn');
  assert.deepEqual(
    warned.map((line) => [line.msg, line.scope]),
    [
      ['taking back a sign-in attempt failed', 'account_address'],
      ['counting a refused sign-in attempt failed', 'account_address'],
    ],
  );
  assert.ok(!logs.text().includes('refused-take-back'), logs.text());
});

test("a success judged after its window started over leaves the new window's wrong answers counted", async () => {
  // A verdict comes to the window its attempt was counted in and to no later one: a right
  // password counted just before the pair's window started over, judged after wrong guesses of
  // the new window had been (a guesser behind the owner's address), cleared them as if judged in
  // its own window.
  const throttle = throttleWith({ perAccountAddress: 3 });
  const account = 'user:success-after-the-window';
  const address = '192.0.2.170';
  const pair = `account-address:${account}|${address}`;
  const right = await throttle.check(account, address, unknown);
  assert.equal(right.refusal, undefined);
  await db.execute(
    `update login_failures set window_started_at = window_started_at - interval '901 seconds'
     where key like '%success-after-the-window%' or key = 'address:${address}'`,
  );
  for (let i = 0; i < 2; i++) {
    const wrong = await throttle.check(account, address, unknown);
    assert.equal(wrong.refusal, undefined);
    await wrong.recordFailure();
  }
  await right.recordSuccess();
  const { rows } = await db.execute<{ failures: number; pending: number }>(
    `select failures, pending from login_failures where key = '${pair}'`,
  );
  assert.deepEqual(rows[0], { failures: 2, pending: 0 });
  const third = await throttle.check(account, address, unknown);
  assert.equal(third.refusal, undefined);
  await third.recordFailure();
  assert.equal((await throttle.check(account, address, unknown)).refusal?.scope, 'account_address');
});
