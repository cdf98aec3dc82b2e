import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestAuth, signUp, sql } from './helper.ts';

// Production's argon2 cost: what a refusal costs is the subject, and a password check must be most
// of it, as it is in production.
const { app } = await buildTestAuth({}, { productionHashing: true });

const attempt = (payload: Record<string, string>) =>
  app.inject({ method: 'POST', url: '/accounts/v1/login', payload });

function comparable(res: Awaited<ReturnType<typeof attempt>>) {
  const { request_id, ...body } = res.json();
  assert.ok(request_id);
  return {
    status: res.statusCode,
    type: res.headers['content-type'],
    challenge: res.headers['www-authenticate'],
    body,
  };
}

/**
 * The CPU time (all of the process's threads: argon2 runs on libuv's) one refused sign-in costs.
 * Not wall time: on a loaded machine that measures the neighbours, and it flaked; the work an
 * attacker would time is the same on a quiet one.
 */
async function cpuOf(payload: Record<string, string>): Promise<number> {
  const started = process.cpuUsage();
  const res = await attempt(payload);
  const { user, system } = process.cpuUsage(started);
  assert.equal(res.statusCode, 401);
  return (user + system) / 1000;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

test('an unknown email and a wrong password get the identical answer', async () => {
  const user = await signUp(app);
  const unknown = await attempt({ email: 'nobody@example.com', password: user.password });
  const wrong = await attempt({ email: user.email, password: 'not the password' });
  assert.equal(unknown.statusCode, 401);
  assert.deepEqual(comparable(unknown), comparable(wrong));
  assert.equal(comparable(wrong).challenge, 'Bearer');
});

test('an unknown username and a wrong password get the identical answer', async () => {
  const user = await signUp(app);
  const unknown = await attempt({ username: 'nobody_at_all', password: user.password });
  const wrong = await attempt({ username: user.username, password: 'not the password' });
  assert.deepEqual(comparable(unknown), comparable(wrong));
});

test('an unknown email costs as much work as a wrong password', async () => {
  const users = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(() => signUp(app)));
  // Warm up both paths (the first unknown login also prepares the dummy hash).
  await cpuOf({ email: 'warm-up@example.com', password: 'whatever it is' });
  await cpuOf({ email: users[0]!.email, password: 'whatever it is' });
  const unknown: number[] = [];
  const wrong: number[] = [];
  // Interleaved, each pair in the other order the next time, so a drift hits both alike.
  for (const [i, user] of users.entries()) {
    const ghost = () => cpuOf({ email: `ghost${i}@example.com`, password: 'guess number one' });
    const known = () => cpuOf({ email: user.email, password: 'guess number one' });
    if (i % 2) {
      unknown.push(await ghost());
      wrong.push(await known());
    } else {
      wrong.push(await known());
      unknown.push(await ghost());
    }
  }
  const [a, b] = [median(unknown), median(wrong)];
  // A password check is most of either answer's work (argon2id); one path without it costs a
  // few times less.
  const seen = `median CPU: unknown ${a.toFixed(1)} ms, wrong password ${b.toFixed(1)} ms`;
  assert.ok(a < b * 2 && b < a * 2, seen);
});

test('at a locked address, an account that signed in there is answered as an unknown email is', async () => {
  // An account that signed in from a locked address (an office) is spared there: its wrong
  // passwords are checked and answered with the lock's 429, and counted for the account at that
  // address. An unknown email was refused and counted nowhere: after five, the account's own
  // lock answered at once, without the password's hashing time, with a Retry-After of a whole
  // window, while the unknown email kept the address's. Whoever shared the address learnt which
  // emails exist and sign in from there.
  const { app: office, databaseUrl } = await buildTestAuth({ LOGIN_MAX_FAILURES_PER_ADDRESS: '3' });
  const address = '198.51.100.200';
  const at = (payload: Record<string, string>) =>
    office.inject({ method: 'POST', url: '/accounts/v1/login', payload, remoteAddress: address });
  const user = await signUp(office);
  assert.equal((await at({ email: user.email, password: user.password })).statusCode, 200);
  for (let i = 0; i < 3; i++) {
    const guess = await at({ email: `office-guess${i}@example.com`, password: 'a guess 1234' });
    assert.equal(guess.statusCode, 401);
  }
  // The address was locked a while ago: 300 s left.
  await sql(
    databaseUrl,
    `update login_failures set locked_until = now() + interval '300 seconds' where key = $1`,
    [`address:${address}`],
  );
  const answers = async (email: string) => {
    const seen: string[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await at({ email, password: `wrong at the office ${i}` });
      const retryAfter = Number(res.headers['retry-after']);
      seen.push(`${res.statusCode} ${retryAfter > 300 ? 'window' : 'address lock'}`);
    }
    return seen;
  };
  assert.deepEqual(await answers(user.email), await answers('no-such-colleague@example.com'));
});
