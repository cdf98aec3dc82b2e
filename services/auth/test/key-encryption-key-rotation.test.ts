import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { App } from '@platform/http';
import { openDatabase } from '../src/db/index.ts';
import { createSealer, decodeKeyEncryptionKey, keyIdOf, SealError } from '../src/keys/sealing.ts';
import { resealAll } from '../src/reseal/service.ts';
import { codeAt } from '../src/second-factor/totp.ts';
import {
  bearer,
  buildTestAuth,
  enrolledUser,
  finishMfa,
  signUp,
  sql,
  type TestAuth,
} from './helper.ts';

const newKey = () => randomBytes(32).toString('base64url');
const idOf = (key: string) => keyIdOf(decodeKeyEncryptionKey(key));

/** Every sealed value in the database with the context it was sealed for. */
async function sealedValues(databaseUrl: string) {
  const keys = await sql(databaseUrl, 'select kid, private_key_sealed from signing_keys');
  const totp = await sql(databaseUrl, 'select user_id, secret_sealed from totp_factors');
  return [
    ...keys.map((r) => ({ sealed: r.private_key_sealed as string, context: r.kid as string })),
    ...totp.map((r) => ({ sealed: r.secret_sealed as string, context: `totp:${r.user_id}` })),
  ];
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The value of a metric's series for one table, from /metrics. */
async function metric(app: App, name: string, table: string) {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  const line = res.body
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && l.includes(`table="${table}"`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/** Signs in with password and a TOTP code made at `time`; the status of the second step. */
async function mfaLogin(
  app: App,
  user: { email: string; password: string; secret: string },
  time: number,
) {
  const first = await app.inject({
    method: 'POST',
    url: '/accounts/v1/login',
    payload: { email: user.email, password: user.password },
  });
  assert.equal(first.statusCode, 200, first.body);
  return finishMfa(app, { mfa_token: first.json().mfa_token, code: codeAt(user.secret, time) });
}

test('sealed text names its key by a hash; v1 values open under a previous key', () => {
  const a = newKey();
  const b = newKey();
  const sealed = createSealer(a).seal('secret', 'ctx');
  assert.match(sealed, new RegExp(`^v2\\.${idOf(a).replace(/[-]/g, '\\-')}\\.[A-Za-z0-9_-]+$`));
  assert.ok(!sealed.includes(a));
  assert.equal(createSealer(b, [a]).open(sealed, 'ctx'), 'secret');
  assert.throws(() => createSealer(b).open(sealed, 'ctx'), SealError);
  assert.throws(() => createSealer(b, [a]).open(sealed, 'other'), SealError);
  assert.equal(createSealer(b, [a]).isCurrent(sealed), false);
  assert.equal(createSealer(a).isCurrent(sealed), true);
  // A value in the form written before key ids existed (v1, no id): current key first, then previous.
  const [, data] = sealed.split('.').slice(1);
  const v1 = `v1.${data}`;
  assert.equal(createSealer(a).open(v1, 'ctx'), 'secret');
  assert.equal(createSealer(b, [newKey(), a]).open(v1, 'ctx'), 'secret');
  assert.throws(() => createSealer(b, [newKey()]).open(v1, 'ctx'), SealError);
});

test('rotation: current B with previous A opens everything, re-seals it under B, then B alone suffices', async () => {
  const a = newKey();
  const b = newKey();
  const before = await buildTestAuth({ KEY_ENCRYPTION_KEY: a });
  const user = await enrolledUser(before.app, { codeAgoMs: 30_000 });
  const other = await signUp(before.app);
  const sealedUnderA = await sealedValues(before.databaseUrl);
  assert.ok(sealedUnderA.length >= 2);
  for (const { sealed } of sealedUnderA) assert.ok(sealed.startsWith(`v2.${idOf(a)}.`));

  const rotated = await buildTestAuth(
    { KEY_ENCRYPTION_KEY: b, KEY_ENCRYPTION_KEY_PREVIOUS: ` ${newKey()}, ${a} ` },
    { replicaOf: before },
  );
  await until('the re-seal pass', async () =>
    (await sealedValues(rotated.databaseUrl)).every((v) => v.sealed.startsWith(`v2.${idOf(b)}.`)),
  );
  await until('the pass to report', () => /re-sealed \d+ values/.test(rotated.logs.text()));
  const line = rotated.logs.lines.map((l) => JSON.parse(l)).find((l) => /re-sealed/.test(l.msg));
  assert.equal(line.resealed, sealedUnderA.length);
  assert.ok(!rotated.logs.text().includes(user.secret));
  assert.equal(await metric(rotated.app, 'auth_sealed_values_pending', 'totp_factors'), 0);
  assert.equal(await metric(rotated.app, 'auth_sealed_values_pending', 'signing_keys'), 0);

  const onlyB = createSealer(b);
  const after = await sealedValues(rotated.databaseUrl);
  for (const { sealed, context } of after) onlyB.open(sealed, context);
  const totp = after.find((v) => v.context === `totp:${user.id}`)!;
  assert.equal(onlyB.open(totp.sealed, totp.context), user.secret);

  // The previous key can go: a replica with B alone starts, signs, verifies and checks codes.
  const bAlone = await buildTestAuth({ KEY_ENCRYPTION_KEY: b }, { replicaOf: before });
  for (const auth of [rotated, bAlone]) {
    const me = await auth.app.inject({
      url: '/accounts/v1/user',
      headers: bearer(other.accessToken),
    });
    assert.equal(me.statusCode, 200, 'a token signed before the rotation still verifies');
  }
  const viaRotated = await mfaLogin(rotated.app, user, Date.now());
  assert.equal(viaRotated.statusCode, 200, viaRotated.body);
  const viaBAlone = await mfaLogin(bAlone.app, user, Date.now() + 30_000);
  assert.equal(viaBAlone.statusCode, 200, viaBAlone.body);
  const me = await bAlone.app.inject({
    url: '/accounts/v1/user',
    headers: bearer(viaBAlone.json().access_token),
  });
  assert.equal(me.statusCode, 200);
});

test('two re-seal passes at once re-seal each value exactly once and lose nothing', async () => {
  const a = newKey();
  const b = newKey();
  const auth = await buildTestAuth({ KEY_ENCRYPTION_KEY: a });
  const users = [];
  for (let i = 0; i < 3; i += 1) users.push(await enrolledUser(auth.app));
  // More rows to race over: factors of their own for 40 more users, sealed under A. Rows, not
  // sign-ups: what is re-sealed is the factor, and 40 sign-ups were 80 password hashes.
  const sealerA = createSealer(a);
  const secrets = new Map(users.map((u) => [u.id, u.secret]));
  const fresh = await sql(
    auth.databaseUrl,
    `insert into users (email, username)
     select 'reseal' || i || '@example.com', 'reseal' || i from generate_series(1, 40) i
     returning id`,
  );
  const ids = fresh.map((row) => row.id as string);
  const sealed = ids.map((id) => {
    const secret = randomBytes(20).toString('hex');
    secrets.set(id, secret);
    return sealerA.seal(secret, `totp:${id}`);
  });
  await sql(
    auth.databaseUrl,
    'insert into totp_factors (user_id, secret_sealed) select * from unnest($1::uuid[], $2::text[])',
    [ids, sealed],
  );
  const total = (await sealedValues(auth.databaseUrl)).length;

  const one = await openDatabase(auth.databaseUrl);
  const two = await openDatabase(auth.databaseUrl);
  try {
    const reports = await Promise.all([
      resealAll(one.db, createSealer(b, [a]), { batchSize: 3 }),
      resealAll(two.db, createSealer(b, [a]), { batchSize: 5 }),
    ]);
    assert.equal(reports[0].resealed + reports[1].resealed, total);
    for (const report of reports) assert.deepEqual(report.unopenable, []);
    const again = await resealAll(one.db, createSealer(b, [a]));
    assert.equal(again.resealed, 0, 'a second pass finds nothing to do');
    assert.deepEqual(again.pending, { signing_keys: 0, totp_factors: 0 });
  } finally {
    await one.close();
    await two.close();
  }
  const onlyB = createSealer(b);
  const after = await sealedValues(auth.databaseUrl);
  assert.equal(after.length, total);
  for (const { sealed, context } of after) {
    const plaintext = onlyB.open(sealed, context);
    const userId = context.replace(/^totp:/, '');
    if (secrets.has(userId)) assert.equal(plaintext, secrets.get(userId));
  }
});

test('a value no configured key opens is reported by table and id, left alone, and the service runs on', async () => {
  const b = newKey();
  const lost = newKey();
  const first = await buildTestAuth({ KEY_ENCRYPTION_KEY: b });
  const victim = await signUp(first.app);
  const bystander = await signUp(first.app);
  const sealedLost = createSealer(lost).seal('JBSWY3DPEHPK3PXP', `totp:${victim.id}`);
  await sql(
    first.databaseUrl,
    'insert into totp_factors (user_id, secret_sealed) values ($1, $2)',
    [victim.id, sealedLost],
  );

  // A wrong previous key, and none at all: the same report either way.
  const runs: TestAuth[] = [];
  for (const env of [{ KEY_ENCRYPTION_KEY_PREVIOUS: newKey() }, {}] as Record<string, string>[]) {
    const auth = await buildTestAuth({ KEY_ENCRYPTION_KEY: b, ...env }, { replicaOf: first });
    runs.push(auth);
    await until('the report', () => /open under no configured key/.test(auth.logs.text()));
    const report = auth.logs.lines
      .map((l) => JSON.parse(l))
      .find((l) => /open under no configured key/.test(l.msg));
    assert.equal(report.level, 'error');
    assert.match(report.msg, /^1 sealed values open under no configured key/);
    assert.deepEqual(report.unopenable, [{ table: 'totp_factors', id: victim.id }]);
    assert.ok(!auth.logs.text().includes(sealedLost), 'the sealed value is not logged');
    assert.equal(await metric(auth.app, 'auth_sealed_values_unopenable', 'totp_factors'), 1);
    assert.equal(await metric(auth.app, 'auth_sealed_values_pending', 'totp_factors'), 1);
    const me = await auth.app.inject({
      url: '/accounts/v1/user',
      headers: bearer(bystander.accessToken),
    });
    assert.equal(me.statusCode, 200, 'the service keeps serving');
  }
  const [row] = await sql(
    first.databaseUrl,
    'select secret_sealed from totp_factors where user_id = $1',
    [victim.id],
  );
  assert.equal(row.secret_sealed, sealedLost, 'left as it was');
  assert.equal(runs.length, 2);
});

test('with several replicas the new key goes out readable first: a replica on the old key then reads what the new ones re-seal', async () => {
  const a = newKey();
  const b = newKey();
  const old = await buildTestAuth({ KEY_ENCRYPTION_KEY: a });
  const user = await enrolledUser(old.app, { codeAgoMs: 30_000 });
  // Phase one: the old key still seals, the new one only opens.
  const readable = await buildTestAuth(
    { KEY_ENCRYPTION_KEY: a, KEY_ENCRYPTION_KEY_PREVIOUS: b },
    { replicaOf: old },
  );
  // Phase two, one replica at a time: the new key seals and the pass re-seals everything.
  const rotated = await buildTestAuth(
    { KEY_ENCRYPTION_KEY: b, KEY_ENCRYPTION_KEY_PREVIOUS: a },
    { replicaOf: old },
  );
  await until('the re-seal pass', async () =>
    (await sealedValues(rotated.databaseUrl)).every((v) => v.sealed.startsWith(`v2.${idOf(b)}.`)),
  );
  // A phase-one replica, not yet replaced, still checks codes (and could restart).
  const viaReadable = await mfaLogin(readable.app, user, Date.now());
  assert.equal(viaReadable.statusCode, 200, viaReadable.body);
  // One on the old settings alone does not: why the runbook has the first phase.
  const viaOld = await mfaLogin(old.app, user, Date.now() + 30_000);
  assert.equal(viaOld.statusCode, 401, viaOld.body);
});
