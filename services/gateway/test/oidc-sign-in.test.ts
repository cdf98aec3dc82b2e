import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { startOidcSignIn } from './oidc-harness.ts';
import { eventually, post, signUp, waitForMail } from './services.ts';

/**
 * Signing in with an OpenID Connect provider, end to end: a real provider (oidc-provider) in this
 * process, the real auth service as its own process, and the real gateway in front, which is also
 * the PUBLIC_URL the provider sends the browser back to (oidc-harness.ts).
 */
const {
  APP,
  origin,
  callback,
  idp,
  auth,
  authorizeUrl,
  idpAccount,
  atCallback,
  visit,
  backAtApp,
  exchange,
  signInWith,
  bearer,
  auditOf,
  verifiedMember,
  memberWithTotp,
  unique,
} = await startOidcSignIn();

test('the providers are listed from OIDC_PROVIDERS', async () => {
  const res = await fetch(`${origin}/accounts/v1/oauth/providers`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    items: [
      { id: 'test', name: 'Test IdP' },
      { id: 'down', name: 'Down' },
    ],
  });
});

test('authorize sends the browser to the provider with PKCE, state and nonce', async () => {
  const res = await fetch(authorizeUrl(), { redirect: 'manual' });
  assert.equal(res.status, 302);
  const location = new URL(res.headers.get('location')!);
  assert.equal(location.origin, idp.issuer);
  const q = location.searchParams;
  assert.equal(q.get('response_type'), 'code');
  assert.equal(q.get('client_id'), idp.clientId);
  assert.equal(q.get('redirect_uri'), callback);
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.match(q.get('code_challenge') ?? '', /^[\w-]{43}$/);
  assert.ok((q.get('state') ?? '').length >= 32);
  assert.ok((q.get('nonce') ?? '').length >= 32);
  assert.deepEqual(q.get('scope')?.split(' ').sort(), ['email', 'openid', 'profile']);

  // An app that navigates itself asks for the URL as data.
  const asData = await fetch(`${authorizeUrl()}&format=json`);
  assert.equal(asData.status, 200);
  const { url } = (await asData.json()) as { url: string };
  assert.equal(new URL(url).origin, idp.issuer);

  // The contract's 302 whatever the client accepts: harnesses send JSON-only Accept everywhere.
  for (const accept of [
    'application/json',
    'application/json, text/plain, */*',
    'application/json, text/html',
  ]) {
    const redirected = await fetch(authorizeUrl(), { headers: { accept }, redirect: 'manual' });
    assert.equal(redirected.status, 302, accept);
    assert.equal(new URL(redirected.headers.get('location') ?? '').origin, idp.issuer);
  }
});

test('a new user signs up through the provider; the next sign-in finds the same account', async () => {
  const email = `new-${unique()}@idp.test`;
  const subject = idpAccount({ email, email_verified: true, preferred_username: 'Ada Lovelace' });
  const first = await signInWith(subject);
  assert.equal(first.user.email, email);
  assert.equal(first.user.email_verified, true);
  assert.match(first.user.username, /^Ada_Lovelace(_\d+)?$/);

  const me = await fetch(`${origin}/accounts/v1/user`, { headers: bearer(first.access_token) });
  assert.equal(me.status, 200);
  const identities = await fetch(`${origin}/accounts/v1/user/identities`, {
    headers: bearer(first.access_token),
  });
  const { items } = (await identities.json()) as { items: { provider: string; email: string }[] };
  assert.deepEqual(
    items.map((i) => [i.provider, i.email]),
    [['test', email]],
  );

  const again = await signInWith(subject);
  assert.equal(again.user.id, first.user.id);

  // It has no password: password sign-in cannot open it, and unlinking its only way in is refused.
  const login = await post(`${origin}/accounts/v1/login`, { email, password: 'any password 1' });
  assert.equal(login.status, 401);
  const [identity] = items as unknown as { id: string }[];
  const unlink = await fetch(`${origin}/accounts/v1/user/identities/${identity!.id}`, {
    method: 'DELETE',
    headers: bearer(first.access_token),
  });
  assert.equal(unlink.status, 409);
  assert.equal(((await unlink.json()) as { code: string }).code, 'last_sign_in_method');
});

