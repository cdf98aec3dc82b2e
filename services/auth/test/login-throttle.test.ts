import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '@platform/http';
import { codeAt } from '../src/second-factor/totp.ts';
import { bearer, buildTestAuth, enrolledUser, finishMfa, mfaChallenge, signUp } from './helper.ts';

// The address limit is raised so these tests, all from one address, only meet the account limit.
const auth = await buildTestAuth({ LOGIN_MAX_FAILURES_PER_ADDRESS: '1000' });
/**
 * For the attempts sent at once: production's argon2 cost, so each is still being checked when the
 * others are counted and judged, as in production (the races these tests are about).
 */
const atOnce = await buildTestAuth(
  { LOGIN_MAX_FAILURES_PER_ADDRESS: '1000' },
  { productionHashing: true },
);

const attempt = (app: App, payload: Record<string, string>, remoteAddress?: string) =>
  app.inject({
    method: 'POST',
    url: '/accounts/v1/login',
    payload,
    ...(remoteAddress ? { remoteAddress } : {}),
  });

const credentials = (user: { email: string; password: string }) => ({
  email: user.email,
  password: user.password,
});

async function fail(app: App, email: string, times: number) {
  for (let i = 0; i < times; i++) {
    const res = await attempt(app, { email, password: `wrong guess ${i}` });
    assert.equal(res.statusCode, 401, `failure ${i + 1}`);
  }
}

function assertThrottled(res: Awaited<ReturnType<typeof attempt>>, windowSeconds: number) {
  assert.equal(res.statusCode, 429);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(res.json().status, 429);
  const retryAfter = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= windowSeconds);
}

test('the sixth wrong password from an address locks the account there, for the right password too', async () => {
  const user = await signUp(auth.app);
  await fail(auth.app, user.email, 5);
  assertThrottled(await attempt(auth.app, { email: user.email, password: 'wrong again' }), 900);
  const right = await attempt(auth.app, { email: user.email, password: user.password });
  assertThrottled(right, 900);
  assert.equal(right.json().access_token, undefined);
});

test('guesses sent at once meet the limit as guesses one after another do', async () => {
  // A guess was counted once its password had been found wrong: 40 sent together all passed
  // the check before the first was counted, and all 40 were tried against a limit of 5.
  const user = await signUp(atOnce.app);
  const answers = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      attempt(atOnce.app, { email: user.email, password: `at once ${i}` }, '192.0.2.140'),
    ),
  );
  const statuses = answers.map((r) => r.statusCode).sort();
  assert.deepEqual(statuses, [...Array(5).fill(401), ...Array(35).fill(429)]);
  for (const refused of answers.filter((r) => r.statusCode === 429)) assertThrottled(refused, 900);
  assertThrottled(await attempt(atOnce.app, credentials(user), '192.0.2.140'), 900);
  // The owner elsewhere is not held by them, and the refused ones did not count there.
  assert.equal((await attempt(atOnce.app, credentials(user), '198.51.100.140')).statusCode, 200);
});

test('a right password sent among guesses takes back its own count and nothing else', async () => {
  const user = await signUp(atOnce.app);
  await fail(atOnce.app, user.email, 3);
  const answers = await Promise.all([
    attempt(atOnce.app, credentials(user)),
    attempt(atOnce.app, { email: user.email, password: 'among 1' }),
  ]);
  assert.deepEqual(answers.map((r) => r.statusCode).sort(), [200, 401]);
  // Nothing is locked: the success cleared the three judged before it. The guess beside it stays
  // counted if it was still being checked then (as after it one after another), so three more.
  await fail(atOnce.app, user.email, 3);
  assert.equal((await attempt(atOnce.app, credentials(user))).statusCode, 200);
});

