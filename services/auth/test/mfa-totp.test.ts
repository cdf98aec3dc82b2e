import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeAt, matchingStep } from '../src/second-factor/totp.ts';
import { bearer, buildTestAuth, signUp, sql } from './helper.ts';

const auth = await buildTestAuth({ MFA_CHALLENGE_TTL: '2' });
const { app } = auth;

async function enrolled() {
  const user = await signUp(app);
  const started = await app.inject({
    method: 'POST',
    url: '/accounts/v1/user/mfa/totp',
    headers: bearer(user.accessToken),
    payload: { current_password: user.password },
  });
  const { secret } = started.json() as { secret: string };
  const verified = await app.inject({
    method: 'POST',
    url: '/accounts/v1/user/mfa/totp/verify',
    headers: bearer(user.accessToken),
    payload: { code: codeAt(secret) },
  });
  assert.equal(verified.statusCode, 200, verified.body);
  return { ...user, secret, recoveryCodes: verified.json().recovery_codes as string[] };
}

const challenge = async (email: string, password: string) => {
  const res = await app.inject({
    method: 'POST',
    url: '/accounts/v1/login',
    payload: { email, password },
  });
  return res.json().mfa_token as string;
};
const finish = (payload: object) =>
  app.inject({ method: 'POST', url: '/accounts/v1/login/mfa', payload });

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
  assert.match(factor.secret_sealed, /^v1\./);
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
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const late = await finish({ mfa_token: token, code: codeAt(user.secret, Date.now() + 30_000) });
  assert.equal(late.statusCode, 401);
  assert.equal(late.json().code, 'invalid_mfa_token');
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
