import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { createServiceAuth } from '@platform/auth';
import { createTestDatabase, startTokenIssuer, TEST_SECRETS } from '@platform/testing';
import { buildApp } from '../src/app.ts';
import { readConfig } from '../src/config.ts';
import { migrationsFolder, openDatabase } from '../src/db/index.ts';

/** A TCP hop in front of PostgreSQL that can go down: open connections cut, new ones refused. */
async function cuttableHop(target: URL) {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.toString(),
    async cut() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

test('with its database gone main answers 503 service_unavailable with Retry-After, not 500', async () => {
  const issuer = await startTokenIssuer({ serviceToken: TEST_SECRETS.SERVICE_TOKEN });
  const real = await createTestDatabase({ migrations: migrationsFolder });
  const hop = await cuttableHop(new URL(real.url));
  const config = readConfig({
    DATABASE_URL: hop.url,
    AUTH_URL: issuer.url,
    SERVICE_TOKEN: TEST_SECRETS.SERVICE_TOKEN,
    LOG_LEVEL: 'silent',
  });
  const database = await openDatabase(config.DATABASE_URL, { statementTimeoutMs: 5000 });
  const auth = createServiceAuth({
    authUrl: config.AUTH_URL,
    serviceToken: config.SERVICE_TOKEN,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    maxLifetime: config.ACCESS_TOKEN_MAX_LIFETIME,
  });
  await auth.revocations.start();
  const app = await buildApp({ config, database, auth });
  after(() => app.close());
  await app.ready();
  const user = await issuer.token({ roles: ['user'], permissions: ['posts:write'] });
  const requests = [
    { method: 'GET' as const, url: '/main/v1/posts?tag=news' },
    {
      method: 'POST' as const,
      url: '/main/v1/posts',
      headers: { authorization: `Bearer ${user.accessToken}` },
      payload: { title: 'Hello', body: 'World' },
    },
  ];
  // Up: the same requests work.
  for (const request of requests) assert.ok((await app.inject(request)).statusCode < 300);
  await hop.cut();
  for (const request of [...requests, ...requests]) {
    const response = await app.inject(request);
    assert.equal(response.statusCode, 503, `${request.method} ${request.url}: ${response.body}`);
    assert.equal(response.headers['retry-after'], '5');
    assert.equal(response.json().code, 'service_unavailable');
  }
});