test("a provider's very long name becomes a username at once (regex rescans held auth's event loop until the gateway took auth out)", async () => {
  const tag = unique();
  // A run of separators that does not end the name: /[_.-]+$/ tried again from each of them.
  const name = `${tag}${'_'.repeat(200_000)}é`;
  const subject = idpAccount({
    email: `long-${tag}@idp.test`,
    email_verified: true,
    preferred_username: name,
  });
  const arrived = await atCallback(subject);
  const started = performance.now();
  const params = await backAtApp(arrived);
  const took = performance.now() - started;
  assert.ok(took < 5000, `the callback took ${Math.round(took)} ms`);
  const tokens = await exchange(params.get('code')!);
  assert.equal(tokens.status, 200, await tokens.clone().text());
  const { user } = (await tokens.json()) as { user: { username: string } };
  assert.equal(user.username, `${tag}${'_'.repeat(32 - tag.length)}`);
});

test('an email claim that is not one plain address counts as none: no account, no mail to it', async () => {
  for (const email of [
    `victim-${unique()}@idp.test\r\nBcc: evil@idp.test`,
    `"Victim" <victim-${unique()}@idp.test>`,
    `a-${unique()}@idp.test, b@idp.test`,
    // PostgreSQL refuses a NUL: the callback was a 500.
    `nul-${unique()}\u0000@idp.test`,
    // Other scripts, controls and invisible characters, which POST /register refuses: the Kelvin
    // sign lower-cases to k (a UTF-8 PostgreSQL found, and linked, the account of kate-…), a
    // Cyrillic а passes for a Latin a, a right-to-left override turns the address around.
    `\u212Aate-${unique()}@idp.test`,
    `lookalike-${unique()}@ex\u0430mple.com`,
    `rtl-${unique()}\u202e@idp.test`,
    `ctl-${unique()}\u0001@idp.test`,
  ]) {
    const params = await backAtApp(await atCallback(idpAccount({ email, email_verified: true })));
    assert.equal(params.get('code'), null, email);
    assert.equal(params.get('error'), 'email_required', email);
  }
});

test('an email the provider does not vouch for opens no new account, so nobody can squat an address', async () => {
  const email = `unverified-new-${unique()}@idp.test`;
  const params = await backAtApp(await atCallback(idpAccount({ email, email_verified: false })));
  assert.equal(params.get('code'), null);
  assert.equal(params.get('error'), 'email_not_verified');
  // The address stays free for its owner.
  const registered = await post(`${origin}/accounts/v1/register`, {
    email,
    username: `owner${unique()}`.replace(/[^a-z0-9]/gi, '').slice(0, 30),
    password: 'correct horse battery staple',
  });
  assert.equal(registered.status, 201);
});

test('a verified email at the provider links to the account that verified the same email', async () => {
  const member = await verifiedMember();
  const subject = idpAccount({ email: member.email.toUpperCase(), email_verified: true });
  const tokens = await signInWith(subject);
  assert.equal(tokens.user.id, member.id);

  // The member has a password too, so the link may go; only its owner can remove it.
  const list = async () =>
    (
      (await (
        await fetch(`${origin}/accounts/v1/user/identities`, {
          headers: bearer(tokens.access_token),
        })
      ).json()) as { items: { id: string }[] }
    ).items;
  const [identity] = await list();
  assert.ok(identity);
  const unlink = await fetch(`${origin}/accounts/v1/user/identities/${identity.id}`, {
    method: 'DELETE',
    headers: bearer(tokens.access_token),
  });
  assert.equal(unlink.status, 204);
  assert.deepEqual(await list(), []);
  const events = await auditOf(tokens.access_token);
  assert.deepEqual(
    events.slice(0, 3).map((e) => [e.type, e.details.method ?? e.details.how, e.details.provider]),
    [
      ['identity.unlinked', undefined, 'test'],
      ['login.succeeded', 'oidc', 'test'],
      ['identity.linked', 'verified_email', 'test'],
    ],
  );
  const someoneElse = await signUp(origin);
  const foreign = await fetch(`${origin}/accounts/v1/user/identities/${identity.id}`, {
    method: 'DELETE',
    headers: bearer(someoneElse.accessToken),
  });
  assert.equal(foreign.status, 404);
});

test('an email the provider does not vouch for never opens an existing account', async () => {
  const member = await verifiedMember();
  const params = await backAtApp(
    await atCallback(idpAccount({ email: member.email, email_verified: false })),
  );
  assert.equal(params.get('code'), null);
  assert.equal(params.get('error'), 'email_in_use');
  const [event] = await auditOf(member.accessToken);
  assert.equal(event?.type, 'login.failed');
  assert.deepEqual(event?.details, { method: 'oidc', provider: 'test', reason: 'email_in_use' });
});

