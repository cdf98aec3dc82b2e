import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeAt } from '../src/second-factor/totp.ts';
import {
  bearer,
  buildTestAuth,
  enrolledUser,
  finishMfa,
  login,
  mfaChallenge,
  revokedWhileWaiting,
  SERVICE_TOKEN,
  signUp,
  sql,
  startTotpEnrolment,
} from './helper.ts';

/** Attacks on regenerating recovery codes and on the admin MFA reset. */
const ADMIN = { email: 'root@example.com', password: 'mfa attack admin passphrase 9' };
const auth = await buildTestAuth({
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  LOGIN_MAX_FAILURES_PER_ACCOUNT: '8',
  // Wrong codes meet a ceiling of their own.
  MFA_MAX_FAILURES_PER_ACCOUNT: '8',
});
const { app } = auth;

async function enrolled() {
  // Verified with the previous step's code: the current one stays unspent for the replay tests.
  const user = await enrolledUser(app, { codeAgoMs: 30_000 });
  // The TOTP secret and the recovery codes are secrets no cache may keep.
  assert.equal(user.answers.started.headers['cache-control'], 'no-store');
  assert.equal(user.answers.verified.headers['cache-control'], 'no-store');
  return user;
}

const challenge = (email: string, password: string) => mfaChallenge(app, email, password);
const finish = (payload: object) => finishMfa(app, payload);
const regenerate = (user: { accessToken: string }, payload: object) =>
  app.inject({
    method: 'POST',
    url: '/accounts/v1/user/mfa/recovery-codes',
    headers: bearer(user.accessToken),
    payload,
  });
const reset = (id: string, token: string) =>
  app.inject({
    method: 'DELETE',
    url: `/accounts/v1/users/${id}/mfa`,
    headers: bearer(token),
    payload: { current_password: ADMIN.password },
  });

test('a TOTP code spent at /login/mfa cannot be replayed to regenerate recovery codes', async () => {
  const user = await enrolled();
  const code = codeAt(user.secret);
  const signedIn = await finish({ mfa_token: await challenge(user.email, user.password), code });
  assert.equal(signedIn.statusCode, 200, signedIn.body);
  const replay = await regenerate(
    { accessToken: signedIn.json().access_token },
    { current_password: user.password, code },
  );
  assert.equal(replay.statusCode, 403, replay.body);
  assert.equal(replay.json().code, 'mfa_code_incorrect');
  const earlier = await regenerate(user, {
    current_password: user.password,
    code: codeAt(user.secret, Date.now() - 30_000),
  });
  assert.equal(earlier.statusCode, 403, 'an older step is refused too');
});

test('an mfa_token, a padded or an odd code are not TOTP codes', async () => {
  const user = await enrolled();
  const mfaToken = await challenge(user.email, user.password);
  for (const code of [
    mfaToken,
    `${codeAt(user.secret, Date.now() + 30_000)}\u0000`,
    '１２３４５６',
  ]) {
    const res = await regenerate(user, { current_password: user.password, code });
    assert.ok([400, 403].includes(res.statusCode), res.body);
  }
  const extra = await regenerate(user, {
    current_password: user.password,
    code: codeAt(user.secret, Date.now() + 30_000),
    recovery_code: user.recoveryCodes[0],
  });
  // Unknown fields are dropped platform-wide (removeAdditional): the TOTP code is what counted.
  assert.equal(extra.statusCode, 200, extra.body);
  const old = await finish({
    mfa_token: await challenge(user.email, user.password),
    recovery_code: user.recoveryCodes[0],
  });
  assert.equal(old.statusCode, 401, 'the recovery code in the extra field was not spent nor kept');
});

