import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { bearer, buildTestAuth, login, SERVICE_TOKEN, signUp, sql } from './helper.ts';
import { softwareAuthenticator } from './software-authenticator.ts';

/**
 * Passkeys against the server's checks, with an authenticator in software (the browser test drives
 * Chromium's). Default relying party: `localhost`, origins the PUBLIC_URL on localhost/127.0.0.1.
 */
const t = await buildTestAuth();
const { app } = t;

const inject = (
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  token?: string,
  payload?: unknown,
) =>
  app.inject({
    method,
    url: `/accounts/v1${url}`,
    ...(token ? { headers: bearer(token) } : {}),
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });

async function registered(name?: string) {
  const user = await signUp(app);
  const authenticator = softwareAuthenticator();
  const options = (
    await inject('POST', '/user/passkeys/registration-options', user.accessToken)
  ).json();
  const res = await inject('POST', '/user/passkeys', user.accessToken, {
    response: authenticator.create(options),
    ...(name ? { name } : {}),
  });
  assert.equal(res.statusCode, 201, res.body);
  return { user, authenticator, passkey: res.json().passkey };
}

async function loginOptions(email?: string) {
  const res = await inject('POST', '/login/passkey/options', undefined, email ? { email } : {});
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

test('registration options ask for a discoverable, user-verifying passkey for this relying party', async () => {
  const user = await signUp(app);
  const res = await inject('POST', '/user/passkeys/registration-options', user.accessToken);
  assert.equal(res.statusCode, 200);
  const options = res.json();
  assert.equal(options.rp.id, 'localhost');
  assert.equal(options.user.name, user.email);
  assert.match(options.challenge, /^[\w-]{43,}$/);
  assert.equal(options.authenticatorSelection.residentKey, 'required');
  assert.equal(options.authenticatorSelection.userVerification, 'required');
  assert.ok(options.pubKeyCredParams.some((p: { alg: number }) => p.alg === -7));
  assert.equal((await inject('POST', '/user/passkeys/registration-options')).statusCode, 401);
});

test('a registered passkey is listed, named, and excluded from the next registration', async () => {
  const { user, authenticator, passkey } = await registered('Laptop');
  assert.equal(passkey.name, 'Laptop');
  assert.equal(passkey.last_used_at, null);
  const list = (await inject('GET', '/user/passkeys', user.accessToken)).json();
  assert.deepEqual(list.items, [passkey]);
  const next = (
    await inject('POST', '/user/passkeys/registration-options', user.accessToken)
  ).json();
  assert.deepEqual(
    next.excludeCredentials.map((c: { id: string }) => c.id),
    [authenticator.credentialId],
  );
});

test('a registration answer is used once, and only for its own user, origin and challenge', async () => {
  const user = await signUp(app);
  const other = await signUp(app);
  const options = (
    await inject('POST', '/user/passkeys/registration-options', user.accessToken)
  ).json();
  const answer = softwareAuthenticator().create(options);
  const foreign = await inject('POST', '/user/passkeys', other.accessToken, { response: answer });
  assert.equal(foreign.statusCode, 400);
  assert.equal(foreign.json().code, 'invalid_passkey');

  const wrongOrigin = softwareAuthenticator().create(options, { origin: 'https://evil.test' });
  assert.equal(
    (await inject('POST', '/user/passkeys', user.accessToken, { response: wrongOrigin }))
      .statusCode,
    400,
  );
  // The failed attempt spent the challenge: the good answer to it is refused too.
  assert.equal(
    (await inject('POST', '/user/passkeys', user.accessToken, { response: answer })).statusCode,
    400,
  );
  const fresh = (
    await inject('POST', '/user/passkeys/registration-options', user.accessToken)
  ).json();
  const good = softwareAuthenticator().create(fresh);
  assert.equal(
    (await inject('POST', '/user/passkeys', user.accessToken, { response: good })).statusCode,
    201,
  );
  assert.equal(
    (await inject('POST', '/user/passkeys', user.accessToken, { response: good })).statusCode,
    400,
  );

  const unverified = (
    await inject('POST', '/user/passkeys/registration-options', user.accessToken)
  ).json();
  const noUv = softwareAuthenticator().create(unverified, { userVerified: false });
  assert.equal(
    (await inject('POST', '/user/passkeys', user.accessToken, { response: noUv })).statusCode,
    400,
  );
});

test('adding a passkey needs a recent sign-in', async () => {
  const user = await signUp(app);
  await sql(
    t.databaseUrl,
    `update sessions set created_at = now() - interval '1 hour' where user_id = $1`,
    [user.id],
  );
  const res = await inject('POST', '/user/passkeys/registration-options', user.accessToken);
  assert.equal(res.statusCode, 403);
  assert.equal(res.json().code, 'reauthentication_required');
});

test('finishing a passkey needs a recent sign-in too (the options were asked for while it was)', async () => {
  const user = await signUp(app);
  const options = (
    await inject('POST', '/user/passkeys/registration-options', user.accessToken)
  ).json();
  const answer = softwareAuthenticator().create(options);
  await sql(
    t.databaseUrl,
    `update sessions set created_at = now() - interval '1 hour' where user_id = $1`,
    [user.id],
  );
  const res = await inject('POST', '/user/passkeys', user.accessToken, { response: answer });
  assert.equal(res.statusCode, 403, res.body);
  assert.equal(res.json().code, 'reauthentication_required');
  const rows = await sql(t.databaseUrl, 'select 1 from passkeys where user_id = $1', [user.id]);
  assert.equal(rows.length, 0);
});

test('a session revoked on a replica this one has not heard of is a 401, not a request to sign in again', async () => {
  const user = await signUp(app);
  await sql(
    t.databaseUrl,
    `update sessions set created_at = now() - interval '1 hour', revoked_at = now() where user_id = $1`,
    [user.id],
  );
  const res = await inject('POST', '/user/passkeys/registration-options', user.accessToken);
  assert.equal(res.statusCode, 401, res.body);
});

test('a discoverable passkey signs in; its answer cannot be replayed', async () => {
  const { user, authenticator } = await registered();
  const options = await loginOptions();
  assert.equal(options.userVerification, 'required');
  assert.equal(options.allowCredentials, undefined);
  const answer = authenticator.get(options);
  const res = await inject('POST', '/login/passkey', undefined, {
    challenge_id: options.challenge_id,
    response: answer,
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().user.id, user.id);
  assert.equal(res.json().token_type, 'Bearer');
  const me = await inject('GET', '/user', res.json().access_token);
  assert.equal(me.json().user.id, user.id);

  const replay = await inject('POST', '/login/passkey', undefined, {
    challenge_id: options.challenge_id,
    response: answer,
  });
  assert.equal(replay.statusCode, 401);
  assert.equal(replay.json().code, 'invalid_credentials');
  const fresh = await loginOptions();
  const onFresh = await inject('POST', '/login/passkey', undefined, {
    challenge_id: fresh.challenge_id,
    response: answer,
  });
  assert.equal(onFresh.statusCode, 401);

  const [listed] = (await inject('GET', '/user/passkeys', user.accessToken)).json().items;
  assert.ok(listed.last_used_at);

  const events = (await inject('GET', '/user/audit-events', user.accessToken)).json().items as {
    type: string;
    details: Record<string, unknown>;
  }[];
  const seen = events.map((e) =>
    `${e.type} ${e.details.method ?? ''} ${e.details.reason ?? ''}`.trim(),
  );
  assert.ok(seen.includes('passkey.added'), seen.join(', '));
  assert.ok(seen.includes('login.succeeded passkey'), seen.join(', '));
  assert.ok(seen.includes('login.failed passkey invalid_assertion'), seen.join(', '));
  const used = events.find((e) => e.type === 'login.succeeded' && e.details.method === 'passkey');
  assert.equal(used?.details.passkey_id, listed.id);
});

test('a signature counter that does not grow is refused (a cloned authenticator)', async () => {
  const { authenticator } = await registered();
  const first = await loginOptions();
  assert.equal(
    (
      await inject('POST', '/login/passkey', undefined, {
        challenge_id: first.challenge_id,
        response: authenticator.get(first),
      })
    ).statusCode,
    200,
  );
  authenticator.setCounter(0);
  const second = await loginOptions();
  const res = await inject('POST', '/login/passkey', undefined, {
    challenge_id: second.challenge_id,
    response: authenticator.get(second),
  });
  assert.equal(res.statusCode, 401);
});

test('sign-in without user verification, or from another origin, is refused', async () => {
  const { authenticator } = await registered();
  for (const o of [
    { userVerified: false },
    { origin: 'https://evil.test' },
    { rpId: 'evil.test' },
  ]) {
    const options = await loginOptions();
    const res = await inject('POST', '/login/passkey', undefined, {
      challenge_id: options.challenge_id,
      response: authenticator.get(options, o),
    });
    assert.equal(res.statusCode, 401, JSON.stringify(o));
  }
});

test('sign-in by email: only that account’s passkey can answer, and the options name none', async () => {
  const a = await registered();
  const b = await registered();
  const options = await loginOptions(a.user.email);
  assert.equal(options.allowCredentials, undefined);
  const wrong = await inject('POST', '/login/passkey', undefined, {
    challenge_id: options.challenge_id,
    response: b.authenticator.get(options),
  });
  assert.equal(wrong.statusCode, 401);
  const again = await loginOptions(a.user.email);
  const right = await inject('POST', '/login/passkey', undefined, {
    challenge_id: again.challenge_id,
    response: a.authenticator.get(again),
  });
  assert.equal(right.statusCode, 200);
  assert.equal(right.json().user.id, a.user.id);
});

test('no passkey answers a challenge for an unknown email: one’s own passkey cannot tell it from a known one', async () => {
  // Any passkey answering an unknown email's challenge made one's own passkey an oracle: signed
  // in for an address nobody has, 401 for one somebody has.
  const prober = await registered();
  const known = await signUp(app);
  const answers = [];
  for (const email of [known.email, 'nobody-at-all@example.com']) {
    const options = await loginOptions(email);
    const answer = await inject('POST', '/login/passkey', undefined, {
      challenge_id: options.challenge_id,
      response: prober.authenticator.get(options),
    });
    answers.push({ status: answer.statusCode, code: answer.json().code });
  }
  assert.deepEqual(answers[1], answers[0]);
  assert.deepEqual(answers[0], { status: 401, code: 'invalid_credentials' });
  // Without an email, the same passkey still signs its own account in.
  const open = await loginOptions();
  const own = await inject('POST', '/login/passkey', undefined, {
    challenge_id: open.challenge_id,
    response: prober.authenticator.get(open),
  });
  assert.equal(own.statusCode, 200, own.body);
  assert.equal(own.json().user.id, prober.user.id);
});

test('the options tell nothing of the account: with passkeys, without, or none at all', async () => {
  const withPasskeys = await registered();
  // A second one, from another authenticator: the count must not show either.
  const second = await inject('POST', '/user/passkeys', withPasskeys.user.accessToken, {
    response: softwareAuthenticator().create(
      (
        await inject('POST', '/user/passkeys/registration-options', withPasskeys.user.accessToken)
      ).json(),
    ),
  });
  assert.equal(second.statusCode, 201, second.body);
  const without = await signUp(app);
  const shapes: Record<string, unknown>[] = [];
  for (const email of [withPasskeys.user.email, without.email, 'nobody-here@example.com']) {
    const { challenge, challenge_id, ...rest } = await loginOptions(email);
    assert.match(challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(challenge_id);
    shapes.push(rest);
  }
  assert.equal(shapes[0]?.allowCredentials, undefined);
  assert.deepEqual(shapes[1], shapes[0]);
  assert.deepEqual(shapes[2], shapes[0]);
});

test('a passkey can be removed, but not when it is the last way to sign in', async () => {
  const { user, passkey } = await registered();
  const other = await signUp(app);
  assert.equal(
    (await inject('DELETE', `/user/passkeys/${passkey.id}`, other.accessToken)).statusCode,
    404,
  );
  await sql(t.databaseUrl, 'update users set password_hash = null where id = $1', [user.id]);
  const last = await inject('DELETE', `/user/passkeys/${passkey.id}`, user.accessToken);
  assert.equal(last.statusCode, 409);
  assert.equal(last.json().code, 'last_sign_in_method');

  const second = await registered();
  const removed = await inject(
    'DELETE',
    `/user/passkeys/${second.passkey.id}`,
    second.user.accessToken,
  );
  assert.equal(removed.statusCode, 204);
  assert.deepEqual(
    (await inject('GET', '/user/passkeys', second.user.accessToken)).json().items,
    [],
  );
});

test('removing a passkey or unlinking a provider needs a recent sign-in, as adding one does', async () => {
  const { user, passkey } = await registered();
  const [identity] = await sql(
    t.databaseUrl,
    `insert into user_identities (user_id, provider, subject, email) values ($1, 'idp', $2, null)
     returning id`,
    [user.id, `subject-${user.id}`],
  );
  // A token of a sign-in older than the window: a thief's, say.
  await sql(
    t.databaseUrl,
    `update sessions set created_at = now() - interval '1 hour' where user_id = $1`,
    [user.id],
  );
  for (const url of [`/user/passkeys/${passkey.id}`, `/user/identities/${identity!.id}`]) {
    const res = await inject('DELETE', url, user.accessToken);
    assert.equal(res.statusCode, 403, `${url}: ${res.body}`);
    assert.equal(res.json().code, 'reauthentication_required');
  }
  assert.equal((await inject('GET', '/user/passkeys', user.accessToken)).json().items.length, 1);
  const identities = 'select 1 from user_identities where user_id = $1';
  assert.equal((await sql(t.databaseUrl, identities, [user.id])).length, 1);

  // Signed in again, the owner can.
  const fresh = await login(app, user.email, user.password);
  for (const url of [`/user/passkeys/${passkey.id}`, `/user/identities/${identity!.id}`]) {
    assert.equal((await inject('DELETE', url, fresh.accessToken)).statusCode, 204, url);
  }
  assert.equal((await sql(t.databaseUrl, identities, [user.id])).length, 0);
});

test('answers without clientExtensionResults (no extension ran) register and sign in', async () => {
  const user = await signUp(app);
  const authenticator = softwareAuthenticator();
  const withoutExtensions = <T extends { clientExtensionResults: object }>(answer: T) => {
    const { clientExtensionResults: _, ...rest } = answer;
    return rest;
  };
  const creation = (
    await inject('POST', '/user/passkeys/registration-options', user.accessToken)
  ).json();
  const created = await inject('POST', '/user/passkeys', user.accessToken, {
    response: withoutExtensions(authenticator.create(creation)),
  });
  assert.equal(created.statusCode, 201, created.body);
  const options = await loginOptions();
  const res = await inject('POST', '/login/passkey', undefined, {
    challenge_id: options.challenge_id,
    response: withoutExtensions(authenticator.get(options)),
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().user.id, user.id);
});

test('malformed answers are 400, never 500', async () => {
  const user = await signUp(app);
  const bodies = [
    {},
    { response: { id: 'x' } },
    {
      response: {
        id: 'abc',
        rawId: 'abc',
        type: 'public-key',
        response: { clientDataJSON: 'e30', attestationObject: 'AA' },
        clientExtensionResults: {},
      },
    },
  ];
  for (const body of bodies) {
    assert.equal((await inject('POST', '/user/passkeys', user.accessToken, body)).statusCode, 400);
  }
  const login = await inject('POST', '/login/passkey', undefined, {
    challenge_id: '00000000-0000-4000-8000-000000000000',
    response: {
      id: 'abc',
      rawId: 'abc',
      type: 'public-key',
      response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
      clientExtensionResults: {},
    },
  });
  assert.equal(login.statusCode, 401);
});

test('a request-limit of transports is described from its first items, not all of them', async () => {
  // 240 KB of `0` in a list of at most ten: ajv checked every item (120 000 errors, ~2 s of
  // auth's event loop for any signed-in user, and the gateway's health poll then found auth
  // not ready).
  const user = await signUp(app);
  const n = Math.floor((240 * 1024) / 2);
  const res = await app.inject({
    method: 'POST',
    url: '/accounts/v1/user/passkeys',
    headers: { ...bearer(user.accessToken), 'content-type': 'application/json' },
    payload: `{"response":{"id":"a","rawId":"a","type":"public-key","response":{"clientDataJSON":"a","attestationObject":"a","transports":[${Array(n).fill('0').join(',')}]}}}`,
  });
  assert.equal(res.statusCode, 400, res.body.slice(0, 300));
  const { errors, detail } = res.json();
  assert.deepEqual(errors[0], {
    field: 'response.response.transports',
    message: 'must NOT have more than 10 items',
  });
  // The eleven items kept say what is wrong with them; the other 122 869 are never looked at.
  assert.equal(detail, 'The request body is invalid.');
  assert.equal(errors.length, 12);
  assert.deepEqual(errors[11], {
    field: 'response.response.transports.10',
    message: 'must be string',
  });
});

test('a passkey is two factors in one: with MFA on it signs in without a code', async () => {
  const { user, authenticator } = await registered();
  const started = await inject('POST', '/user/mfa/totp', user.accessToken, {
    current_password: user.password,
  });
  assert.equal(started.statusCode, 200, started.body);
  const totp = new TOTP({ secret: Secret.fromBase32(started.json().secret) });
  const on = await inject('POST', '/user/mfa/totp/verify', user.accessToken, {
    code: totp.generate(),
  });
  assert.equal(on.statusCode, 200, on.body);
  const password = await inject('POST', '/login', undefined, {
    email: user.email,
    password: user.password,
  });
  assert.equal(password.json().mfa_required, true);

  const options = await loginOptions();
  const res = await inject('POST', '/login/passkey', undefined, {
    challenge_id: options.challenge_id,
    response: authenticator.get(options),
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().mfa_required, undefined);
  assert.equal(res.json().user.id, user.id);
});

test('the owner is mailed when a passkey is added to their account', async () => {
  const before = (await t.mails()).length;
  const { user } = await registered('Phone');
  const mails = (await t.mails()).slice(before);
  const notice = mails.filter(
    (m) => m.includes(`To: ${user.email}`) && /passkey was added/i.test(m),
  );
  assert.equal(notice.length, 1, mails.join('\n----\n').slice(0, 2000));
  assert.match(notice[0]!, /sign in without your password/);
});

test('removing a passkey signs out the sessions it opened (a lost phone), and no other', async () => {
  const { user, authenticator, passkey } = await registered();
  const options = await loginOptions();
  const phone = await inject('POST', '/login/passkey', undefined, {
    challenge_id: options.challenge_id,
    response: authenticator.get(options),
  });
  assert.equal(phone.statusCode, 200, phone.body);
  const laptop = await login(app, user.email, user.password);

  const removed = await inject('DELETE', `/user/passkeys/${passkey.id}`, user.accessToken);
  assert.equal(removed.statusCode, 204, removed.body);

  // Refused where auth checks its own sessions: the refresh, and the live-session checks.
  const refreshed = await inject('POST', '/refresh', undefined, {
    refresh_token: phone.json().refresh_token,
  });
  assert.equal(refreshed.statusCode, 401, 'the session the removed passkey opened refreshes');
  const sessions = (await inject('GET', '/user/sessions', user.accessToken)).json().items as {
    id: string;
  }[];
  assert.equal(sessions.length, 2, 'the password sessions stay');
  assert.equal((await inject('GET', '/user', laptop.accessToken)).statusCode, 200);
  const feed = await app.inject({
    url: '/internal/revocations',
    headers: { 'x-service-token': SERVICE_TOKEN },
  });
  const sid = JSON.parse(
    Buffer.from(phone.json().access_token.split('.')[1], 'base64url').toString(),
  ).sid;
  assert.ok(
    feed.json().items.some((i: { session_id: string }) => i.session_id === sid),
    'the revocation is on the feed, so every service refuses its access token',
  );
  const [event] = await sql(
    t.databaseUrl,
    "select details from audit_events where user_id = $1 and type = 'passkey.removed'",
    [user.id],
  );
  assert.equal(event.details.revoked_sessions, 1);
});