test('a provider-verified email does not link to an account that never verified it', async () => {
  const member = await signUp(origin);
  const params = await backAtApp(
    await atCallback(idpAccount({ email: member.email, email_verified: true })),
  );
  assert.equal(params.get('code'), null);
  assert.equal(params.get('error'), 'email_in_use');
});

test('a sign-up racing a registration of the same address ends at the app, not in a 500', async () => {
  const email = `race-${unique()}@idp.test`;
  const callbackUrl = await atCallback(idpAccount({ email, email_verified: true }));
  // A registration of the address, begun and not yet committed: the sign-up does not see it, and
  // its own insert waits on the unique index until the registration commits.
  const db = new pg.Client({ connectionString: auth.databaseUrl });
  await db.connect();
  try {
    await db.query('begin');
    await db.query('insert into users (email, username) values ($1, $2)', [email, `r${unique()}`]);
    const visiting = visit(callbackUrl);
    await eventually(async () => {
      const { rows } = await db.query(
        `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      return rows.length > 0;
    });
    await db.query('commit');
    const res = await visiting;
    assert.equal(res.status, 302, await res.clone().text());
    const params = new URL(res.headers.get('location')!).searchParams;
    // As if the registration had come first: its address is not verified, so no link.
    assert.equal(params.get('error'), 'email_in_use');
    assert.equal(params.get('code'), null);
  } finally {
    await db.end();
  }
});

test('a wrong state is refused', async () => {
  const url = new URL(await atCallback(idpAccount({ email: `s-${unique()}@idp.test` })));
  url.searchParams.set('state', randomBytes(32).toString('base64url'));
  const res = await visit(url.toString());
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { code: string }).code, 'invalid_state');
});

test('a callback replayed, and a one-time code spent twice, are refused', async () => {
  const callbackUrl = await atCallback(
    idpAccount({ email: `r-${unique()}@idp.test`, email_verified: true }),
  );
  const code = (await backAtApp(callbackUrl)).get('code')!;
  const replayed = await visit(callbackUrl);
  assert.equal(replayed.status, 400);

  assert.equal((await exchange(code)).status, 200);
  const again = await exchange(code);
  assert.equal(again.status, 400);
  assert.equal(((await again.json()) as { code: string }).code, 'invalid_code');
  assert.equal((await exchange('not-a-code')).status, 400);
});

test('an app that intercepts the provider’s redirect gets the callback’s answer as data with format=json; a JSON-only Accept still gets the 302', async () => {
  const subject = idpAccount({ email: `j-${unique()}@idp.test`, email_verified: true });
  const callbackUrl = await atCallback(subject);
  const asData = await fetch(`${callbackUrl}&format=json`, { redirect: 'manual' });
  assert.equal(asData.status, 200, await asData.clone().text());
  const { url } = (await asData.json()) as { url: string };
  const code = new URL(url).searchParams.get('code');
  assert.ok(code, url);
  assert.equal((await exchange(code)).status, 200);

  const again = await atCallback(subject);
  const redirected = await fetch(again, {
    redirect: 'manual',
    headers: { accept: 'application/json' },
  });
  assert.equal(redirected.status, 302);
});

test('a tampered ID token is refused', async () => {
  const subject = idpAccount({ email: `t-${unique()}@idp.test`, email_verified: true });
  const callbackUrl = await atCallback(subject);
  idp.tamperNextIdToken();
  const params = await backAtApp(callbackUrl);
  assert.equal(params.get('code'), null);
  assert.equal(params.get('error'), 'sign_in_failed');
});

test('a redirect_uri outside the allow-list is refused before the provider is involved', async () => {
  for (const uri of [
    'http://evil.test/signed-in',
    `${APP}/more`,
    `${APP}?x=1`,
    'http://APP.test/signed-in',
  ]) {
    const res = await fetch(authorizeUrl(uri), { redirect: 'manual' });
    assert.equal(res.status, 400, uri);
    assert.equal(((await res.json()) as { code: string }).code, 'redirect_uri_not_allowed');
  }
  const unknown = await fetch(`${origin}/accounts/v1/oauth/nope/authorize?redirect_uri=${APP}`, {
    redirect: 'manual',
  });
  assert.equal(unknown.status, 404);
});

test("the app's own state comes back, and its PKCE binds the code to it", async () => {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const subject = idpAccount({ email: `p-${unique()}@idp.test`, email_verified: true });
  const params = await backAtApp(
    await atCallback(subject, `&state=app-state-1&code_challenge=${challenge}`),
  );
  assert.equal(params.get('state'), 'app-state-1');
  const code = params.get('code')!;
  assert.equal((await exchange(code)).status, 400);
  assert.equal((await exchange(code, { code_verifier: `${verifier.slice(1)}x` })).status, 400);
  assert.equal((await exchange(code, { code_verifier: verifier })).status, 200);
});

test('a provider that is down, or a sign-in refused there, sends the browser back with an error', async () => {
  const down = await fetch(
    `${origin}/accounts/v1/oauth/down/authorize?redirect_uri=${encodeURIComponent(APP)}&state=s1`,
    { redirect: 'manual' },
  );
  assert.equal(down.status, 302);
  const back = new URL(down.headers.get('location')!);
  assert.equal(`${back.origin}${back.pathname}`, APP);
  assert.equal(back.searchParams.get('error'), 'provider_unavailable');
  assert.equal(back.searchParams.get('state'), 's1');

  const started = await fetch(authorizeUrl(), { redirect: 'manual' });
  const state = new URL(started.headers.get('location')!).searchParams.get('state')!;
  const params = await backAtApp(
    `${callback}?error=access_denied&error_description=no&state=${encodeURIComponent(state)}`,
  );
  assert.equal(params.get('error'), 'access_denied');
  assert.equal(params.get('code'), null);
});

test('MFA still applies: a linked account with TOTP on gets mfa_required, then tokens for a code', async () => {
  const { member, totp } = await memberWithTotp();
  const subject = idpAccount({ email: member.email, email_verified: true });
  const code = (await backAtApp(await atCallback(subject))).get('code')!;
  const exchanged = await exchange(code);
  assert.equal(exchanged.status, 200);
  const body = (await exchanged.json()) as Record<string, unknown>;
  assert.equal(body.mfa_required, true);
  assert.equal(body.access_token, undefined);
  const second = await post(`${origin}/accounts/v1/login/mfa`, {
    mfa_token: body.mfa_token,
    // The step after the one spent to turn MFA on: a code is good once.
    code: totp.generate({ timestamp: Date.now() + 30_000 }),
  });
  assert.equal(second.status, 200, await second.clone().text());
  const tokens = (await second.json()) as { access_token: string; user: { id: string } };
  assert.equal(tokens.user.id, member.id);
  const [event] = await auditOf(tokens.access_token);
  assert.equal(event?.type, 'login.succeeded');
});

test("an admin's MFA reset kills the user's unredeemed login code and pending mfa_token", async () => {
  const { member } = await memberWithTotp();
  const subject = idpAccount({ email: member.email, email_verified: true });
  const code = (await backAtApp(await atCallback(subject))).get('code')!;
  assert.ok(code);
  const password = await post(`${origin}/accounts/v1/login`, {
    email: member.email,
    password: member.password,
  });
  const { mfa_token } = (await password.json()) as { mfa_token: string };
  assert.ok(mfa_token);

  const chief = await signUp(origin);
  const db = new pg.Client({ connectionString: auth.databaseUrl });
  await db.connect();
  await db
    .query(`insert into user_roles (user_id, role) values ($1, 'admin')`, [chief.id])
    .finally(() => db.end());
  const signedIn = await post(`${origin}/accounts/v1/login`, {
    email: chief.email,
    password: chief.password,
  });
  const admin = ((await signedIn.json()) as { access_token: string }).access_token;
  const reset = await fetch(`${origin}/accounts/v1/users/${member.id}/mfa`, {
    method: 'DELETE',
    headers: { ...bearer(admin), 'content-type': 'application/json' },
    body: JSON.stringify({ current_password: chief.password }),
  });
  assert.equal(reset.status, 204, await reset.clone().text());

  // Issued under the old second-factor state: neither may now sign in without it.
  const exchanged = await exchange(code);
  assert.equal(exchanged.status, 400, await exchanged.clone().text());
  assert.equal(((await exchanged.json()) as { code: string }).code, 'invalid_code');
  const finished = await post(`${origin}/accounts/v1/login/mfa`, {
    mfa_token,
    recovery_code: 'ABCD-EFGH-IJKL',
  });
  assert.equal(finished.status, 401, await finished.clone().text());
  assert.equal(((await finished.json()) as { code: string }).code, 'invalid_mfa_token');
  // A sign-in started after the reset works, now without a second factor.
  const fresh = await signInWith(subject);
  assert.equal(fresh.user.id, member.id);
});

test('unlinking a provider signs out the sessions it opened, with or without MFA, and no other', async () => {
  const refresh = (token: string) =>
    post(`${origin}/accounts/v1/refresh`, { refresh_token: token });
  const unlinkAll = async (accessToken: string) => {
    const listed = await fetch(`${origin}/accounts/v1/user/identities`, {
      headers: bearer(accessToken),
    });
    for (const { id } of ((await listed.json()) as { items: { id: string }[] }).items) {
      const unlink = await fetch(`${origin}/accounts/v1/user/identities/${id}`, {
        method: 'DELETE',
        headers: bearer(accessToken),
      });
      assert.equal(unlink.status, 204);
    }
  };

  // A provider account taken over: the owner unlinks it from a password session.
  const member = await verifiedMember();
  const viaProvider = await signInWith(idpAccount({ email: member.email, email_verified: true }));
  await unlinkAll(member.accessToken);
  assert.equal((await refresh(viaProvider.refresh_token)).status, 401);
  const me = await fetch(`${origin}/accounts/v1/user`, { headers: bearer(member.accessToken) });
  assert.equal(me.status, 200, 'the password session stays');

  // With MFA on, the session opened by the provider and a code ends too.
  const { member: withTotp, totp } = await memberWithTotp();
  const code = (
    await backAtApp(await atCallback(idpAccount({ email: withTotp.email, email_verified: true })))
  ).get('code')!;
  const challenge = (await (await exchange(code)).json()) as { mfa_token: string };
  const second = await post(`${origin}/accounts/v1/login/mfa`, {
    mfa_token: challenge.mfa_token,
    code: totp.generate({ timestamp: Date.now() + 30_000 }),
  });
  assert.equal(second.status, 200, await second.clone().text());
  const tokens = (await second.json()) as { refresh_token: string };
  await unlinkAll(withTotp.accessToken);
  assert.equal((await refresh(tokens.refresh_token)).status, 401);
});

test('the owner is mailed when a provider links itself to their account by its verified email', async () => {
  // A way in that needs no password, added by whoever holds a provider account with this
  // verified email: the owner hears of it, as of a passkey added.
  const member = await verifiedMember();
  await signInWith(idpAccount({ email: member.email, email_verified: true }));
  const notice = await waitForMail(auth.mailDir, member.email, /provider/i);
  assert.match(notice.subject, /Test IdP|provider/i);
});

test('unlinking a provider ends the sign-ins it started that wait for their second factor', async () => {
  const { member, nextCode, recoveryCodes } = await memberWithTotp();
  const subject = idpAccount({ email: member.email, email_verified: true });
  const challengeOf = async () => {
    const code = (await backAtApp(await atCallback(subject))).get('code')!;
    const challenge = (await (await exchange(code)).json()) as { mfa_token: string };
    assert.ok(challenge.mfa_token);
    return challenge.mfa_token;
  };
  // Linked by a first sign-in that passed the second factor; a second one waits for it.
  const first = await post(`${origin}/accounts/v1/login/mfa`, {
    mfa_token: await challengeOf(),
    code: nextCode(),
  });
  assert.equal(first.status, 200, await first.clone().text());
  const waiting = await challengeOf();
  const listed = await fetch(`${origin}/accounts/v1/user/identities`, {
    headers: bearer(member.accessToken),
  });
  const [identity] = ((await listed.json()) as { items: { id: string }[] }).items;
  const unlink = await fetch(`${origin}/accounts/v1/user/identities/${identity!.id}`, {
    method: 'DELETE',
    headers: bearer(member.accessToken),
  });
  assert.equal(unlink.status, 204);
  const second = await post(`${origin}/accounts/v1/login/mfa`, {
    mfa_token: waiting,
    recovery_code: recoveryCodes[0],
  });
  assert.equal(second.status, 401, 'the unlinked provider still opened a session');
  assert.equal(((await second.json()) as { code: string }).code, 'invalid_mfa_token');
});