test('right passwords sent at once are not refused by a limit their own count set', async () => {
  // Each is counted before its password is checked: the fifth set the lock, and the sixth to
  // tenth were refused with a 429 although every one of them was right.
  const user = await signUp(atOnce.app);
  const answers = await Promise.all(
    Array.from({ length: 10 }, () => attempt(atOnce.app, credentials(user), '192.0.2.141')),
  );
  assert.deepEqual(
    answers.map((r) => r.statusCode),
    Array(10).fill(200),
  );
  // What they counted is gone: five wrong ones still lock, as from a fresh address.
  for (let i = 0; i < 5; i++) {
    const res = await attempt(
      atOnce.app,
      { email: user.email, password: `after ${i}` },
      '192.0.2.141',
    );
    assert.equal(res.statusCode, 401, `failure ${i + 1}`);
  }
  assertThrottled(await attempt(atOnce.app, credentials(user), '192.0.2.141'), 900);
});

test('wrong codes and current passwords sent at once meet the limit as wrong passwords do', async () => {
  // The wait for attempts still being checked is shared by every caller of the throttle: at
  // /login/mfa and behind a stolen token (current_password) too, guesses waiting behind wrong
  // ones are refused once those are judged, and no more than five are ever tried.
  const user = await enrolledUser(atOnce.app, { codeAgoMs: 30_000 });
  const token = await mfaChallenge(atOnce.app, user.email, user.password);
  // None of them the code of a step around now (or it would be right).
  const near = [-60_000, -30_000, 0, 30_000, 60_000].map((ms) =>
    codeAt(user.secret, Date.now() + ms),
  );
  const guesses = Array.from({ length: 40 }, (_, i) => String(100000 + i)).filter(
    (code) => !near.includes(code),
  );
  const codes = await Promise.all(
    guesses.slice(0, 30).map((code) =>
      atOnce.app.inject({
        method: 'POST',
        url: '/accounts/v1/login/mfa',
        payload: { mfa_token: token, code },
        remoteAddress: '192.0.2.142',
      }),
    ),
  );
  assert.deepEqual(codes.map((r) => r.statusCode).sort(), [
    ...Array(5).fill(401),
    ...Array(25).fill(429),
  ]);
  const passwords = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      atOnce.app.inject({
        method: 'POST',
        url: '/accounts/v1/change-password',
        headers: bearer(user.accessToken),
        payload: { current_password: `stolen token guess ${i}`, new_password: 'never set 12345' },
        remoteAddress: '192.0.2.143',
      }),
    ),
  );
  assert.deepEqual(passwords.map((r) => r.statusCode).sort(), [
    ...Array(5).fill(403),
    ...Array(25).fill(429),
  ]);
});

test('a code check refused before its code is judged (MFA already on) is not a wrong code', async () => {
  // The attempt is counted before the code is checked: a 409 thrown in between kept its count,
  // and five retried verify calls locked the owner's own MFA sign-in at their address.
  const user = await enrolledUser(auth.app, { codeAgoMs: 30_000 });
  for (let i = 0; i < 6; i++) {
    const res = await auth.app.inject({
      method: 'POST',
      url: '/accounts/v1/user/mfa/totp/verify',
      headers: bearer(user.accessToken),
      payload: { code: codeAt(user.secret, Date.now()) },
    });
    assert.equal(res.statusCode, 409, res.body);
  }
  const token = await mfaChallenge(auth.app, user.email, user.password);
  const done = await finishMfa(auth.app, {
    mfa_token: token,
    code: codeAt(user.secret, Date.now()),
  });
  assert.equal(done.statusCode, 200, done.body);
  // Wrong codes still count: five, and the sixth attempt meets the lock.
  const again = await mfaChallenge(auth.app, user.email, user.password);
  for (let i = 0; i < 5; i++) {
    const wrong = await finishMfa(auth.app, { mfa_token: again, code: '000000' });
    assert.equal(wrong.statusCode, 401, wrong.body);
  }
  assertThrottled(await finishMfa(auth.app, { mfa_token: again, code: '000000' }), 900);
});

