import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { authHeader, buildTestMain } from './helper.ts';

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
  let hop: Awaited<ReturnType<typeof cuttableHop>> | undefined;
  const main = await buildTestMain(
    {},
    {},
    {
      reach: async (url) => {
        hop = await cuttableHop(new URL(url));
        return hop.url;
      },
    },
  );
  const user = await main.user();
  const requests = [
    { method: 'GET' as const, url: '/main/v1/posts?tag=news' },
    {
      method: 'POST' as const,
      url: '/main/v1/posts',
      headers: authHeader(user),
      payload: { title: 'Hello', body: 'World' },
    },
  ];
  // Up: the same requests work.
  for (const request of requests) assert.ok((await main.app.inject(request)).statusCode < 300);
  await hop!.cut();
  for (const request of [...requests, ...requests]) {
    const response = await main.app.inject(request);
    assert.equal(response.statusCode, 503, `${request.method} ${request.url}: ${response.body}`);
    assert.equal(response.headers['retry-after'], '5');
    assert.equal(response.json().code, 'service_unavailable');
  }
});
