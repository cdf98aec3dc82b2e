import assert from 'node:assert/strict';
import { mock, type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServiceAuth } from '@platform/auth';
import type { App } from '@platform/http';
import { decodeJwt } from 'jose';
import { bearer, buildTestAuth, SERVICE_TOKEN, signUp, sql } from './helper.ts';

// Two auth instances on one database, as two replicas: a revocation made through one must wake
// a feed request held by the other, whose PostgreSQL connection heard the NOTIFY.
const first = await buildTestAuth();
const second = await buildTestAuth({}, { replicaOf: first });
const secondUrl = await second.app.listen({ port: 0, host: '127.0.0.1' });

const asService = { 'x-service-token': SERVICE_TOKEN };
const logout = (app: App, token: string) =>
  app.inject({ method: 'POST', url: '/accounts/v1/logout', headers: bearer(token) });

/** One sample of a metric of `app` (no labels but `service`), or of a route's request count. */
async function metric(app: App, name: string, route?: string): Promise<number> {
  const text = (await app.inject({ url: '/metrics' })).body;
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && (!route || l.includes(`route="${route}"`)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
const held = (app: App) => metric(app, 'auth_revocation_feed_held_polls');
/** Answers from /internal/revocations so far (any status). */
async function feedRequests(app: App): Promise<number> {
  const text = (await app.inject({ url: '/metrics' })).body;
  return text
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('http_request_duration_seconds_count{') &&
        l.includes('route="/internal/revocations"'),
    )
    .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
}

async function eventually(check: () => Promise<boolean>, ms = 10_000) {
  const start = Date.now();
  while (!(await check())) {
    assert.ok(Date.now() - start < ms, `not true within ${ms} ms`);
    await sleep(20);
  }
}

function follower(t: TestContext, authUrl: string, options: { feedWaitSeconds?: number } = {}) {
  const auth = createServiceAuth({
    authUrl,
    serviceToken: SERVICE_TOKEN,
    issuer: first.config.JWT_ISSUER,
    audience: first.config.JWT_AUDIENCE,
    maxLifetime: first.config.ACCESS_TOKEN_MAX_LIFETIME,
    // Only a held request can bring news in time: a round that came back empty early would wait
    // a minute before the next one.
    pollIntervalMs: 60_000,
    ...options,
  });
  t.after(() => auth.close());
  return auth;
}

test('a logout through one replica wakes the poll the other holds: refused within 1 s', async (t) => {
  const auth = follower(t, secondUrl);
  await auth.revocations.start();
  const user = await signUp(first.app);
  const principal = await auth.verify(user.accessToken);
  await eventually(async () => (await held(second.app)) >= 1);
  const before = await feedRequests(second.app);

  assert.equal((await logout(first.app, user.accessToken)).statusCode, 204);
  const loggedOutAt = Date.now();
  while (!auth.revocations.isRevoked(principal.sessionId)) {
    assert.ok(Date.now() - loggedOutAt < 1000, 'the held poll brought the revocation within 1 s');
    await sleep(5);
  }
  await assert.rejects(auth.verify(user.accessToken), { name: 'TokenError' });
  // It came with the held request, which the follower replaced at once with a new one.
  await eventually(async () => (await held(second.app)) >= 1);
  assert.ok((await feedRequests(second.app)) - before <= 2);
});

test('a quiet feed is asked about once per wait, not four times a second', async (t) => {
  const before = await feedRequests(second.app);
  const auth = follower(t, secondUrl, { feedWaitSeconds: 1 });
  await auth.revocations.start();
  const started = Date.now();
  await sleep(3000);
  const seconds = (Date.now() - started) / 1000;
  const requests = (await feedRequests(second.app)) - before;
  // The first sync, then one per second of wait (polling every 250 ms would be 12 or more).
  assert.ok(requests >= 2, `${requests} requests: it kept following`);
  assert.ok(requests <= seconds + 2, `${requests} requests in ${seconds} s`);
});

test('a held poll answers when its wait ends, with nothing, and last_id as given', async () => {
  const { last_id } = (
    await second.app.inject({ url: '/internal/revocations', headers: asService })
  ).json();
  const started = performance.now();
  const res = await fetch(`${secondUrl}/internal/revocations?after=${last_id}&wait=1`, {
    headers: asService,
  });
  assert.ok(performance.now() - started >= 900, 'held for its wait');
  assert.deepEqual(await res.json(), { items: [], last_id });
});

test('a wall-clock jump during a hold neither ends it nor stretches it', async () => {
  const { last_id } = (
    await second.app.inject({ url: '/internal/revocations', headers: asService })
  ).json();
  const started = performance.now();
  const answer = fetch(`${secondUrl}/internal/revocations?after=${last_id}&wait=2`, {
    headers: asService,
  });
  await eventually(async () => (await held(second.app)) >= 1);
  const now = Date.now();
  const jump = mock.method(Date, 'now', () => now + 3600_000);
  try {
    await sleep(300);
    assert.equal(await held(second.app), 1, 'an hour forward did not end the hold');
  } finally {
    jump.mock.restore();
  }
  const back = mock.method(Date, 'now', () => now - 3600_000);
  try {
    assert.deepEqual(await (await answer).json(), { items: [], last_id });
  } finally {
    back.mock.restore();
  }
  const took = performance.now() - started;
  assert.ok(took >= 1900 && took < 10_000, `held ${took} ms for a 2 s wait`);
});

test('a poll is answered at once when something is already newer, whatever its wait', async () => {
  const user = await signUp(first.app);
  const { last_id } = (
    await second.app.inject({ url: '/internal/revocations', headers: asService })
  ).json();
  await logout(first.app, user.accessToken);
  const res = await second.app.inject({
    url: `/internal/revocations?after=${last_id}&wait=30`,
    headers: asService,
  });
  assert.deepEqual(
    res.json().items.map((i: { session_id: string }) => i.session_id),
    [decodeJwt(user.accessToken).sid],
  );
});

test('an entry the feed leaves out (expired) does not wake a held poll again and again', async () => {
  const { last_id } = (
    await second.app.inject({ url: '/internal/revocations', headers: asService })
  ).json();
  const before = await feedRequests(second.app);
  const answer = second.app.inject({
    url: `/internal/revocations?after=${last_id}&wait=2`,
    headers: asService,
  });
  await eventually(async () => (await held(second.app)) >= 1);
  // Written by hand with the NOTIFY a revocation sends: the poll wakes, reads, finds nothing it
  // may serve and holds on until its wait ends; one answer, no storm of empty ones.
  await sql(
    first.databaseUrl,
    `with added as (insert into revocations (session_id, expires_at)
       values ($1, now() - interval '1 minute') returning id)
     select pg_notify('revocation_feed', id::text) from added`,
    ['00000000-0000-4000-8000-0000000000aa'],
  );
  assert.deepEqual((await answer).json(), { items: [], last_id });
  assert.equal((await feedRequests(second.app)) - before, 1);
});

test('beyond the held-poll limit a poll is answered at once; a poller that hangs up frees its place', async () => {
  const limited = await buildTestAuth({}, { replicaOf: first, feed: { maxHeld: 2 } });
  const url = await limited.app.listen({ port: 0, host: '127.0.0.1' });
  const { last_id } = (
    await limited.app.inject({ url: '/internal/revocations', headers: asService })
  ).json();
  const poll = (signal?: AbortSignal) =>
    fetch(`${url}/internal/revocations?after=${last_id}&wait=30`, {
      headers: asService,
      ...(signal ? { signal } : {}),
    });
  const hangUp = new AbortController();
  const hungUp = poll(hangUp.signal).catch(() => undefined);
  const holding = poll();
  await eventually(async () => (await held(limited.app)) === 2);

  const started = performance.now();
  const refused = await poll();
  assert.equal(refused.status, 200);
  assert.deepEqual(await refused.json(), { items: [], last_id });
  assert.ok(performance.now() - started < 5000, 'answered without holding');
  assert.equal(await metric(limited.app, 'auth_revocation_feed_holds_refused_total'), 1);

  hangUp.abort();
  await eventually(async () => (await held(limited.app)) === 1);
  // The place is free again: the next poll is held, and a logout anywhere answers both.
  const third = poll();
  await eventually(async () => (await held(limited.app)) === 2);
  const user = await signUp(first.app);
  await logout(first.app, user.accessToken);
  await hungUp;
  for (const res of await Promise.all([holding, third])) {
    assert.deepEqual(
      ((await res.json()) as { items: { session_id: string }[] }).items.map((i) => i.session_id),
      [decodeJwt(user.accessToken).sid],
    );
  }
});

test('shutdown answers held polls at once instead of waiting out their wait', async () => {
  const closing = await buildTestAuth({}, { replicaOf: first });
  const url = await closing.app.listen({ port: 0, host: '127.0.0.1' });
  const { last_id } = (
    await closing.app.inject({ url: '/internal/revocations', headers: asService })
  ).json();
  const polls = Array.from({ length: 3 }, () =>
    fetch(`${url}/internal/revocations?after=${last_id}&wait=30`, { headers: asService }),
  );
  await eventually(async () => (await held(closing.app)) === 3);

  const started = performance.now();
  await closing.app.close();
  const took = performance.now() - started;
  assert.ok(took < 10_000, `close took ${took} ms`);
  for (const res of await Promise.all(polls)) {
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { items: [], last_id });
  }
});

