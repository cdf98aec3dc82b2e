import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { bearer, buildTestAuth, recordingPublisher, signUp, sql } from './helper.ts';

const { publisher, published } = recordingPublisher();
const auth = await buildTestAuth({}, { revocations: publisher });
const { app } = auth;

interface SessionItem {
  id: string;
  created_at: string;
  last_used_at: string;
  ip: string | null;
  user_agent: string | null;
  current: boolean;
}

const signIn = async (email: string, password: string, agent: string) => {
  const res = await app.inject({
    method: 'POST',
    url: '/accounts/v1/login',
    headers: { 'user-agent': agent },
    payload: { email, password },
  });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  return { accessToken: body.access_token as string, refreshToken: body.refresh_token as string };
};
const sessions = async (token: string) => {
  const res = await app.inject({ url: '/accounts/v1/user/sessions', headers: bearer(token) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().items as SessionItem[];
};
const end = (token: string, id: string) =>
  app.inject({ method: 'DELETE', url: `/accounts/v1/user/sessions/${id}`, headers: bearer(token) });
const refresh = (token: string) =>
  app.inject({ method: 'POST', url: '/accounts/v1/refresh', payload: { refresh_token: token } });
const me = (token: string) => app.inject({ url: '/accounts/v1/user', headers: bearer(token) });
const sid = (token: string) => decodeJwt(token).sid as string;

test('a user lists their live sessions with where they came from and which is current', async () => {
  const user = await signUp(app);
  const phone = await signIn(user.email, user.password, 'Phone/2.0');
  const laptop = await signIn(user.email, user.password, 'Laptop/3.0');
  // A refresh moves the phone to the top: last_used_at follows refreshes.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const rotated = await refresh(phone.refreshToken);
  assert.equal(rotated.statusCode, 200);

  const items = await sessions(laptop.accessToken);
  assert.equal(items.length, 3);
  assert.deepEqual(
    items.map((s) => s.id),
    [sid(phone.accessToken), sid(laptop.accessToken), sid(user.accessToken)],
  );
  const [phoneRow, laptopRow] = items;
  assert.equal(phoneRow!.user_agent, 'Phone/2.0');
  assert.equal(phoneRow!.ip, '127.0.0.1');
  assert.equal(phoneRow!.current, false);
  assert.equal(laptopRow!.current, true);
  assert.equal(items.filter((s) => s.current).length, 1);
  assert.ok(Date.parse(phoneRow!.last_used_at) > Date.parse(phoneRow!.created_at));
  assert.equal(laptopRow!.last_used_at, laptopRow!.created_at);
  // Logged-out sessions are gone from the list.
  await app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    headers: bearer(user.accessToken),
  });
  assert.equal((await sessions(laptop.accessToken)).length, 2);
});

test('ending a session refuses its tokens and publishes it, and is audited', async () => {
  const user = await signUp(app);
  const phone = await signIn(user.email, user.password, 'Phone/2.0');
  const before = published.length;
  const res = await end(user.accessToken, sid(phone.accessToken));
  assert.equal(res.statusCode, 204);
  assert.equal(res.body, '');
  assert.equal((await me(phone.accessToken)).statusCode, 401);
  assert.equal((await refresh(phone.refreshToken)).statusCode, 401);
  assert.deepEqual(
    published.slice(before).map((e) => e.sessionId),
    [sid(phone.accessToken)],
  );
  // The caller's own session lives on; ending it twice is a 404.
  assert.equal((await me(user.accessToken)).statusCode, 200);
  assert.equal((await end(user.accessToken, sid(phone.accessToken))).statusCode, 404);

  const audit = await app.inject({
    url: '/accounts/v1/user/audit-events?type=session.revoked',
    headers: bearer(user.accessToken),
  });
  const [event] = audit.json().items;
  assert.equal(event.user_id, user.id);
  assert.equal(event.actor_id, user.id);
  assert.deepEqual(event.details, { session_id: sid(phone.accessToken), current: false });
});

test('a user can end their current session, like a logout', async () => {
  const user = await signUp(app);
  assert.equal((await end(user.accessToken, sid(user.accessToken))).statusCode, 204);
  assert.equal((await me(user.accessToken)).statusCode, 401);
});

test('a session id in upper case is that session: audited as written everywhere else', async () => {
  // The uuid format takes either case and PostgreSQL reads both alike; compared as text, the
  // audit event named the id as typed and called the current session not current.
  const user = await signUp(app);
  const current = sid(user.accessToken);
  assert.equal((await end(user.accessToken, current.toUpperCase())).statusCode, 204);
  assert.equal((await me(user.accessToken)).statusCode, 401);
  const [event] = await sql(
    auth.databaseUrl,
    "select details from audit_events where type = 'session.revoked' and user_id = $1",
    [user.id],
  );
  assert.deepEqual((event as { details: object }).details, { session_id: current, current: true });
});