test('an unknown email locks exactly like a real one', async () => {
  const user = await signUp(auth.app);
  await fail(auth.app, user.email, 5);
  await fail(auth.app, 'ghost-locked@example.com', 5);
  const real = await attempt(auth.app, { email: user.email, password: 'x'.repeat(9) });
  const ghost = await attempt(auth.app, {
    email: 'ghost-locked@example.com',
    password: 'x'.repeat(9),
  });
  const { request_id: _a, ...realBody } = real.json();
  const { request_id: _b, ...ghostBody } = ghost.json();
  assert.equal(real.statusCode, 429);
  assert.equal(ghost.statusCode, 429);
  assert.deepEqual(ghostBody, realBody);
});

test('guesses by email and by username count against one account', async () => {
  const user = await signUp(auth.app);
  await fail(auth.app, user.email, 3);
  for (let i = 0; i < 2; i++) {
    const res = await attempt(auth.app, { username: user.username, password: `wrong ${i}` });
    assert.equal(res.statusCode, 401);
  }
  assertThrottled(await attempt(auth.app, { username: user.username, password: 'nope' }), 900);
  assertThrottled(await attempt(auth.app, credentials(user)), 900);
});

test('a limit of one locks after the first failure', async () => {
  const { app } = await buildTestAuth({ LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS: '1' });
  const user = await signUp(app);
  await fail(app, user.email, 1);
  assertThrottled(await attempt(app, credentials(user)), 900);
});

test('a successful sign-in clears the account count', async () => {
  const user = await signUp(auth.app);
  await fail(auth.app, user.email, 4);
  assert.equal((await attempt(auth.app, credentials(user))).statusCode, 200);
  await fail(auth.app, user.email, 4);
  assert.equal((await attempt(auth.app, credentials(user))).statusCode, 200);
});

test('a successful sign-in clears the count of its IPv6 /64 and of an IPv4 address written as IPv6', async () => {
  // The count is kept per /64 (and ::ffff:a.b.c.d as a.b.c.d): a success must clear that count,
  // not one under the exact address that no failure was ever counted under.
  const user = await signUp(auth.app);
  for (const address of ['2001:db8:9:9::1', '::ffff:192.0.2.88']) {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) {
        const res = await attempt(auth.app, { email: user.email, password: `typo ${i}` }, address);
        assert.equal(res.statusCode, 401, `${address} round ${round + 1} failure ${i + 1}`);
      }
      const res = await attempt(auth.app, credentials(user), address);
      assert.equal(res.statusCode, 200, `${address} round ${round + 1} sign-in`);
    }
  }
});

test('failures show in /metrics and a refused attempt is logged', async () => {
  const user = await signUp(auth.app);
  await fail(auth.app, user.email, 5);
  const refused = await attempt(auth.app, credentials(user));
  assert.equal(refused.statusCode, 429);
  const metrics = (await auth.app.inject({ url: '/metrics' })).body;
  const count = /^auth_login_failures_total(?:\{[^}]*\})? (\d+)$/m.exec(metrics)?.[1];
  assert.ok(Number(count) >= 5, metrics.slice(0, 200));
  assert.match(metrics, /^auth_login_throttled_total\{[^}]*scope="account_address"[^}]*\} [1-9]/m);
  const requestId = refused.headers['x-request-id'];
  const logged = auth.logs.lines
    .map((line) => JSON.parse(line))
    .filter((line) => line.request_id === requestId);
  assert.ok(logged.some((line) => line.res?.statusCode === 429));
  assert.ok(
    logged.some((line) => line.level === 'warn' && line.scope === 'account_address'),
    'a warning names the locked scope',
  );
  assert.ok(!auth.logs.text().includes(user.password));
});

test('the lock lifts once the window has passed', async () => {
  const { app } = await buildTestAuth({ LOGIN_FAILURE_WINDOW: '2' });
  const user = await signUp(app);
  await fail(app, user.email, 5);
  assertThrottled(await attempt(app, credentials(user)), 2);
  await new Promise((resolve) => setTimeout(resolve, 2100));
  assert.equal((await attempt(app, credentials(user))).statusCode, 200);
});