test('recovery codes are answered with Cache-Control: no-store', async () => {
  const user = await enrolled();
  const res = await regenerate(user, {
    current_password: user.password,
    code: codeAt(user.secret, Date.now() + 30_000),
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['cache-control'], 'no-store');
});

test('two regenerations at once leave exactly one set of ten codes', async () => {
  const user = await enrolled();
  const [a, b] = await Promise.all([
    regenerate(user, { current_password: user.password, code: codeAt(user.secret) }),
    regenerate(user, {
      current_password: user.password,
      code: codeAt(user.secret, Date.now() + 30_000),
    }),
  ]);
  assert.ok(a.statusCode < 500 && b.statusCode < 500, `${a.body} ${b.body}`);
  const rows = await sql(
    auth.databaseUrl,
    'select count(*)::int as n from recovery_codes where user_id = $1 and used_at is null',
    [user.id],
  );
  assert.equal(rows[0].n, 10);
});

test('an admin reset ends a pending mfa_token; a demoted admin or a service token cannot reset', async () => {
  const admin = await login(app, ADMIN.email, ADMIN.password);
  const user = await enrolled();
  const pending = await challenge(user.email, user.password);
  const svc = await reset(user.id, SERVICE_TOKEN);
  assert.equal(svc.statusCode, 401, svc.body);

  // A second admin whose role is taken away in the database while their token still says admin.
  const other = await signUp(app);
  await sql(auth.databaseUrl, "insert into user_roles (user_id, role) values ($1, 'admin')", [
    other.id,
  ]);
  const otherAdmin = await login(app, other.email, other.password);
  await sql(auth.databaseUrl, "delete from user_roles where user_id = $1 and role = 'admin'", [
    other.id,
  ]);
  const demoted = await reset(user.id, otherAdmin.accessToken);
  assert.equal(demoted.statusCode, 403, demoted.body);

  const res = await reset(user.id, admin.accessToken);
  assert.equal(res.statusCode, 204, res.body);
  const late = await finish({ mfa_token: pending, code: codeAt(user.secret, Date.now() + 30_000) });
  assert.equal(late.statusCode, 401, late.body);
  assert.equal(late.json().code, 'invalid_mfa_token');
  const logs = JSON.stringify(await sql(auth.databaseUrl, 'select details from audit_events'));
  for (const code of user.recoveryCodes) assert.ok(!logs.includes(code));
});

test('a regeneration racing an admin reset leaves no recovery code behind', async () => {
  const admin = await login(app, ADMIN.email, ADMIN.password);
  for (let i = 0; i < 3; i++) {
    const user = await enrolled();
    const [r, d] = await Promise.all([
      regenerate(user, {
        current_password: user.password,
        code: codeAt(user.secret, Date.now() + 30_000),
      }),
      reset(user.id, admin.accessToken),
    ]);
    assert.ok(r.statusCode < 500 && d.statusCode < 500, `${r.body} ${d.body}`);
    assert.equal(d.statusCode, 204, d.body);
    const rows = await sql(auth.databaseUrl, 'select 1 from recovery_codes where user_id = $1', [
      user.id,
    ]);
    assert.deepEqual(rows, []);
  }
});

test('a disable with a recovery code racing an admin reset is no 500', async () => {
  const admin = await login(app, ADMIN.email, ADMIN.password);
  for (let i = 0; i < 4; i++) {
    const user = await enrolled();
    const [r, d] = await Promise.all([
      app.inject({
        method: 'DELETE',
        url: '/accounts/v1/user/mfa/totp',
        headers: bearer(user.accessToken),
        payload: { current_password: user.password, code: user.recoveryCodes[0] },
      }),
      reset(user.id, admin.accessToken),
    ]);
    assert.ok(
      r.statusCode < 500 && d.statusCode < 500,
      `${r.statusCode} ${r.body} ${d.statusCode} ${d.body}`,
    );
  }
});

test('a regeneration racing a disable with a recovery code is no 500', async () => {
  for (let i = 0; i < 8; i++) {
    const user = await enrolled();
    const [r, d] = await Promise.all([
      regenerate(user, {
        current_password: user.password,
        code: codeAt(user.secret, Date.now() + 30_000),
      }),
      app.inject({
        method: 'DELETE',
        url: '/accounts/v1/user/mfa/totp',
        headers: bearer(user.accessToken),
        payload: { current_password: user.password, code: user.recoveryCodes[0] },
      }),
    ]);
    assert.ok(
      r.statusCode < 500 && d.statusCode < 500,
      `${i} ${r.statusCode} ${r.body} ${d.statusCode} ${d.body}`,
    );
  }
});

test('odd ids and bodies are 4xx, never 500', async () => {
  const admin = await login(app, ADMIN.email, ADMIN.password);
  const user = await enrolled();
  const odd = [
    `${user.id.toUpperCase()}x`,
    '%00',
    `${user.id}%00`,
    'a'.repeat(5000),
    '00000000-0000-0000-0000-000000000000',
    `${user.id}%20`,
  ];
  for (const id of odd) {
    const res = await reset(id, admin.accessToken);
    assert.ok(
      res.statusCode >= 400 && res.statusCode < 500,
      `${id}: ${res.statusCode} ${res.body}`,
    );
  }
  for (const payload of ['[]', '"x"', '{', 'null']) {
    const res = await app.inject({
      method: 'POST',
      url: '/accounts/v1/user/mfa/recovery-codes',
      headers: { ...bearer(user.accessToken), 'content-type': 'application/json' },
      payload,
    });
    assert.equal(res.statusCode, 400, `${payload}: ${res.body}`);
  }
  const nul = await regenerate(user, {
    current_password: `${user.password}\u0000`,
    code: '123456',
  });
  assert.equal(nul.statusCode, 400, nul.body);
});

test('wrong codes from elsewhere do not lock the owner out at an address they signed in from', async () => {
  const user = await enrolled();
  const wrong = (at: number) => (codeAt(user.secret, at) === '000000' ? '111111' : '000000');
  let refused = 0;
  for (const remoteAddress of ['203.0.113.7', '203.0.113.8', '203.0.113.9']) {
    for (let i = 0; i < 5; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/accounts/v1/user/mfa/recovery-codes',
        headers: bearer(user.accessToken),
        payload: { current_password: user.password, code: wrong(Date.now()) },
        remoteAddress,
      });
      assert.ok([403, 429].includes(res.statusCode), res.body);
      if (res.statusCode === 429) refused++;
    }
  }
  assert.ok(refused > 0, 'the stranger is stopped');
  const signIn = await finish({
    mfa_token: await challenge(user.email, user.password),
    code: codeAt(user.secret),
  });
  assert.equal(signIn.statusCode, 200, signIn.body);
  const res = await regenerate(user, {
    current_password: user.password,
    code: codeAt(user.secret, Date.now() + 30_000),
  });
  assert.equal(res.statusCode, 200, res.body);
});

