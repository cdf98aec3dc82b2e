import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServiceAuth } from '@platform/auth';
import { connect } from '@platform/db';
import { sql } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import * as schema from '../src/db/schema.ts';
import { pruneExpired } from '../src/internal/prune.ts';
import { bearer, buildTestAuth, SERVICE_TOKEN, signUp } from './helper.ts';

const { app, config, databaseUrl } = await buildTestAuth();
const database = connect(databaseUrl, schema);
after(() => database.close());

const logout = (token: string) =>
  app.inject({ method: 'POST', url: '/accounts/v1/logout', headers: bearer(token) });
const asService = { 'x-service-token': SERVICE_TOKEN };
const feed = (query = '') =>
  app.inject({ url: `/internal/revocations${query}`, headers: asService });
const sid = (token: string) => decodeJwt(token).sid as string;

test('the feed lists revoked sessions in id order, after a given id, a page at a time', async () => {
  const users = [await signUp(app), await signUp(app), await signUp(app)];
  const start = (await feed()).json().last_id as number;
  for (const u of users) await logout(u.accessToken);

  const all = (await feed(`?after=${start}`)).json();
  assert.deepEqual(
    all.items.map((i: { session_id: string }) => i.session_id),
    users.map((u) => sid(u.accessToken)),
  );
  const ids = all.items.map((i: { id: number }) => i.id);
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
  );
  assert.equal(all.last_id, ids.at(-1));
  assert.ok(Date.parse(all.items[0].expires_at) > Date.now() + config.ACCESS_TOKEN_TTL * 1000);

  const page = (await feed(`?after=${start}&limit=2`)).json();
  assert.equal(page.items.length, 2);
  const rest = (await feed(`?after=${page.last_id}`)).json();
  assert.deepEqual(rest.items, all.items.slice(2));
  assert.deepEqual((await feed(`?after=${all.last_id}`)).json(), {
    items: [],
    last_id: all.last_id,
  });
});

test('the feed leaves out expired entries', async () => {
  const [old] = await database.db
    .insert(schema.revocations)
    .values({
      sessionId: '00000000-0000-4000-8000-000000000001',
      expiresAt: new Date(Date.now() - 1000),
    })
    .returning();
  const { items } = (await feed(`?after=${old!.id - 1}`)).json();
  assert.ok(!items.some((i: { id: number }) => i.id === old!.id));
});

test('the feed validates its query with 400', async () => {
  for (const query of ['?after=-1', '?after=abc', '?limit=0', '?limit=1001']) {
    const res = await feed(query);
    assert.equal(res.statusCode, 400, query);
    assert.ok(res.json().errors.length > 0);
  }
});

test('the feed answers only callers with the service token', async () => {
  for (const headers of [{}, { 'x-service-token': 'x'.repeat(45) }, { 'x-service-token': '' }]) {
    const res = await app.inject({ url: '/internal/revocations', headers });
    assert.equal(res.statusCode, 401, JSON.stringify(headers));
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    assert.equal(res.json().status, 401);
    assert.equal(res.json().items, undefined);
  }
  assert.equal((await feed()).statusCode, 200);
});

test('the feed is not part of the public API', async () => {
  assert.equal((await app.inject({ url: '/accounts/v1/internal/revocations' })).statusCode, 404);
  const openapi = (await app.inject({ url: '/accounts/v1/openapi.json' })).json();
  assert.ok(!Object.keys(openapi.paths).some((p) => p.includes('internal')));
});

test('pruning deletes expired revocations, spent tokens of expired sessions and stale counters', async () => {
  const user = await signUp(app);
  const refreshed = await app.inject({
    method: 'POST',
    url: '/accounts/v1/refresh',
    payload: { refresh_token: user.refreshToken },
  });
  assert.equal(refreshed.statusCode, 200);
  await database.db.execute(
    sql`update sessions set expires_at = now() - interval '1 second' where id = ${sid(user.accessToken)}`,
  );
  await database.db.insert(schema.loginFailures).values([
    { key: 'address:192.0.2.1', failures: 3, windowStartedAt: new Date(Date.now() - 86_400_000) },
    { key: 'address:192.0.2.2', failures: 3, windowStartedAt: new Date() },
  ]);
  await database.db.insert(schema.revocations).values({
    sessionId: sid(user.accessToken),
    expiresAt: new Date(Date.now() - 1000),
  });

  const deleted = await pruneExpired({ db: database.db, config });
  assert.ok(deleted.revocations >= 1);
  assert.equal(deleted.refreshTokens, 1);
  assert.equal(deleted.loginFailures, 1);
  const left = await database.db.execute(sql`
    select (select count(*) from revocations where expires_at < now())::int as revocations,
           (select count(*) from login_failures where key like 'address:192.0.2.%')::int as failures`);
  assert.deepEqual(left.rows[0], { revocations: 0, failures: 1 });
});

test('another process refuses a logged-out token within a second (poll mode)', async () => {
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const auth = createServiceAuth({
    authUrl: address,
    serviceToken: SERVICE_TOKEN,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    maxLifetime: config.ACCESS_TOKEN_MAX_LIFETIME,
  });
  after(() => auth.close());
  await auth.revocations.start();
  await auth.revocations.ready();

  const user = await signUp(app);
  const principal = await auth.verify(user.accessToken);
  assert.equal(principal.userId, user.id);

  assert.equal((await logout(user.accessToken)).statusCode, 204);
  const loggedOutAt = Date.now();
  while (!auth.revocations.isRevoked(principal.sessionId)) {
    assert.ok(Date.now() - loggedOutAt < 1000, 'revocation reached the verifier within 1 s');
    await sleep(10);
  }
  await assert.rejects(auth.verify(user.accessToken), { name: 'TokenError' });
});

test('with Redis unreachable, logout still succeeds and the feed still carries it', async () => {
  const lonely = await buildTestAuth({ REDIS_URL: 'redis://127.0.0.1:1' });
  const user = await signUp(lonely.app);
  const started = Date.now();
  const res = await lonely.app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    headers: bearer(user.accessToken),
  });
  assert.equal(res.statusCode, 204);
  assert.ok(Date.now() - started < 1000);
  const { items } = (
    await lonely.app.inject({ url: '/internal/revocations', headers: asService })
  ).json();
  assert.ok(items.some((i: { session_id: string }) => i.session_id === sid(user.accessToken)));
  assert.match(lonely.logs.text(), /could not push revocations to redis/);
});