test('with its LISTEN connection killed, a replica still wakes held polls within 1 s and listens again', async (t) => {
  // A reconnect backoff well past the 1 s bound: the fallback, polling the table, has to carry
  // the revocation (the test then waits it out, to see the replica listen again).
  const cut = await buildTestAuth(
    {},
    { replicaOf: first, feed: { listen: { retryMs: 2500, maxRetryMs: 2500 } } },
  );
  const url = await cut.app.listen({ port: 0, host: '127.0.0.1' });
  const listening = () => metric(cut.app, 'auth_revocation_feed_listening');
  await eventually(async () => (await listening()) === 1);
  const auth = follower(t, url);
  await auth.revocations.start();
  const user = await signUp(first.app);
  const principal = await auth.verify(user.accessToken);
  await eventually(async () => (await held(cut.app)) >= 1);

  // Every feed listener on the database, the other replicas' too, as a database failover would.
  await sql(
    first.databaseUrl,
    `select pg_terminate_backend(pid) from pg_stat_activity
      where application_name = 'auth-revocation-feed' and datname = current_database()`,
  );
  await eventually(async () => (await listening()) === 0);
  assert.equal((await logout(first.app, user.accessToken)).statusCode, 204);
  const loggedOutAt = Date.now();
  while (!auth.revocations.isRevoked(principal.sessionId)) {
    assert.ok(Date.now() - loggedOutAt < 1000, 'refused within 1 s while not listening');
    await sleep(5);
  }
  await eventually(async () => (await listening()) === 1);
  assert.match(cut.logs.text(), /lost the revocation feed listener/);
  assert.match(cut.logs.text(), /listening for revocations again/);
});