test('signing out every other device ends all the caller’s sessions but this one, and only theirs', async () => {
  const user = await signUp(app);
  const phone = await signIn(user.email, user.password, 'Phone/2.0');
  const laptop = await signIn(user.email, user.password, 'Laptop/3.0');
  const stranger = await signUp(app);
  const before = published.length;
  const res = await app.inject({
    method: 'DELETE',
    url: '/accounts/v1/user/sessions',
    headers: bearer(laptop.accessToken),
  });
  assert.equal(res.statusCode, 204, res.body);
  assert.equal(res.body, '');
  for (const other of [phone, { accessToken: user.accessToken, refreshToken: user.refreshToken }]) {
    assert.equal((await me(other.accessToken)).statusCode, 401);
    assert.equal((await refresh(other.refreshToken)).statusCode, 401);
  }
  assert.equal((await me(laptop.accessToken)).statusCode, 200);
  assert.equal((await me(stranger.accessToken)).statusCode, 200);
  assert.deepEqual(
    published
      .slice(before)
      .map((e) => e.sessionId)
      .sort(),
    [sid(phone.accessToken), sid(user.accessToken)].sort(),
  );
  assert.deepEqual(
    (await sessions(laptop.accessToken)).map((s) => s.id),
    [sid(laptop.accessToken)],
  );
  const audit = await app.inject({
    url: '/accounts/v1/user/audit-events?type=session.revoked',
    headers: bearer(laptop.accessToken),
  });
  assert.deepEqual(
    audit
      .json()
      .items.map((e: { details: { session_id: string } }) => e.details.session_id)
      .sort(),
    [sid(phone.accessToken), sid(user.accessToken)].sort(),
  );
  // Nothing left to end: the same answer.
  const again = await app.inject({
    method: 'DELETE',
    url: '/accounts/v1/user/sessions',
    headers: bearer(laptop.accessToken),
  });
  assert.equal(again.statusCode, 204);
  assert.equal(
    (await app.inject({ method: 'DELETE', url: '/accounts/v1/user/sessions' })).statusCode,
    401,
  );
});

test('logout takes Supabase’s scope: others keeps this session, global ends every one', async () => {
  const user = await signUp(app);
  const phone = await signIn(user.email, user.password, 'Phone/2.0');
  const logout = (token: string | undefined, scope: string, payload: object = {}) =>
    app.inject({
      method: 'POST',
      url: `/accounts/v1/logout?scope=${scope}`,
      ...(token ? { headers: bearer(token) } : {}),
      payload,
    });
  assert.equal((await logout(phone.accessToken, 'others')).statusCode, 204);
  assert.equal((await me(user.accessToken)).statusCode, 401);
  assert.equal((await me(phone.accessToken)).statusCode, 200);

  const laptop = await signIn(user.email, user.password, 'Laptop/3.0');
  // Without an access token a refresh token cannot say whose other sessions to end.
  const anonymous = await logout(undefined, 'global', { refresh_token: laptop.refreshToken });
  assert.equal(anonymous.statusCode, 401);
  assert.equal((await me(laptop.accessToken)).statusCode, 200);
  assert.equal((await logout(laptop.accessToken, 'global')).statusCode, 204);
  for (const session of [phone, laptop]) {
    assert.equal((await me(session.accessToken)).statusCode, 401);
    assert.equal((await refresh(session.refreshToken)).statusCode, 401);
  }
  assert.equal((await logout(undefined, 'everything')).statusCode, 400);
});

test('a token of a session revoked on a replica this one has not heard of ends no other session', async () => {
  const user = await signUp(app);
  const phone = await signIn(user.email, user.password, 'Phone/2.0');
  // A thief's copy of the access token, its session already signed out elsewhere.
  await sql(auth.databaseUrl, 'update sessions set revoked_at = now() where id = $1', [
    sid(user.accessToken),
  ]);
  const attempts = [
    { method: 'DELETE' as const, url: '/accounts/v1/user/sessions' },
    { method: 'POST' as const, url: '/accounts/v1/logout?scope=others' },
    { method: 'POST' as const, url: '/accounts/v1/logout?scope=global' },
  ];
  for (const attempt of attempts) {
    const res = await app.inject({ ...attempt, headers: bearer(user.accessToken) });
    assert.equal(res.statusCode, 401, `${attempt.method} ${attempt.url}: ${res.body}`);
  }
  assert.equal((await me(phone.accessToken)).statusCode, 200);
  assert.equal((await refresh(phone.refreshToken)).statusCode, 200);
});

