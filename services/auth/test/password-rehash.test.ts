import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hash, parseOptions } from '@node-rs/argon2';
import { createPasswordHasher } from '../src/credentials/hashing.ts';
import { buildTestAuth, signUp, sql, TEST_ARGON2_PARAMS, type TestAuth } from './helper.ts';

/**
 * Hashes made before the settings were raised are made again at sign-in, the one moment the
 * password is known: here accounts sign up on an instance hashing at TEST_ARGON2_PARAMS, and
 * sign in on a replica whose hasher uses twice the memory (a deployment that raised them).
 */
const RAISED = { ...TEST_ARGON2_PARAMS, memoryCost: TEST_ARGON2_PARAMS.memoryCost * 2 };
const raised = createPasswordHasher(RAISED);

/** Both sign-ins of the race below have checked the old hash before either stores its rehash. */
let checked = 0;
let bothChecked: () => void = () => {};
const bothHaveChecked = new Promise<void>((resolve) => {
  bothChecked = resolve;
});
/**
 * The race's user, and for each check of the loser against the winner's rehash (the checks
 * after the first two), whether the user's row was locked meanwhile.
 */
const racing = { on: false, userId: '', rechecksUnderLock: [] as boolean[] };
const rowLocked = async (id: string) => {
  try {
    await sql(before.databaseUrl, 'select 1 from users where id = $1 for no key update nowait', [
      id,
    ]);
    return false;
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') return true;
    throw error;
  }
};
const hasher = {
  ...raised,
  verify: async (storedHash: string | null, password: string) => {
    if (racing.on && checked >= 2) racing.rechecksUnderLock.push(await rowLocked(racing.userId));
    const ok = await raised.verify(storedHash, password);
    if (racing.on) {
      checked += 1;
      if (checked === 2) bothChecked();
    }
    return ok;
  },
  rehash: async (storedHash: string, password: string) => {
    if (racing.on) await bothHaveChecked;
    return raised.rehash(storedHash, password);
  },
};

const before = await buildTestAuth();
const after = await buildTestAuth({}, { replicaOf: before, passwordHasher: hasher });

const storedHash = async (id: string) =>
  (await sql(before.databaseUrl, 'select password_hash from users where id = $1', [id]))[0]
    .password_hash as string;
const memoryOf = (hash: string) => parseOptions(hash).memoryCost;
const signInOn = (auth: TestAuth, email: string, password: string) =>
  auth.app.inject({
    method: 'POST',
    url: '/accounts/v1/login',
    payload: { email, password },
  });
const signIn = (email: string, password: string) => signInOn(after, email, password);
/** What an instance logged names neither the password nor any argon2 hash. */
const assertNoSecretLogged = (auth: TestAuth, password: string) => {
  const text = auth.logs.text();
  assert.ok(!text.includes(password), 'the password was logged');
  assert.ok(!text.includes('$argon2'), 'a password hash was logged');
};

test('a sign-in stores the password hashed at the raised settings; sessions and the password stay', async () => {
  const user = await signUp(before.app);
  assert.equal(memoryOf(await storedHash(user.id)), TEST_ARGON2_PARAMS.memoryCost);

  assert.equal((await signIn(user.email, user.password)).statusCode, 200);
  const rehashed = await storedHash(user.id);
  assert.equal(memoryOf(rehashed), RAISED.memoryCost);

  // The same password, so nothing is revoked: the session from before still refreshes.
  const refreshed = await after.app.inject({
    method: 'POST',
    url: '/accounts/v1/refresh',
    payload: { refresh_token: user.refreshToken },
  });
  assert.equal(refreshed.statusCode, 200, refreshed.body);
  // Hashed once: the next sign-in finds it current and leaves it.
  assert.equal((await signIn(user.email, user.password)).statusCode, 200);
  assert.equal(await storedHash(user.id), rehashed);
  assertNoSecretLogged(after, user.password);
});