/** An account that has signed in only from `address`. */
async function signUpAt(app: App, address: string) {
  const user = {
    email: `at-${Math.random().toString(36).slice(2)}@example.com`,
    username: `at${Math.random().toString(36).slice(2, 12)}`,
    password: 'correct horse elsewhere',
  };
  const registered = await app.inject({
    method: 'POST',
    url: '/accounts/v1/register',
    payload: user,
    remoteAddress: address,
  });
  assert.equal(registered.statusCode, 201, registered.body);
  assert.equal((await attempt(app, credentials(user), address)).statusCode, 200);
  return user;
}

test('failures across accounts from one address lock that address only', async () => {
  const { app } = await buildTestAuth({ LOGIN_MAX_FAILURES_PER_ADDRESS: '3' });
  const victims = [await signUp(app), await signUp(app), await signUp(app)];
  const bystander = await signUpAt(app, '192.0.2.7');
  for (const victim of victims) await fail(app, victim.email, 1);
  assertThrottled(await attempt(app, credentials(bystander)), 900);
  assert.equal((await attempt(app, credentials(bystander), '192.0.2.7')).statusCode, 200);
});

// One address trying many accounts locked everyone at that address, the owners who sign in from
// it every day too: an attacker behind the same office or carrier NAT locked them all out.
test('an address locked by failures across accounts still lets in those who signed in from it before', async () => {
  const { app } = await buildTestAuth({ LOGIN_MAX_FAILURES_PER_ADDRESS: '3' });
  const regular = await signUp(app);
  for (let i = 0; i < 3; i++) await fail(app, `nobody-${i}@example.com`, 1);
  const newcomer = await signUpAt(app, '192.0.2.8');
  assertThrottled(await attempt(app, credentials(newcomer)), 900);
  assert.equal((await attempt(app, credentials(regular))).statusCode, 200);
  // Its own limit from that address still holds (a wrong password there answers the address's
  // 429, as for any other email).
  for (let i = 0; i < 5; i++) {
    assertThrottled(await attempt(app, { email: regular.email, password: `guess ${i}` }), 900);
  }
  assertThrottled(await attempt(app, credentials(regular)), 900);
});

// Sparing known accounts must not make a locked address an oracle: were a wrong password for an
// account that signed in there a 401 while any other email is a 429, whoever shares the address
// (the office, the carrier NAT) could lock it once and then list, for free, who uses the service
// from it. A wrong password answers the 429 alike; only the right one goes through.
test('at a locked address a wrong password for an account known there answers as for any other email', async () => {
  const { app } = await buildTestAuth({ LOGIN_MAX_FAILURES_PER_ADDRESS: '3' });
  const regular = await signUp(app);
  for (let i = 0; i < 3; i++) await fail(app, `nobody-${i}@example.com`, 1);
  const known = await attempt(app, { email: regular.email, password: 'a wrong guess' });
  const ghost = await attempt(app, {
    email: 'ghost-oracle@example.com',
    password: 'a wrong guess',
  });
  assertThrottled(ghost, 900);
  assertThrottled(known, 900);
  const { request_id: _a, ...knownBody } = known.json();
  const { request_id: _b, ...ghostBody } = ghost.json();
  assert.deepEqual(knownBody, ghostBody);
  // The wrong guess still counted, and the right password still goes through.
  assert.equal((await attempt(app, credentials(regular))).statusCode, 200);
});

test('failures from one address never lock the owner out at another', async () => {
  const user = await signUp(auth.app);
  for (let i = 0; i < 8; i++) {
    const res = await attempt(
      auth.app,
      { email: user.email, password: `guess ${i}` },
      '192.0.2.10',
    );
    assert.equal(res.statusCode, i < 5 ? 401 : 429, `attempt ${i + 1}`);
  }
  assert.equal((await attempt(auth.app, credentials(user), '198.51.100.20')).statusCode, 200);
  assert.equal((await attempt(auth.app, credentials(user))).statusCode, 200);
  assertThrottled(await attempt(auth.app, credentials(user), '192.0.2.10'), 900);
});

