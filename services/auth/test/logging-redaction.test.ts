import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { mailsTo, tokenIn, waitForMail } from './accounts-mail.ts';
import { bearer, buildTestAuth, login } from './helper.ts';

// The test logger has no redaction configured, so this checks that nothing secret is handed to
// the logger at all, not merely that pino's redact paths catch it.
const auth = await buildTestAuth();
const { app } = auth;

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: `/accounts/v1${url}`, payload: payload as object, headers });

test('no secret reaches the log and every request line has a request id', async () => {
  const email = 'careful.logger@example.com';
  const passwords = ['first secret passphrase', 'second secret passphrase', 'third secret one'];
  const secrets: string[] = [...passwords];

  assert.equal(
    (await post('/register', { email, username: 'careful', password: passwords[0] })).statusCode,
    201,
  );
  const verification = tokenIn((await mailsTo(auth, email, 'Confirm your email address'))[0]!);
  secrets.push(verification);
  assert.equal((await post('/verify-email', { token: verification })).statusCode, 204);

  const first = await login(app, email, passwords[0]!);
  const second = await login(app, email, passwords[0]!);
  secrets.push(first.accessToken, first.refreshToken, second.accessToken, second.refreshToken);
  const wrongPassword = 'wrong secret guess';
  secrets.push(wrongPassword);
  assert.equal((await post('/login', { email, password: wrongPassword })).statusCode, 401);

  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(first.accessToken) });
  assert.equal(me.statusCode, 200);
  const changed = await post(
    '/change-password',
    { current_password: passwords[0], new_password: passwords[1] },
    bearer(first.accessToken),
  );
  assert.equal(changed.statusCode, 204);
  // The second session was revoked: its token is refused, and that refusal is logged too.
  const revoked = await app.inject({
    url: '/accounts/v1/user',
    headers: bearer(second.accessToken),
  });
  assert.equal(revoked.statusCode, 401);

  assert.equal((await post('/reset-password', { email })).statusCode, 202);
  const reset = tokenIn(await waitForMail(auth, email, 'Reset your password'));
  secrets.push(reset);
  assert.equal(
    (await post('/reset-password/confirm', { token: reset, new_password: passwords[2] }))
      .statusCode,
    204,
  );
  assert.equal(
    (await post('/reset-password/confirm', { token: reset, new_password: passwords[2] }))
      .statusCode,
    400,
  );

  const bogusRefresh = 'bogus-refresh-token-that-is-secret-anyway-1';
  secrets.push(bogusRefresh);
  assert.equal((await post('/refresh', { refresh_token: bogusRefresh })).statusCode, 401);

  const invalidPassword = 'validation secret 42';
  secrets.push(invalidPassword);
  const invalid = await post('/register', {
    email: 'not-an-email',
    username: 'x',
    password: invalidPassword,
  });
  assert.equal(invalid.statusCode, 400);
  const third = await login(app, email, passwords[2]!);
  secrets.push(third.accessToken, third.refreshToken);
  const shortPassword = 'tiny7';
  secrets.push(shortPassword);
  const tooShort = await post(
    '/change-password',
    { current_password: passwords[2], new_password: shortPassword },
    bearer(third.accessToken),
  );
  assert.equal(tooShort.statusCode, 400);
  const out = await post(
    '/logout',
    { refresh_token: third.refreshToken },
    bearer(third.accessToken),
  );
  assert.equal(out.statusCode, 204);

  const client = new pg.Client({ connectionString: auth.databaseUrl });
  await client.connect();
  const { rows } = await client.query('select password_hash from users where email = $1', [email]);
  await client.end();
  secrets.push(rows[0].password_hash);

  const text = auth.logs.text();
  for (const secret of secrets)
    assert.ok(!text.includes(secret), `logged: ${secret.slice(0, 12)}…`);
  assert.ok(!text.includes('$argon2'));

  const requestLines = auth.logs.lines.map((l) => JSON.parse(l)).filter((l) => l.req || l.res);
  // Two lines (incoming, completed) for each of the 16 requests above.
  assert.ok(requestLines.length >= 32, String(requestLines.length));
  for (const line of requestLines) assert.match(String(line.request_id), /^[\w.:-]+$/);
});

test('MFA secrets, codes, recovery codes, mfa_token and tokens in page links never reach the log', async () => {
  const { codeAt } = await import('../src/second-factor/totp.ts');
  const email = 'careful.mfa@example.com';
  const password = 'mfa secret passphrase';
  assert.equal(
    (await post('/register', { email, username: 'carefulmfa', password })).statusCode,
    201,
  );
  const verification = tokenIn((await mailsTo(auth, email, 'Confirm your email address'))[0]!);
  const page = await app.inject({ url: `/accounts/v1/verify-email?token=${verification}` });
  assert.equal(page.statusCode, 200);
  const session = await login(app, email, password);
  const started = await post(
    '/user/mfa/totp',
    { current_password: password },
    bearer(session.accessToken),
  );
  const { secret, otpauth_url } = started.json() as { secret: string; otpauth_url: string };
  const enrolCode = codeAt(secret);
  const verified = await post(
    '/user/mfa/totp/verify',
    { code: enrolCode },
    bearer(session.accessToken),
  );
  const recoveryCodes = verified.json().recovery_codes as string[];
  const challenge = (await post('/login', { email, password })).json().mfa_token as string;
  const wrong = await post('/login/mfa', {
    mfa_token: challenge,
    recovery_code: 'wrong-code-secret',
  });
  assert.equal(wrong.statusCode, 401);
  const done = await post('/login/mfa', { mfa_token: challenge, recovery_code: recoveryCodes[0] });
  assert.equal(done.statusCode, 200);

  const text = auth.logs.text();
  for (const value of [
    verification,
    secret,
    otpauth_url,
    challenge,
    ...recoveryCodes,
    'wrong-code-secret',
  ]) {
    assert.ok(!text.includes(value), `logged: ${value.slice(0, 12)}…`);
  }
  assert.ok(!text.includes(`"${enrolCode}"`), 'the TOTP code is not logged');
});