test('a refresh racing a sign-out of every other device leaves nothing of that session alive', async () => {
  const user = await signUp(app);
  const laptop = await signIn(user.email, user.password, 'Laptop/3.0');
  for (let round = 0; round < 8; round++) {
    const phone = await signIn(user.email, user.password, 'Phone/2.0');
    const [refreshed, ended] = await Promise.all([
      refresh(phone.refreshToken),
      app.inject({
        method: 'DELETE',
        url: '/accounts/v1/user/sessions',
        headers: bearer(laptop.accessToken),
      }),
    ]);
    assert.equal(ended.statusCode, 204, ended.body);
    // Refreshed first or after: its new pair is refused as the old one is.
    const pair =
      refreshed.statusCode === 200
        ? { access: refreshed.json().access_token, refresh: refreshed.json().refresh_token }
        : { access: phone.accessToken, refresh: phone.refreshToken };
    assert.equal((await me(pair.access)).statusCode, 401, `round ${round + 1}`);
    assert.equal((await refresh(pair.refresh)).statusCode, 401, `round ${round + 1}`);
  }
  assert.equal((await me(laptop.accessToken)).statusCode, 200);
});

test('signing out thousands of other devices holds nobody else’s sign-out past a second', async () => {
  // A script that signs in on every run gathers thousands of live sessions. Every revocation
  // takes the revocation feed's lock in turn: ending them one audit row (one round trip) at a
  // time held every other user's logout for seconds, past the contract's second.
  const user = await signUp(app);
  const other = await signUp(app);
  await sql(
    auth.databaseUrl,
    `insert into sessions (user_id, expires_at, ip)
       select $1, now() + interval '1 day', '192.0.2.1' from generate_series(1, 3000)`,
    [user.id],
  );
  const ending = app.inject({
    method: 'DELETE',
    url: '/accounts/v1/user/sessions',
    headers: bearer(user.accessToken),
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = performance.now();
  const logout = await app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    headers: bearer(other.accessToken),
  });
  const took = performance.now() - started;
  assert.equal(logout.statusCode, 204);
  assert.equal((await ending).statusCode, 204);
  assert.ok(took < 1000, `another user's logout took ${Math.round(took)} ms`);
  assert.deepEqual(
    (await sessions(user.accessToken)).map((s) => s.id),
    [sid(user.accessToken)],
  );
  const [{ count }] = await sql(
    auth.databaseUrl,
    `select count(*)::int as count from audit_events
      where user_id = $1 and type = 'session.revoked'`,
    [user.id],
  );
  assert.equal(count, 3000);
});

test('a user with more sessions than a statement takes parameters still signs out the others', async () => {
  // Two parameters a feed entry: past 32,767 sessions the feed's insert went over PostgreSQL's
  // 65,535 (and failed: 503) for this, a password change and an account deletion alike.
  const user = await signUp(app);
  await sql(
    auth.databaseUrl,
    `insert into sessions (user_id, expires_at, ip)
       select $1, now() + interval '1 day', '192.0.2.1' from generate_series(1, 33000)`,
    [user.id],
  );
  const res = await app.inject({
    method: 'DELETE',
    url: '/accounts/v1/user/sessions',
    headers: bearer(user.accessToken),
  });
  assert.equal(res.statusCode, 204, res.body);
  assert.deepEqual(
    (await sessions(user.accessToken)).map((s) => s.id),
    [sid(user.accessToken)],
  );
});

test('another user’s session is a 404 and stays alive; bad ids are 400; no token is 401', async () => {
  const user = await signUp(app);
  const stranger = await signUp(app);
  const res = await end(user.accessToken, sid(stranger.accessToken));
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().code, 'not_found');
  const unknown = await end(user.accessToken, '00000000-0000-4000-8000-000000000000');
  const strip = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });
  assert.deepEqual(strip(unknown.json()), strip(res.json()));
  assert.equal((await me(stranger.accessToken)).statusCode, 200);
  assert.ok(!(await sessions(user.accessToken)).some((s) => s.id === sid(stranger.accessToken)));
  assert.equal((await end(user.accessToken, 'not-a-session')).statusCode, 400);
  const anonymous = await app.inject({
    method: 'DELETE',
    url: `/accounts/v1/user/sessions/${sid(user.accessToken)}`,
  });
  assert.equal(anonymous.statusCode, 401);
  assert.equal((await app.inject({ url: '/accounts/v1/user/sessions' })).statusCode, 401);
});