test('a stored hash weaker in any setting is rehashed; one as strong or stronger is left', async () => {
  const today = { algorithm: 2 as const, memoryCost: 32, timeCost: 2, parallelism: 2 };
  const hasher = createPasswordHasher(today);
  const made = (options: Parameters<typeof hash>[1]) =>
    hash('a password', { ...today, ...options });
  const weaker = {
    memory: await made({ memoryCost: 16 }),
    passes: await made({ timeCost: 1 }),
    lanes: await made({ parallelism: 1 }),
    output: await made({ outputLen: 16 }),
    salt: await made({ salt: Buffer.alloc(8, 7) }),
    // argon2i, and argon2's first version (0x10), stronger in every cost.
    algorithm: await made({ algorithm: 1, memoryCost: 64, timeCost: 3 }),
    version: await made({ version: 0, memoryCost: 64, timeCost: 3 }),
  };
  for (const [what, stored] of Object.entries(weaker)) {
    assert.equal(hasher.needsRehash(stored), true, `fewer ${what}`);
  }
  // Made by an instance at higher settings (a rollback, a rolling deploy, costs lowered since):
  // rehashing it would downgrade it, and the other instance would raise it back at the next
  // sign-in, each time paying a second hash and a write.
  const stronger = [
    await made({}),
    await made({ memoryCost: 64 }),
    await made({ timeCost: 3 }),
    await made({ parallelism: 4 }),
    await made({ outputLen: 64, salt: Buffer.alloc(32, 7) }),
  ];
  for (const stored of stronger) assert.equal(hasher.needsRehash(stored), false, stored);
  // More memory but fewer passes: the rehash keeps the stronger of each, so neither instance
  // rehashes it again.
  const crossed = { ...today, memoryCost: 64, timeCost: 1 };
  const rehashed = await hasher.rehash(await made(crossed), 'a password');
  assert.deepEqual(
    { ...parseOptions(rehashed) },
    {
      algorithm: 2,
      version: 1,
      memoryCost: 64,
      timeCost: 2,
      parallelism: 2,
      outputLen: 32,
      saltLen: 16,
    },
  );
  assert.equal(await hasher.verify(rehashed, 'a password'), true);
  assert.equal(hasher.needsRehash(rehashed), false);
  assert.equal(createPasswordHasher(crossed).needsRehash(rehashed), false);
});

test("a stored hash far stronger than today's (an import, a bad release) is brought down to a ceiling, not kept or raised", async () => {
  const today = { algorithm: 2 as const, memoryCost: 32, timeCost: 2, parallelism: 2 };
  const hasher = createPasswordHasher(today);
  // Every check of such a hash, a wrong password's too, costs what it says: kept for ever, an
  // account imported at 4 GiB made each attempt on it allocate 4 GiB (no argon2 run here: the
  // settings are read from the text alone).
  const salt = Buffer.alloc(16, 1).toString('base64').replace(/=+$/, '');
  const out = Buffer.alloc(32, 2).toString('base64').replace(/=+$/, '');
  const absurd = `$argon2id$v=19$m=4194304,t=1000,p=255$${salt}$${out}`;
  assert.equal(parseOptions(absurd).memoryCost, 4194304);
  assert.equal(hasher.needsRehash(absurd), true, 'an absurd hash is kept');
  // Far stronger in every setting: left as it was before.
  const far = await hash('a password', {
    ...today,
    memoryCost: 32 * 64,
    timeCost: 40,
    parallelism: 32,
  });
  assert.equal(hasher.needsRehash(far), true, "a hash 64 times today's memory is kept");
  // Crossed (far more memory, fewer passes): the per-setting maximum made it dearer still.
  const crossed = await hash('a password', { ...today, memoryCost: 32 * 64, timeCost: 1 });
  for (const stored of [far, crossed]) {
    const rehashed = await hasher.rehash(stored, 'a password');
    const got = parseOptions(rehashed);
    assert.ok(got.memoryCost <= today.memoryCost * 4, `memory ${got.memoryCost} KiB`);
    assert.ok(got.timeCost <= today.timeCost * 4, `passes ${got.timeCost}`);
    assert.ok(got.parallelism <= today.parallelism * 4, `lanes ${got.parallelism}`);
    assert.ok(got.memoryCost >= today.memoryCost && got.timeCost >= today.timeCost);
    assert.equal(await hasher.verify(rehashed, 'a password'), true);
    // Brought down once, then left.
    assert.equal(hasher.needsRehash(rehashed), false);
  }
});