test('one revocation answers hundreds of held polls, each with the entry', async (t) => {
  const warnings: Error[] = [];
  const warned = (warning: Error) => warnings.push(warning);
  process.on('warning', warned);
  t.after(() => process.off('warning', warned));
  const many = await buildTestAuth({}, { replicaOf: first });
  const url = await many.app.listen({ port: 0, host: '127.0.0.1' });
  const { last_id } = (
    await many.app.inject({ url: '/internal/revocations', headers: asService })
  ).json();
  const polls = Array.from({ length: 300 }, () =>
    fetch(`${url}/internal/revocations?after=${last_id}&wait=30`, { headers: asService }).then(
      (res) => res.json() as Promise<{ items: { session_id: string }[] }>,
    ),
  );
  await eventually(async () => (await held(many.app)) === 300, 30_000);
  const user = await signUp(first.app);
  await logout(first.app, user.accessToken);
  const answers = await Promise.all(polls);
  const sid = decodeJwt(user.accessToken).sid;
  assert.ok(answers.every((a) => a.items.length === 1 && a.items[0]!.session_id === sid));
  assert.equal(await held(many.app), 0);
  assert.deepEqual(
    warnings.map((w) => w.message),
    [],
  );
});

test('without the service token a poll is refused at once, whatever its wait, and holds nothing', async () => {
  const { last_id } = (
    await second.app.inject({ url: '/internal/revocations', headers: asService })
  ).json();
  const polls = await Promise.all(
    ([{}, { 'x-service-token': 'x'.repeat(45) }] as Record<string, string>[]).map((headers) =>
      fetch(`${secondUrl}/internal/revocations?after=${last_id}&wait=30`, { headers }),
    ),
  );
  for (const res of polls) {
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { items?: unknown }).items, undefined);
  }
  assert.equal(await held(second.app), 0);
});

test('a wait that is not a whole number of seconds from 0 to 30 is a 400, and holds nothing', async () => {
  for (const wait of [
    '-1',
    '31',
    '1.5',
    '1e400',
    '99999999999999999999',
    'abc',
    '%00',
    '1%00',
    '',
  ]) {
    const res = await second.app.inject({
      url: `/internal/revocations?after=0&wait=${wait}`,
      headers: asService,
    });
    assert.equal(res.statusCode, 400, `wait=${wait}: ${res.body}`);
    assert.equal(res.json().code, 'validation_failed', `wait=${wait}`);
  }
  assert.equal(await held(second.app), 0);
});
