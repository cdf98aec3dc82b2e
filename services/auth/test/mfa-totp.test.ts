import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { codeAt, matchingStep } from '../src/second-factor/totp.ts';
import {
  bearer,
  buildTestAuth,
  enrolledUser,
  finishMfa,
  mfaChallenge,
  signUp,
  sql,
} from './helper.ts';

const auth = await buildTestAuth({ MFA_CHALLENGE_TTL: '2' });
const { app } = auth;

const enrolled = () => enrolledUser(app);

const challenge = (email: string, password: string) => mfaChallenge(app, email, password);
const finish = (payload: object) => finishMfa(app, payload);

test('RFC 6238: a code of this step or one step either side matches; two steps off does not', () => {
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const now = 1_800_000_015_000;
  const step = Math.floor(now / 30_000);
  assert.equal(matchingStep(secret, codeAt(secret, now), now), step);
  assert.equal(matchingStep(secret, codeAt(secret, now - 30_000), now), step - 1);
  assert.equal(matchingStep(secret, codeAt(secret, now + 30_000), now), step + 1);
  assert.equal(matchingStep(secret, codeAt(secret, now - 60_000), now), undefined);
  assert.equal(matchingStep(secret, codeAt(secret, now + 60_000), now), undefined);
  assert.equal(matchingStep(secret, 'abcdef', now), undefined);
  // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits), so 287082 with 6.
  assert.equal(codeAt('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59_000), '287082');
});

test('the secret is sealed at rest and recovery codes are kept only as hashes', async () => {
  const user = await enrolled();
  const [factor] = await sql(
    auth.databaseUrl,
    'select secret_sealed, verified_at from totp_factors where user_id = $1',
    [user.id],
  );
  assert.ok(factor.verified_at);
  assert.match(factor.secret_sealed, /^v2\.[A-Za-z0-9_-]{11}\./);
  assert.ok(!factor.secret_sealed.includes(user.secret));
  const codes = await sql(
    auth.databaseUrl,
    'select code_hash from recovery_codes where user_id = $1',
    [user.id],
  );
  assert.equal(codes.length, 10);
  for (const { code_hash } of codes) {
    assert.equal((code_hash as Buffer).length, 32);
    for (const code of user.recoveryCodes) assert.ok(!(code_hash as Buffer).includes(code));
  }
  // Copied onto another user's row, the sealed secret does not open: codes from it fail there.
  const other = await enrolled();
  await sql(auth.databaseUrl, 'update totp_factors set secret_sealed = $1 where user_id = $2', [
    factor.secret_sealed,
    other.id,
  ]);
  const res = await finish({
    mfa_token: await challenge(other.email, other.password),
    code: codeAt(user.secret, Date.now() + 30_000),
  });
  assert.equal(res.statusCode, 401);
  assert.match(auth.logs.text(), /TOTP secret does not open/);
});

test('the code that turned MFA on signs in once (enabling and signing in within one step)', async () => {
  const { email, password, code } = await enrolledUser(app);
  const first = await finish({ mfa_token: await challenge(email, password), code });
  assert.equal(first.statusCode, 200, first.body);
  const again = await finish({ mfa_token: await challenge(email, password), code });
  assert.equal(again.statusCode, 401, 'a code signs in once');
});

/** MFA turned on with the code of `offsetMs` from now; the user, the secret and that code. */
const enrolWith = (offsetMs: number) => enrolledUser(app, { codeAgoMs: -offsetMs });

test('the code that turned MFA on signs in once more, but never turns MFA off or makes new recovery codes (RFC 6238 §5.2)', async () => {
  const user = await enrolWith(30_000);
  const regenerated = await app.inject({
    method: 'POST',
    url: '/accounts/v1/user/mfa/recovery-codes',
    headers: bearer(user.accessToken),
    payload: { current_password: user.password, code: user.code },
  });
  assert.equal(regenerated.statusCode, 403, regenerated.body);
  const disable = await app.inject({
    method: 'DELETE',
    url: '/accounts/v1/user/mfa/totp',
    headers: bearer(user.accessToken),
    payload: { current_password: user.password, code: user.code },
  });
  assert.equal(disable.statusCode, 403, disable.body);
  // The refusals spent nothing: the first sign-in still has its allowance, once.
  const signIn = await finish({
    mfa_token: await challenge(user.email, user.password),
    code: user.code,
  });
  assert.equal(signIn.statusCode, 200, signIn.body);
  const again = await finish({
    mfa_token: await challenge(user.email, user.password),
    code: user.code,
  });
  assert.equal(again.statusCode, 401, again.body);
});

test('two sign-ins racing with the code that turned MFA on: exactly one wins', async () => {
  const user = await enrolWith(30_000);
  const tokens = await Promise.all([
    challenge(user.email, user.password),
    challenge(user.email, user.password),
  ]);
  const results = await Promise.all(
    tokens.map((mfa_token) => finish({ mfa_token, code: user.code })),
  );
  assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 401]);
});