test('the addresses of one IPv6 /64 are one address: a host cannot hop through its own block', async () => {
  const user = await signUp(auth.app);
  // One machine owns a /64 (a VPS, a home line) and may pick any of its 2^64 addresses.
  for (let i = 0; i < 5; i++) {
    const res = await attempt(
      auth.app,
      { email: user.email, password: `hop ${i}` },
      `2001:db8:7:7::${(i + 1).toString(16)}`,
    );
    assert.equal(res.statusCode, 401, `attempt ${i + 1}`);
  }
  assertThrottled(
    await attempt(auth.app, { email: user.email, password: 'hop 6' }, '2001:db8:7:7:ffff::9'),
    900,
  );
  assertThrottled(await attempt(auth.app, credentials(user), '2001:0db8:0007:0007::a'), 900);
  // Another block is another address; an IPv4 address written as IPv6 is that IPv4 address.
  assert.equal((await attempt(auth.app, credentials(user), '2001:db8:7:8::1')).statusCode, 200);
  for (let i = 0; i < 5; i++) {
    const res = await attempt(
      auth.app,
      { email: user.email, password: `mapped ${i}` },
      i % 2 ? '::ffff:192.0.2.77' : '192.0.2.77',
    );
    assert.equal(res.statusCode, 401, `attempt ${i + 1}`);
  }
  assertThrottled(await attempt(auth.app, credentials(user), '::ffff:192.0.2.77'), 900);
});

test('an IPv4 address written as IPv6 in any notation is that IPv4 address', async () => {
  // Full, upper-case or hex-tailed, ::ffff:a.b.c.d is one address: hopping notations (as a
  // forwarding proxy may write them) must not reset the count, nor pool every such address.
  const user = await signUp(auth.app);
  const notations = [
    '192.0.2.91',
    '0:0:0:0:0:ffff:192.0.2.91',
    '::FFFF:C000:025B',
    '0000:0000:0000:0000:0000:ffff:c000:025b',
    '::ffff:192.0.2.91',
  ];
  for (const [i, address] of notations.entries()) {
    const res = await attempt(auth.app, { email: user.email, password: `notation ${i}` }, address);
    assert.equal(res.statusCode, 401, address);
  }
  assertThrottled(await attempt(auth.app, credentials(user), '::ffff:c000:25b'), 900);
  // Another IPv4 address in the same notation is another address.
  assert.equal((await attempt(auth.app, credentials(user), '::ffff:c000:25c')).statusCode, 200);
});

test('IPv4 clients a NAT64 translator hands on are their IPv4 addresses, not one /64', async () => {
  // An IPv6-only service behind a translator sees every IPv4 client under 64:ff9b::/96: read as
  // a /64, a guesser at one IPv4 address locked the owner out at every other.
  const user = await signUp(auth.app);
  for (let i = 0; i < 5; i++) {
    const guess = { email: user.email, password: `translated ${i}` };
    const address = i % 2 ? '64:ff9b::c633:640a' : '64:ff9b::198.51.100.10';
    assert.equal((await attempt(auth.app, guess, address)).statusCode, 401);
  }
  assertThrottled(await attempt(auth.app, credentials(user), '64:ff9b::198.51.100.10'), 900);
  assertThrottled(await attempt(auth.app, credentials(user), '198.51.100.10'), 900);
  assert.equal(
    (await attempt(auth.app, credentials(user), '64:ff9b::203.0.113.20')).statusCode,
    200,
  );
});

test('IPv4 clients behind a translator under the local-use prefix 64:ff9b:1::/48 are one address each', async () => {
  // RFC 8215's prefix for a translator the operator runs: read as a /64, a guesser at one IPv4
  // address behind it locked the owner out at every other.
  const user = await signUp(auth.app);
  const guesser = '64:ff9b:1::c633:640b'; // 198.51.100.11 under 64:ff9b:1::/96
  for (let i = 0; i < 5; i++) {
    const guess = { email: user.email, password: `local-use ${i}` };
    assert.equal((await attempt(auth.app, guess, guesser)).statusCode, 401);
  }
  assertThrottled(await attempt(auth.app, credentials(user), '64:ff9b:1:0:0:0:c633:640b'), 900);
  // Another IPv4 client behind it, under a /96 or the /48 format (RFC 6052: the u-octet skipped).
  for (const owner of ['64:ff9b:1::cb00:7114', '64:ff9b:1:cb00:71:1400::']) {
    assert.equal((await attempt(auth.app, credentials(user), owner)).statusCode, 200, owner);
  }
});