test('instances at other settings side by side (a rollback): the hash is raised once, never lowered', async () => {
  const user = await signUp(before.app);
  assert.equal((await signIn(user.email, user.password)).statusCode, 200);
  const raisedHash = await storedHash(user.id);
  assert.equal(memoryOf(raisedHash), RAISED.memoryCost);
  for (const auth of [before, after, before]) {
    assert.equal((await signInOn(auth, user.email, user.password)).statusCode, 200);
    assert.equal(await storedHash(user.id), raisedHash);
  }
});

test('a rehash that cannot be computed: the sign-in succeeds, the old hash stays, the next one rehashes', async () => {
  const broken = await buildTestAuth(
    {},
    {
      replicaOf: before,
      passwordHasher: {
        ...raised,
        // argon2 could not allocate its memory, say.
        hash: async () => Promise.reject(new Error('memory allocation failed')),
        rehash: async () => Promise.reject(new Error('memory allocation failed')),
      },
    },
  );
  const user = await signUp(before.app);
  const old = await storedHash(user.id);
  const res = await signInOn(broken, user.email, user.password);
  assert.equal(res.statusCode, 200, res.body);
  assert.ok(res.json().access_token);
  assert.equal(await storedHash(user.id), old);
  const warned = broken.logs.lines.map((l) => JSON.parse(l)).filter((l) => l.level === 'warn');
  assert.deepEqual(
    warned.map((l) => [l.msg, l.user_id]),
    [['password rehash failed; the old hash is kept', user.id]],
  );
  assertNoSecretLogged(broken, user.password);
  assert.equal((await signIn(user.email, user.password)).statusCode, 200);
  assert.equal(memoryOf(await storedHash(user.id)), RAISED.memoryCost);
});

test('a rehash whose write fails (a serialization failure): the sign-in succeeds, the old hash stays', async () => {
  const user = await signUp(before.app);
  const old = await storedHash(user.id);
  // A real failure of the update, from the database: the id is a uuid the test just made.
  await sql(
    before.databaseUrl,
    `create function refuse_rehash() returns trigger language plpgsql as $$ begin
       raise exception 'could not serialize access due to concurrent update' using errcode = '40001';
     end $$;
     create trigger refuse_rehash before update of password_hash on users for each row
       when (old.id = '${user.id}') execute function refuse_rehash()`,
  );
  const warnings = () =>
    after.logs.lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.level === 'warn' && l.user_id === user.id);
  try {
    const res = await signIn(user.email, user.password);
    assert.equal(res.statusCode, 200, res.body);
    // The session is there: its refresh token works.
    const refreshed = await after.app.inject({
      method: 'POST',
      url: '/accounts/v1/refresh',
      payload: { refresh_token: res.json().refresh_token },
    });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    assert.equal(await storedHash(user.id), old);
    assert.deepEqual(
      warnings().map((l) => [l.msg, l.error.code]),
      [['password rehash failed; the old hash is kept', '40001']],
    );
  } finally {
    await sql(before.databaseUrl, 'drop function refuse_rehash cascade');
  }
  assertNoSecretLogged(after, user.password);
  // The next sign-in tries again.
  assert.equal((await signIn(user.email, user.password)).statusCode, 200);
  assert.equal(memoryOf(await storedHash(user.id)), RAISED.memoryCost);
});

test('a wrong password leaves the old hash as it was', async () => {
  const user = await signUp(before.app);
  const old = await storedHash(user.id);
  assert.equal((await signIn(user.email, `${user.password}!`)).statusCode, 401);
  assert.equal(await storedHash(user.id), old);
});