test('enrolment refuses a code two steps old and one from a secret asked for again', async () => {
  const user = await signUp(app);
  const start = async () => {
    const started = await app.inject({
      method: 'POST',
      url: '/accounts/v1/user/mfa/totp',
      headers: bearer(user.accessToken),
      payload: { current_password: user.password },
    });
    return (started.json() as { secret: string }).secret;
  };
  const verify = (code: string) =>
    app.inject({
      method: 'POST',
      url: '/accounts/v1/user/mfa/totp/verify',
      headers: bearer(user.accessToken),
      payload: { code },
    });
  const first = await start();
  const second = await start();
  assert.equal((await verify(codeAt(first, Date.now()))).statusCode, 403, 'replaced secret');
  assert.equal((await verify(codeAt(second, Date.now() - 60_000))).statusCode, 403, 'too old');
  assert.equal((await verify(codeAt(second, Date.now()))).statusCode, 200);
});

test('a code older than the one that turned MFA on is refused', async () => {
  // Turned on with the next step's code (an app a little ahead): this step's code is older.
  const user = await enrolWith(30_000);
  const older = await finish({
    mfa_token: await challenge(user.email, user.password),
    code: codeAt(user.secret, Date.now()),
  });
  assert.equal(older.statusCode, 401, older.body);
  const enrolling = await finish({
    mfa_token: await challenge(user.email, user.password),
    code: user.code,
  });
  assert.equal(enrolling.statusCode, 200, enrolling.body);
});

test('two requests racing with the same code: exactly one signs in', async () => {
  const user = await enrolled();
  const code = codeAt(user.secret, Date.now() + 30_000);
  const tokens = await Promise.all([
    challenge(user.email, user.password),
    challenge(user.email, user.password),
  ]);
  const results = await Promise.all(tokens.map((mfa_token) => finish({ mfa_token, code })));
  assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 401]);
});

test('the mfa_token expires (MFA_CHALLENGE_TTL) and belongs to its user only', async () => {
  const user = await enrolled();
  const other = await enrolled();
  const token = await challenge(user.email, user.password);
  // The other user's valid code does not complete this user's sign-in.
  const foreign = await finish({
    mfa_token: token,
    code: codeAt(other.secret, Date.now() + 30_000),
  });
  assert.equal(foreign.statusCode, 401);
  // Auth runs in this process and checks the expiry by its clock: moved 2.5 s on, not waited.
  mock.timers.enable({ apis: ['Date'], now: Date.now() + 2500 });
  try {
    const code = codeAt(user.secret, Date.now() + 30_000);
    const late = await finish({ mfa_token: token, code });
    assert.equal(late.statusCode, 401);
    assert.equal(late.json().code, 'invalid_mfa_token');
  } finally {
    mock.timers.reset();
  }
});

test('MFA changes, recovery codes and wrong codes are in the audit log', async () => {
  const user = await enrolled();
  const wrong = await finish({
    mfa_token: await challenge(user.email, user.password),
    code: '000000' === codeAt(user.secret) ? '111111' : '000000',
  });
  assert.equal(wrong.statusCode, 401);
  const recovered = await finish({
    mfa_token: await challenge(user.email, user.password),
    recovery_code: user.recoveryCodes[0],
  });
  assert.equal(recovered.statusCode, 200);
  const off = await app.inject({
    method: 'DELETE',
    url: '/accounts/v1/user/mfa/totp',
    headers: bearer(user.accessToken),
    payload: { current_password: user.password, code: user.recoveryCodes[1] },
  });
  assert.equal(off.statusCode, 204, off.body);
  const events = await app.inject({
    method: 'GET',
    url: '/accounts/v1/user/audit-events',
    headers: bearer(user.accessToken),
  });
  const items = events.json().items as { type: string; details: Record<string, unknown> }[];
  const types = items.map((e) => e.type);
  for (const type of ['mfa.enabled', 'mfa.disabled', 'mfa.recovery_code_used', 'login.succeeded']) {
    assert.ok(types.includes(type), `${type} in ${types.join(', ')}`);
  }
  assert.ok(
    items.some((e) => e.type === 'login.failed' && e.details.reason === 'invalid_mfa_code'),
    'a wrong code is a failed sign-in',
  );
  assert.ok(
    items.some((e) => e.type === 'login.succeeded' && e.details.second_factor === 'recovery_code'),
  );
  assert.doesNotMatch(JSON.stringify(items), new RegExp(user.recoveryCodes[0]!), 'no codes kept');
});

const regenerate = (user: { accessToken: string }, payload: object) =>
  app.inject({
    method: 'POST',
    url: '/accounts/v1/user/mfa/recovery-codes',
    headers: bearer(user.accessToken),
    payload,
  });

