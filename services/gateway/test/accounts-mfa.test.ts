import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import pg from 'pg';
import { closeAtEnd } from './helpers.ts';
import { authBehindGateway, clientAt, eventually, post, signUp, waitForMail } from './services.ts';

/**
 * TOTP second factor through the real gateway and auth service: enrolment, sign-in with a code
 * and with a recovery code, replays, throttling of wrong codes per address, and disabling. Codes
 * are computed the way an authenticator app does, with `otpauth` from the secret auth returned.
 */
const { cleanup } = closeAtEnd();
const { auth, url } = await authBehindGateway();
const api = `${url}/accounts/v1`;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const send = (method: string, path: string, token: string, body?: unknown) =>
  fetch(`${api}${path}`, {
    method,
    headers: { ...bearer(token), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

/** The code an app shows `steps` periods from now. */
const codeAt = (secret: string, steps = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({
    timestamp: Date.now() + steps * 30_000,
  });

/** Signs a user up and turns MFA on; returns the secret and recovery codes. */
async function enrolled() {
  const user = await signUp(url);
  const started = await send('POST', '/user/mfa/totp', user.accessToken, {
    current_password: user.password,
  });
  assert.equal(started.status, 200);
  const { secret, otpauth_url } = (await started.json()) as { secret: string; otpauth_url: string };
  const verified = await send('POST', '/user/mfa/totp/verify', user.accessToken, {
    code: codeAt(secret),
  });
  assert.equal(verified.status, 200, await verified.clone().text());
  const { recovery_codes } = (await verified.json()) as { recovery_codes: string[] };
  return { ...user, secret, otpauth_url, recoveryCodes: recovery_codes };
}

async function challenge(email: string, password: string, from = post) {
  const res = await from(`${api}/login`, { email, password });
  assert.equal(res.status, 200);
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(body.mfa_required, true);
  assert.deepEqual(body.methods, ['totp', 'recovery_code']);
  assert.equal(body.access_token, undefined, 'no tokens before the second factor');
  assert.equal(body.refresh_token, undefined);
  return body.mfa_token as string;
}

test('enrolment: a pending secret changes nothing until a code verifies it; then MFA is on', async () => {
  const user = await signUp(url);
  assert.equal(
    (await send('POST', '/user/mfa/totp', user.accessToken, { current_password: 'wrong one!' }))
      .status,
    403,
    'the password is needed',
  );
  const started = await send('POST', '/user/mfa/totp', user.accessToken, {
    current_password: user.password,
  });
  const { secret, otpauth_url } = (await started.json()) as { secret: string; otpauth_url: string };
  assert.match(secret, /^[A-Z2-7]{32}$/);
  const uri = new URL(otpauth_url);
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.host, 'totp');
  assert.equal(uri.searchParams.get('secret'), secret);
  assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
  assert.equal(uri.searchParams.get('digits'), '6');
  assert.equal(uri.searchParams.get('period'), '30');
  assert.ok(decodeURIComponent(uri.pathname).includes(user.email));

  // Pending: sign-in still gives tokens at once.
  const before = await post(`${api}/login`, { email: user.email, password: user.password });
  assert.ok(((await before.json()) as { access_token?: string }).access_token);

  const wrong = await send('POST', '/user/mfa/totp/verify', user.accessToken, {
    code: codeAt(secret, 5),
  });
  assert.equal(wrong.status, 403, 'the access token is fine: not a 401');
  assert.equal(((await wrong.json()) as { code: string }).code, 'mfa_code_incorrect');

  const other = await post(`${api}/login`, { email: user.email, password: user.password });
  const otherSession = ((await other.json()) as { access_token: string }).access_token;

  const verified = await send('POST', '/user/mfa/totp/verify', user.accessToken, {
    code: codeAt(secret),
  });
  assert.equal(verified.status, 200);
  const { recovery_codes } = (await verified.json()) as { recovery_codes: string[] };
  assert.equal(recovery_codes.length, 10);
  assert.equal(new Set(recovery_codes).size, 10);

  const me = await send('GET', '/user', user.accessToken);
  assert.equal(me.status, 200, 'the enrolling session stays');
  assert.equal(((await me.json()) as { user: { mfa_enabled: boolean } }).user.mfa_enabled, true);
  // Every other session ends: it was opened with the password alone.
  await eventually(async () => (await send('GET', '/user', otherSession)).status === 401);

  const again = await send('POST', '/user/mfa/totp', user.accessToken, {
    current_password: user.password,
  });
  assert.equal(again.status, 409);
  assert.equal(((await again.json()) as { code: string }).code, 'mfa_already_enabled');
  await waitForMail(auth.mailDir, user.email, /two-factor sign-in is on/i);
});

test('with MFA on, /login asks for a code; /login/mfa with one signs in; the code and token work once', async () => {
  const user = await enrolled();
  const mfaToken = await challenge(user.email, user.password);
  // The enrolment spent the current step's code; the next step's is accepted too (±1 step).
  const code = codeAt(user.secret, 1);
  const done = await post(`${api}/login/mfa`, { mfa_token: mfaToken, code });
  assert.equal(done.status, 200, await done.clone().text());
  const pair = (await done.json()) as {
    access_token: string;
    refresh_token: string;
    token_type: string;
    user: { id: string; mfa_enabled: boolean };
  };
  assert.equal(pair.token_type, 'Bearer');
  assert.equal(pair.user.id, user.id);
  assert.equal(pair.user.mfa_enabled, true);
  assert.equal((await send('GET', '/user', pair.access_token)).status, 200);

  const spentToken = await post(`${api}/login/mfa`, { mfa_token: mfaToken, code });
  assert.equal(spentToken.status, 401);
  assert.equal(((await spentToken.json()) as { code: string }).code, 'invalid_mfa_token');

  // The same code with a fresh challenge: refused, it was used in its window.
  const replay = await post(`${api}/login/mfa`, {
    mfa_token: await challenge(user.email, user.password),
    code,
  });
  assert.equal(replay.status, 401);
  assert.equal(((await replay.json()) as { code: string }).code, 'invalid_mfa_code');

  const bogus = await post(`${api}/login/mfa`, { mfa_token: 'not-a-token', code });
  assert.equal(bogus.status, 401);
  const both = await post(`${api}/login/mfa`, {
    mfa_token: mfaToken,
    code,
    recovery_code: user.recoveryCodes[0],
  });
  assert.equal(both.status, 400);
});

test('a recovery code signs in once, and the owner is told', async () => {
  const user = await enrolled();
  const [first] = user.recoveryCodes;
  const done = await post(`${api}/login/mfa`, {
    mfa_token: await challenge(user.email, user.password),
    recovery_code: first!.toUpperCase(),
  });
  assert.equal(done.status, 200, 'case and dashes do not matter');
  assert.ok(((await done.json()) as { access_token: string }).access_token);
  await waitForMail(auth.mailDir, user.email, /recovery code/i);

  const again = await post(`${api}/login/mfa`, {
    mfa_token: await challenge(user.email, user.password),
    recovery_code: first,
  });
  assert.equal(again.status, 401);
  assert.equal(((await again.json()) as { code: string }).code, 'invalid_mfa_code');

  const someoneElses = (await enrolled()).recoveryCodes[0];
  const foreign = await post(`${api}/login/mfa`, {
    mfa_token: await challenge(user.email, user.password),
    recovery_code: someoneElses,
  });
  assert.equal(foreign.status, 401, "another user's recovery code does not work");
});

test('wrong codes from one address are throttled there without locking the owner out elsewhere', async () => {
  const user = await enrolled();
  const attacker = clientAt('127.0.0.12');
  const owner = clientAt('127.0.0.13');
  cleanup(attacker.close);
  cleanup(owner.close);
  const token = await challenge(user.email, user.password, attacker.post);
  const wrong = String((Number(codeAt(user.secret)) + 500_000) % 1_000_000).padStart(6, '0');
  for (let i = 0; i < 5; i++) {
    const res = await attacker.post(`${api}/login/mfa`, { mfa_token: token, code: wrong });
    assert.equal(res.status, 401, `guess ${i}`);
  }
  const locked = await attacker.post(`${api}/login/mfa`, {
    mfa_token: token,
    code: codeAt(user.secret),
  });
  assert.equal(locked.status, 429, 'even the right code is refused at the locked address');
  assert.ok(Number(locked.headers.get('retry-after')) >= 1);

  // The owner, at another address, signs in with a recovery code (the current step may be spent).
  const ownerToken = await challenge(user.email, user.password, owner.post);
  const done = await owner.post(`${api}/login/mfa`, {
    mfa_token: ownerToken,
    recovery_code: user.recoveryCodes[1],
  });
  assert.equal(done.status, 200, await done.clone().text());
});

test('disabling needs the password and a code; then sign-in needs the password only', async () => {
  const user = await enrolled();
  const code = () => codeAt(user.secret, 1);
  const noPassword = await send('DELETE', '/user/mfa/totp', user.accessToken, {
    current_password: 'not the password',
    code: code(),
  });
  assert.equal(noPassword.status, 403);
  const noCode = await send('DELETE', '/user/mfa/totp', user.accessToken, {
    current_password: user.password,
    code: '000000' === codeAt(user.secret, 1) ? '111111' : '000000',
  });
  assert.equal(noCode.status, 403);
  assert.equal(((await noCode.json()) as { code: string }).code, 'mfa_code_incorrect');
  const missing = await send('DELETE', '/user/mfa/totp', user.accessToken, {
    current_password: user.password,
  });
  assert.equal(missing.status, 400);

  const off = await send('DELETE', '/user/mfa/totp', user.accessToken, {
    current_password: user.password,
    code: code(),
  });
  assert.equal(off.status, 204, await off.clone().text());
  const me = (await (await send('GET', '/user', user.accessToken)).json()) as {
    user: { mfa_enabled: boolean };
  };
  assert.equal(me.user.mfa_enabled, false);
  const login = await post(`${api}/login`, { email: user.email, password: user.password });
  assert.ok(((await login.json()) as { access_token?: string }).access_token);
  await waitForMail(auth.mailDir, user.email, /two-factor sign-in is off/i);

  const twice = await send('DELETE', '/user/mfa/totp', user.accessToken, {
    current_password: user.password,
    code: code(),
  });
  assert.equal(twice.status, 409);
});

test('new recovery codes replace every earlier one; a recovery code cannot ask for them', async () => {
  const user = await enrolled();
  const stolen = await send('POST', '/user/mfa/recovery-codes', user.accessToken, {
    current_password: user.password,
    code: user.recoveryCodes[0],
  });
  assert.equal(stolen.status, 403);
  assert.equal(((await stolen.json()) as { code: string }).code, 'mfa_code_incorrect');
  const res = await send('POST', '/user/mfa/recovery-codes', user.accessToken, {
    current_password: user.password,
    code: codeAt(user.secret, 1),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const { recovery_codes } = (await res.json()) as { recovery_codes: string[] };
  assert.equal(recovery_codes.length, 10);
  const old = await post(`${api}/login/mfa`, {
    mfa_token: await challenge(user.email, user.password),
    recovery_code: user.recoveryCodes[0],
  });
  assert.equal(old.status, 401, 'an earlier code is refused');
  const fresh = await post(`${api}/login/mfa`, {
    mfa_token: await challenge(user.email, user.password),
    recovery_code: recovery_codes[0],
  });
  assert.equal(fresh.status, 200, await fresh.clone().text());
  await waitForMail(auth.mailDir, user.email, /new recovery codes were made/i);
});

test("an admin resets a user's MFA: password alone signs in, earlier tokens are refused", async () => {
  const user = await enrolled();
  const second = await post(`${api}/login/mfa`, {
    mfa_token: await challenge(user.email, user.password),
    recovery_code: user.recoveryCodes[0],
  });
  const session = (await second.json()) as { access_token: string; refresh_token: string };
  const chief = await signUp(url);
  const db = new pg.Client({ connectionString: auth.databaseUrl });
  await db.connect();
  await db
    .query(`insert into user_roles (user_id, role) values ($1, 'admin')`, [chief.id])
    .finally(() => db.end());
  const signedIn = await post(`${api}/login`, { email: chief.email, password: chief.password });
  const admin = ((await signedIn.json()) as { access_token: string }).access_token;

  const denied = await send('DELETE', `/users/${user.id}/mfa`, user.accessToken);
  assert.equal(denied.status, 403, 'a plain user cannot');
  const reauth = { current_password: chief.password };
  const tokenAlone = await send('DELETE', `/users/${user.id}/mfa`, admin);
  assert.equal(tokenAlone.status, 400, 'the admin token alone is not enough');
  const unknown = await send('DELETE', `/users/${crypto.randomUUID()}/mfa`, admin, reauth);
  assert.equal(unknown.status, 404);
  const done = await send('DELETE', `/users/${user.id}/mfa`, admin, reauth);
  assert.equal(done.status, 204, await done.clone().text());

  const refreshed = await post(`${api}/refresh`, { refresh_token: session.refresh_token });
  assert.equal(refreshed.status, 401, 'the refresh token of a session opened before is refused');
  for (const token of [user.accessToken, session.access_token]) {
    await eventually(async () => (await send('GET', '/user', token)).status === 401);
  }
  const login = await post(`${api}/login`, { email: user.email, password: user.password });
  const body = (await login.json()) as { access_token?: string; mfa_required?: boolean };
  assert.equal(body.mfa_required, undefined);
  assert.ok(body.access_token);
  await waitForMail(auth.mailDir, user.email, /two-factor sign-in is off/i);
});