test('two sign-ins at once that both checked the old hash both succeed; one rehash is stored', async () => {
  const user = await signUp(before.app);
  racing.userId = user.id;
  racing.on = true;
  try {
    const [a, b] = await Promise.all([
      signIn(user.email, user.password),
      signIn(user.email, user.password),
    ]);
    assert.deepEqual([a.statusCode, b.statusCode], [200, 200], `${a.body} ${b.body}`);
  } finally {
    racing.on = false;
  }
  assert.equal(memoryOf(await storedHash(user.id)), RAISED.memoryCost);
  // The loser's second check ran with the row unlocked and its transaction ended: under the lock
  // (an argon2 check, tens of ms in production), every sign-in of the account queued behind it
  // held a pooled connection meanwhile (ten of them took the whole pool).
  assert.deepEqual(racing.rechecksUnderLock, [false]);
});

test('a wrong password for an account hashed at older settings takes as long as an unknown account', async () => {
  // Settings raised in a release: until an account signs in again its hash is checked at its old,
  // cheaper cost. Its wrong passwords were refused that much sooner than an unknown account's
  // (a check at today's cost), which told the accounts that exist from those that do not.
  const production = await buildTestAuth({}, { replicaOf: before, productionHashing: true });
  const users = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(() => signUp(before.app)));
  const cpuOf = async (email: string) => {
    const started = process.cpuUsage();
    const res = await production.app.inject({
      method: 'POST',
      url: '/accounts/v1/login',
      payload: { email, password: 'guess number one' },
    });
    const { user, system } = process.cpuUsage(started);
    assert.equal(res.statusCode, 401);
    return (user + system) / 1000;
  };
  // Warm up both paths (the first unknown login also prepares the dummy hash).
  await cpuOf('warm-up@example.com');
  await cpuOf(users[0]!.email);
  const unknown: number[] = [];
  const old: number[] = [];
  // Interleaved, each pair in the other order the next time, so a drift hits both alike.
  for (const [i, user] of users.slice(1).entries()) {
    const ghost = () => cpuOf(`rehash-ghost${i}@example.com`);
    const known = () => cpuOf(user.email);
    if (i % 2) {
      unknown.push(await ghost());
      old.push(await known());
    } else {
      old.push(await known());
      unknown.push(await ghost());
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
  const [a, b] = [median(unknown), median(old)];
  const seen = `median CPU: unknown ${a.toFixed(1)} ms, old-settings account ${b.toFixed(1)} ms`;
  // Without the argon2 check at today's cost, the old account's refusal cost under half as much
  // (the rest of either answer's work is a few database statements).
  assert.ok(b > a * 0.7 && b < a * 2, seen);
});

test('sign-ins rehashing the old password while it is changed: the new password stays, no old session survives', async () => {
  // Whoever holds the old password signs in over and over on the raised replica (each sign-in
  // rehashes, or finds another's rehash) while the owner changes the password on the other.
  let signedIn = 0;
  for (let round = 0; round < 3; round++) {
    const user = await signUp(before.app);
    let stopped = false;
    const got: { access: string; refresh: string }[] = [];
    const lane = async () => {
      while (!stopped) {
        const res = await signIn(user.email, user.password);
        if (res.statusCode === 200) {
          got.push({ access: res.json().access_token, refresh: res.json().refresh_token });
        }
      }
    };
    const lanes = Promise.all([lane(), lane(), lane()]);
    await new Promise((resolve) => setTimeout(resolve, 20 * round));
    const changed = await before.app.inject({
      method: 'POST',
      url: '/accounts/v1/change-password',
      payload: { current_password: user.password, new_password: 'another passphrase 77' },
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    assert.equal(changed.statusCode, 204, changed.body);
    await new Promise((resolve) => setTimeout(resolve, 50));
    stopped = true;
    await lanes;
    // No rehash of the old password overwrote the change (the lanes' refusals since have locked
    // the sign-ins of the account: the stored hash is checked directly).
    const stored = await storedHash(user.id);
    assert.equal(await raised.verify(stored, 'another passphrase 77'), true);
    assert.equal(await raised.verify(stored, user.password), false);
    for (const pair of got) {
      const refreshed = await after.app.inject({
        method: 'POST',
        url: '/accounts/v1/refresh',
        payload: { refresh_token: pair.refresh },
      });
      assert.equal(refreshed.statusCode, 401, 'an old-password session outlived the change');
    }
    signedIn += got.length;
  }
  assert.ok(signedIn > 0, 'sign-ins with the old password went through before it changed');
});
