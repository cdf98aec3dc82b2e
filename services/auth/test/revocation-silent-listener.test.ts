import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServiceAuth } from '@platform/auth';
import type { App } from '@platform/http';
import { tcpProxy } from '@platform/testing';
import { bearer, buildTestAuth, SERVICE_TOKEN, signUp } from './helper.ts';

/**
 * A TCP proxy to PostgreSQL whose feed LISTEN connections (told apart by the application_name in
 * their startup message) can go silent, present and future: nothing passes either way and nothing
 * is closed. The pool's connections are left alone.
 */
async function silencingProxy(target: string) {
  const proxy = await tcpProxy(target, {
    marks: (chunk, marked) => marked || chunk.includes('auth-revocation-feed'),
  });
  after(() => proxy.close());
  return proxy;
}

async function metric(app: App, name: string): Promise<number> {
  const text = (await app.inject({ url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function eventually(check: () => Promise<boolean>, ms = 10_000) {
  const start = Date.now();
  while (!(await check())) {
    assert.ok(Date.now() - start < ms, `not true within ${ms} ms`);
    await sleep(20);
  }
}

test('a replica whose LISTEN connection went silent (no error, no close) still refuses a revocation made elsewhere within 1 s', async (t) => {
  const first = await buildTestAuth();
  const proxy = await silencingProxy(first.databaseUrl);
  // The default heartbeat (30 s): what a deployment runs.
  const quiet = await buildTestAuth({ DATABASE_URL: proxy.url }, { replicaOf: first });
  const url = await quiet.app.listen({ port: 0, host: '127.0.0.1' });
  await eventually(async () => (await metric(quiet.app, 'auth_revocation_feed_listening')) === 1);

  const follower = createServiceAuth({
    authUrl: url,
    serviceToken: SERVICE_TOKEN,
    issuer: first.config.JWT_ISSUER,
    audience: first.config.JWT_AUDIENCE,
    maxLifetime: first.config.ACCESS_TOKEN_MAX_LIFETIME,
    pollIntervalMs: 60_000,
  });
  t.after(() => follower.close());
  await follower.revocations.start();
  const user = await signUp(first.app);
  const principal = await follower.verify(user.accessToken);
  await eventually(async () => (await metric(quiet.app, 'auth_revocation_feed_held_polls')) >= 1);
  const own = () =>
    quiet.app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal((await own()).statusCode, 200);

  proxy.silence({ later: true });
  await sleep(100);
  const res = await first.app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    headers: bearer(user.accessToken),
  });
  assert.equal(res.statusCode, 204);
  const loggedOutAt = Date.now();
  while (!follower.revocations.isRevoked(principal.sessionId)) {
    assert.ok(Date.now() - loggedOutAt < 1000, 'the follower of the silent replica within 1 s');
    await sleep(5);
  }
  // And the replica's own list (the tokens it checks itself).
  while ((await own()).statusCode !== 401) {
    assert.ok(Date.now() - loggedOutAt < 1000, 'the silent replica itself within 1 s');
    await sleep(5);
  }
});

/**
 * A TCP proxy standing for the address verifiers reach auth by (a Kubernetes Service): new
 * connections go to the current target; `failOver` leaves the open ones silent, as a crashed host
 * or a dropped route does (no FIN, no RST), and sends new ones to the other replica.
 */
async function serviceAddress(target: string) {
  const proxy = await tcpProxy(target);
  after(() => proxy.close());
  return proxy;
}

test('a verifier whose held poll went to an auth that vanished without a word learns of a revocation in seconds, not after its 25 s wait', async (t) => {
  const first = await buildTestAuth();
  const firstUrl = await first.app.listen({ port: 0, host: '127.0.0.1' });
  const second = await buildTestAuth({}, { replicaOf: first });
  const secondUrl = await second.app.listen({ port: 0, host: '127.0.0.1' });
  const address = await serviceAddress(firstUrl);
  const follower = createServiceAuth({
    authUrl: address.url,
    serviceToken: SERVICE_TOKEN,
    issuer: first.config.JWT_ISSUER,
    audience: first.config.JWT_AUDIENCE,
    maxLifetime: first.config.ACCESS_TOKEN_MAX_LIFETIME,
  });
  t.after(() => follower.close());
  await follower.revocations.start();
  const user = await signUp(first.app);
  const principal = await follower.verify(user.accessToken);
  await eventually(async () => (await metric(first.app, 'auth_revocation_feed_held_polls')) >= 1);

  address.failOver(secondUrl);
  const res = await second.app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    headers: bearer(user.accessToken),
  });
  assert.equal(res.statusCode, 204);
  const loggedOutAt = Date.now();
  // A heartbeat (1 s) and the timeout after it (2 s) unheard, the retry pause (1 s): about 4 s.
  while (!follower.revocations.isRevoked(principal.sessionId)) {
    assert.ok(Date.now() - loggedOutAt < 8000, 'learnt from the live replica within seconds');
    await sleep(20);
  }
});