test('regenerating recovery codes: the old ones stop working, each new one works once', async () => {
  const user = await enrolled();
  const res = await regenerate(user, {
    current_password: user.password,
    code: codeAt(user.secret, Date.now() + 30_000),
  });
  assert.equal(res.statusCode, 200, res.body);
  const fresh = res.json().recovery_codes as string[];
  assert.equal(fresh.length, 10);
  assert.equal(new Set(fresh).size, 10);
  assert.ok(fresh.every((code) => !user.recoveryCodes.includes(code)));

  const old = await finish({
    mfa_token: await challenge(user.email, user.password),
    recovery_code: user.recoveryCodes[2],
  });
  assert.equal(old.statusCode, 401, 'an earlier code is refused');
  assert.equal(old.json().code, 'invalid_mfa_code');
  const mfaToken = await challenge(user.email, user.password);
  const first = await finish({ mfa_token: mfaToken, recovery_code: fresh[0] });
  assert.equal(first.statusCode, 200, first.body);
  assert.ok(first.json().access_token);
  const again = await finish({
    mfa_token: await challenge(user.email, user.password),
    recovery_code: fresh[0],
  });
  assert.equal(again.statusCode, 401, 'a new code works once');

  const stored = await sql(
    auth.databaseUrl,
    'select code_hash from recovery_codes where user_id = $1',
    [user.id],
  );
  assert.equal(stored.length, 10, 'only the new set is kept');
  for (const { code_hash } of stored) {
    for (const code of fresh) assert.ok(!(code_hash as Buffer).includes(code));
  }
  const events = await app.inject({
    method: 'GET',
    url: '/accounts/v1/user/audit-events',
    headers: bearer(user.accessToken),
  });
  const items = events.json().items as { type: string; actor_id: string }[];
  const event = items.find((e) => e.type === 'mfa.recovery_codes_regenerated');
  assert.ok(event, 'mfa.recovery_codes_regenerated is audited');
  assert.equal(event.actor_id, user.id);
  assert.doesNotMatch(JSON.stringify(items), new RegExp(fresh[1]!), 'no codes kept');
  const mails = await auth.mails();
  assert.ok(
    mails.some((m) => m.includes(user.email) && m.includes('New recovery codes were made')),
    'the owner is told',
  );
});

test('regenerating needs the password and a TOTP code: a recovery code is refused', async () => {
  const user = await enrolled();
  const code = codeAt(user.secret, Date.now() + 30_000);
  const withRecovery = await regenerate(user, {
    current_password: user.password,
    code: user.recoveryCodes[0],
  });
  assert.equal(withRecovery.statusCode, 403);
  assert.equal(withRecovery.json().code, 'mfa_code_incorrect');
  const wrongPassword = await regenerate(user, { current_password: 'not the password', code });
  assert.equal(wrongPassword.statusCode, 403);
  assert.equal(wrongPassword.json().code, 'current_password_incorrect');
  const noCode = await regenerate(user, { current_password: user.password });
  assert.equal(noCode.statusCode, 400);

  // Nothing changed: the refused recovery code was not spent, and every old code still works.
  const stored = await sql(
    auth.databaseUrl,
    'select count(*)::int as n from recovery_codes where user_id = $1 and used_at is null',
    [user.id],
  );
  assert.equal(stored[0].n, 10);
  const recovered = await finish({
    mfa_token: await challenge(user.email, user.password),
    recovery_code: user.recoveryCodes[0],
  });
  assert.equal(recovered.statusCode, 200, recovered.body);

  const types = (
    (
      await app.inject({
        method: 'GET',
        url: '/accounts/v1/user/audit-events',
        headers: bearer(user.accessToken),
      })
    ).json().items as { type: string; details: Record<string, unknown> }[]
  ).map((e) => `${e.type}:${e.details.during ?? ''}`);
  assert.ok(!types.some((t) => t.startsWith('mfa.recovery_codes_regenerated')));
  assert.ok(types.includes('login.failed:mfa.recovery_codes_regenerate'), types.join(', '));

  const plain = await signUp(app);
  const off = await regenerate(plain, { current_password: plain.password, code: '123456' });
  assert.equal(off.statusCode, 409);
  assert.equal(off.json().code, 'mfa_not_enabled');
});

test('wrong codes when regenerating count against the code throttle of the account', async () => {
  const user = await enrolled();
  const wrong = codeAt(user.secret, Date.now() + 30_000) === '000000' ? '111111' : '000000';
  let refused: { statusCode: number; json(): { code: string } } | undefined;
  for (let i = 0; i < 10 && !refused; i++) {
    const res = await regenerate(user, { current_password: user.password, code: wrong });
    if (res.statusCode === 429) refused = res;
    else assert.equal(res.statusCode, 403, res.body);
  }
  assert.ok(refused, 'wrong codes are throttled');
  // The same counter as /login/mfa: a right code from this address is refused there too.
  const right = await finish({
    mfa_token: await challenge(user.email, user.password),
    code: codeAt(user.secret, Date.now() + 30_000),
  });
  assert.equal(right.statusCode, 429);
});