test('the per-account ceiling stops guesses from many addresses, but not where the owner signed in before', async () => {
  const { app } = await buildTestAuth({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '6' });
  const user = await signUp(app);
  assert.equal((await attempt(app, credentials(user), '203.0.113.5')).statusCode, 200);
  for (let i = 0; i < 6; i++) {
    const res = await attempt(app, { email: user.email, password: `spread ${i}` }, `192.0.2.${i}`);
    assert.equal(res.statusCode, 401);
  }
  assertThrottled(await attempt(app, credentials(user), '192.0.2.100'), 900);
  assertThrottled(
    await attempt(app, { email: user.email, password: 'another' }, '192.0.2.101'),
    900,
  );
  assert.equal((await attempt(app, credentials(user), '203.0.113.5')).statusCode, 200);
  // A known address still meets its own limit; a wrong password there meets the ceiling's 429,
  // as it does anywhere else.
  for (let i = 0; i < 5; i++) {
    const res = await attempt(app, { email: user.email, password: `near ${i}` }, '203.0.113.5');
    assertThrottled(res, 900);
  }
  assertThrottled(await attempt(app, credentials(user), '203.0.113.5'), 900);
});

test('the ceiling spares the owner’s IPv6 /64, not only the exact address they signed in from', async () => {
  const { app } = await buildTestAuth({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '6' });
  const user = await signUp(app);
  assert.equal((await attempt(app, credentials(user), '2001:db8:5:5::1')).statusCode, 200);
  for (let i = 0; i < 6; i++) {
    const res = await attempt(app, { email: user.email, password: `spread ${i}` }, `192.0.2.${i}`);
    assert.equal(res.statusCode, 401);
  }
  assertThrottled(await attempt(app, credentials(user), '2001:db8:5:6::1'), 900);
  // The phone's privacy address changed since: the same home line, spared as before.
  assert.equal((await attempt(app, credentials(user), '2001:db8:5:5:a:b:c:d')).statusCode, 200);
});

test('an unknown account meets the ceiling like a real one from a new address', async () => {
  const { app } = await buildTestAuth({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' });
  const user = await signUp(app);
  for (const email of [user.email, 'ghost-ceiling@example.com']) {
    for (let i = 0; i < 3; i++) {
      const res = await attempt(app, { email, password: `spread ${i}` }, `192.0.2.${i}`);
      assert.equal(res.statusCode, 401);
    }
  }
  const real = await attempt(app, { email: user.email, password: 'x'.repeat(9) }, '192.0.2.50');
  const ghost = await attempt(
    app,
    { email: 'ghost-ceiling@example.com', password: 'x'.repeat(9) },
    '192.0.2.50',
  );
  assert.equal(real.statusCode, 429);
  assert.equal(ghost.statusCode, 429);
  const { request_id: _a, ...realBody } = real.json();
  const { request_id: _b, ...ghostBody } = ghost.json();
  assert.deepEqual(ghostBody, realBody);
});

test('a successful sign-in does not reset the per-account ceiling', async () => {
  const { app } = await buildTestAuth({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '4' });
  const user = await signUp(app);
  for (let i = 0; i < 3; i++) {
    await attempt(app, { email: user.email, password: `first ${i}` }, `192.0.2.${i}`);
  }
  assert.equal((await attempt(app, credentials(user))).statusCode, 200);
  await attempt(app, { email: user.email, password: 'fourth' }, '192.0.2.9');
  assertThrottled(await attempt(app, credentials(user), '192.0.2.77'), 900);
});