test('a regeneration refused by the throttle is audited as rate_limited', async () => {
  const user = await enrolled();
  const wrong = codeAt(user.secret, Date.now() + 30_000) === '000000' ? '111111' : '000000';
  let refused = false;
  for (let i = 0; i < 10 && !refused; i++) {
    const res = await regenerate(user, { current_password: user.password, code: wrong });
    refused = res.statusCode === 429;
  }
  assert.ok(refused);
  const rows = await sql(
    auth.databaseUrl,
    "select details from audit_events where user_id = $1 and type = 'login.failed'",
    [user.id],
  );
  const reasons = rows.map((r) => `${r.details.reason}:${r.details.during}`);
  assert.ok(reasons.includes('rate_limited:mfa.recovery_codes_regenerate'), reasons.join(', '));
  assert.ok(reasons.includes('invalid_mfa_code:mfa.recovery_codes_regenerate'));
});

test('the owner is told an administrator turned MFA off and signed them out, not "if you did not do this"', async () => {
  const admin = await login(app, ADMIN.email, ADMIN.password);
  const user = await enrolled();
  const before = (await auth.mails()).length;
  assert.equal((await reset(user.id, admin.accessToken)).statusCode, 204);
  const raw = (await auth.mails()).slice(before).find((m) => m.includes(user.email));
  assert.ok(raw, 'the owner is mailed');
  // Quoted-printable soft line breaks and wrapped lines joined, to read the text as sent.
  const mail = raw.replace(/=\r?\n/g, '').replace(/\s+/g, ' ');
  assert.match(mail, /Two-factor sign-in is off/);
  assert.match(mail, /administrator/);
  assert.match(mail, /signed you out/);
  assert.doesNotMatch(mail, /If you did not do this/);
  assert.ok(!mail.includes(ADMIN.email), 'the admin is not named to the user');
});

// The passkey registration checks its session again under the user's lock; MFA changes did not: a
// session signed out by a password reset that committed while its request waited went on to turn
// MFA on with the factor it had started (its holder's authenticator then guards the owner's
// account), or to take fresh recovery codes in place of the owner's.
test('an MFA change whose session is revoked while it waits for the user is refused with 401', async () => {
  const user = await signUp(app);
  const { secret } = await startTotpEnrolment(app, user);
  const enable = await revokedWhileWaiting(auth.databaseUrl, user.id, () =>
    app.inject({
      method: 'POST',
      url: '/accounts/v1/user/mfa/totp/verify',
      headers: bearer(user.accessToken),
      payload: { code: codeAt(secret) },
    }),
  );
  assert.equal(
    enable.statusCode,
    401,
    enable.body + auth.logs.lines.filter((l) => l.includes('unhandled')).join('\n'),
  );
  const [row] = await sql(auth.databaseUrl, 'select mfa_enabled from users where id = $1', [
    user.id,
  ]);
  assert.equal(row.mfa_enabled, false);

  const owner = await enrolled();
  const before = await sql(
    auth.databaseUrl,
    'select code_hash from recovery_codes where user_id = $1 order by 1',
    [owner.id],
  );
  const regenerated = await revokedWhileWaiting(auth.databaseUrl, owner.id, () =>
    regenerate(owner, { current_password: owner.password, code: codeAt(owner.secret) }),
  );
  assert.equal(regenerated.statusCode, 401, regenerated.body);
  const after = await sql(
    auth.databaseUrl,
    'select code_hash from recovery_codes where user_id = $1 order by 1',
    [owner.id],
  );
  assert.deepEqual(after, before);
});
