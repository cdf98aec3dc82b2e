import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServiceAuth, REVOCATION_STREAM, redisRevocations } from '@platform/auth';
import { startRedis, tcpProxy } from '@platform/testing';
import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { bearer, buildTestAuth, signUp } from './helper.ts';

const redis = await startRedis();
after(() => redis.stop());
const { app, config } = await buildTestAuth({ REDIS_URL: redis.url });
const address = await app.listen({ port: 0, host: '127.0.0.1' });

const logout = (token: string) =>
  app.inject({ method: 'POST', url: '/accounts/v1/logout', headers: bearer(token) });

async function revokedWithin(isRevoked: () => boolean, ms: number) {
  const start = Date.now();
  while (!isRevoked()) {
    if (Date.now() - start > ms) return false;
    await sleep(5);
  }
  return true;
}

test('logout pushes the session onto the Redis stream', async () => {
  const user = await signUp(app);
  await logout(user.accessToken);
  const client = new Redis(redis.url);
  after(() => client.disconnect());
  const entries = await client.xrange(REVOCATION_STREAM, '-', '+');
  const fields = entries.map(([, f]) =>
    Object.fromEntries(f.flatMap((v, i) => (i % 2 ? [] : [[v, f[i + 1]]]))),
  );
  const mine = fields.find((f) => f.session_id === decodeJwt(user.accessToken).sid);
  assert.ok(mine, 'the stream carries the session');
  assert.ok(Number(mine.expires_at) > Date.now() + config.ACCESS_TOKEN_TTL * 1000);
});

test('a Redis follower learns of a logout within a second, without the feed', async () => {
  const revocations = redisRevocations({ redisUrl: redis.url });
  after(() => revocations.close());
  await revocations.start();
  const earlier = await signUp(app);
  await logout(earlier.accessToken);
  const user = await signUp(app);
  const sessionId = decodeJwt(user.accessToken).sid as string;
  assert.equal(revocations.isRevoked(sessionId), false);
  await logout(user.accessToken);
  assert.ok(await revokedWithin(() => revocations.isRevoked(sessionId), 1000));
  assert.ok(revocations.isRevoked(decodeJwt(earlier.accessToken).sid as string));
});

test('a follower started later reads what the stream already holds', async () => {
  const user = await signUp(app);
  await logout(user.accessToken);
  const revocations = redisRevocations({ redisUrl: redis.url });
  after(() => revocations.close());
  await revocations.start();
  assert.equal(revocations.isRevoked(decodeJwt(user.accessToken).sid as string), true);
});

test('createServiceAuth with Redis refuses a logged-out token within a second', async () => {
  const auth = createServiceAuth({
    authUrl: address,
    serviceToken: config.SERVICE_TOKEN,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    maxLifetime: config.ACCESS_TOKEN_MAX_LIFETIME,
    redisUrl: redis.url,
  });
  after(() => auth.close());
  await auth.revocations.start();
  const user = await signUp(app);
  const principal = await auth.verify(user.accessToken);
  await logout(user.accessToken);
  assert.ok(await revokedWithin(() => auth.revocations.isRevoked(principal.sessionId), 1000));
  await assert.rejects(auth.verify(user.accessToken), { name: 'TokenError' });
});

test('a follower whose connection goes silent makes a new one and catches up', async () => {
  // Every connection is marked: silence() quiets the follower's, later ones pass.
  const proxy = await tcpProxy(redis.url, { marks: () => true });
  after(() => proxy.close());
  const revocations = redisRevocations({ redisUrl: proxy.url });
  after(() => revocations.close());
  await revocations.start();
  proxy.silence();
  const user = await signUp(app);
  await logout(user.accessToken);
  // The blocked read answers within 5 s when all is well; 10 s of silence ends the connection.
  const sessionId = decodeJwt(user.accessToken).sid as string;
  assert.ok(await revokedWithin(() => revocations.isRevoked(sessionId), 20_000));
});
