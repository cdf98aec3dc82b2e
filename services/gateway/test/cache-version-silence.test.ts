import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tcpProxy } from '@platform/testing';
import { closeAtEnd, metricsOf, rawGet, startGateway } from './helpers.ts';
import { eventually, post, signUp, startAuthService, startService } from './services.ts';

/**
 * A TCP proxy whose connections can go silent one kind at a time (no close, no RST): `marks`
 * tells the kind from a chunk the client sent (the first of a connection, or of each request on
 * it). `silence()` silences the marked connections open then; those opened later pass as before.
 */
async function silencingProxy(target: string, marks: (chunk: Buffer, marked: boolean) => boolean) {
  const proxy = await tcpProxy(target, { marks });
  after(() => proxy.close());
  return proxy;
}

const { cleanup } = closeAtEnd();
const auth = await startAuthService();
cleanup(auth.stop);
const first = await startService('main', { AUTH_URL: auth.url });
cleanup(first.stop);

async function mainMetric(main: { url: string }, name: string) {
  const text = await (await fetch(`${main.url}/metrics`)).text();
  return Number(
    text
      .split('\n')
      .find((l) => l.startsWith(`${name}{`))
      ?.split(' ')
      .at(-1) ?? 0,
  );
}

const titles = (answer: { body: string }) =>
  (JSON.parse(answer.body) as { items: { title: string }[] }).items.map((p) => p.title);

async function publish(token: string, title: string) {
  const res = await post(
    `${first.url}/main/v1/posts`,
    { title, body: 'text', status: 'published' },
    { authorization: `Bearer ${token}` },
  );
  assert.equal(res.status, 201);
}

/** Until a read of `path` is answered from the kept page (the version confirmed). */
async function servedFromCache(gatewayUrl: string, path: string) {
  const hits = async () =>
    Number(
      /^gateway_cache_lookups_total\{[^}]*result="hit"[^}]*\} (\d+)/m.exec(
        await metricsOf(gatewayUrl),
      )?.[1] ?? 0,
    );
  await eventually(async () => {
    const before = await hits();
    await rawGet(gatewayUrl, path);
    return (await hits()) > before;
  });
}

/** A page of `Old` kept by the gateway, with a poll for the version held at `main`. */
async function keptPage(gatewayUrl: string, main: { url: string }) {
  const user = await signUp(auth.url);
  await publish(user.accessToken, 'Old');
  const path = `/main/v1/posts?author=${user.id}&limit=5`;
  await servedFromCache(gatewayUrl, path);
  await eventually(async () => (await mainMetric(main, 'main_cache_version_held_requests')) >= 1);
  return { user, path };
}

/** Writes `New` at the first replica; the time it took the gateway to show it. */
async function newShowsIn(gatewayUrl: string, page: Awaited<ReturnType<typeof keptPage>>) {
  await publish(page.user.accessToken, 'New');
  const wroteAt = Date.now();
  for (;;) {
    const seen = titles(await rawGet(gatewayUrl, page.path));
    if (seen.join() === 'New,Old') return Date.now() - wroteAt;
    assert.deepEqual(seen, ['Old']);
    assert.ok(Date.now() - wroteAt < 30_000, 'never shown');
    await sleep(20);
  }
}

test("a replica whose LISTEN connection went silent (no error, no close) still wakes the gateway's held poll within 1 s of a write elsewhere", async () => {
  // Only the LISTEN connection (told apart by its application_name in the startup message).
  const database = await silencingProxy(first.databaseUrl, (chunk, marked) =>
    marked ? true : chunk.includes('main-list-stamp'),
  );
  const second = await startService(
    'main',
    { AUTH_URL: auth.url, DATABASE_URL: database.url },
    first,
  );
  cleanup(second.stop);
  // The default wait (25 s) and the listener's default heartbeat (30 s): what a deployment runs.
  const gateway = await startGateway(
    { AUTH_URLS: auth.url, MAIN_URLS: second.url },
    { auth: 'real' },
  );
  cleanup(() => gateway.app.close());
  await eventually(async () => (await mainMetric(second, 'main_cache_version_listening')) === 1);
  const page = await keptPage(gateway.url, second);

  database.silence();
  await sleep(100);
  const took = await newShowsIn(gateway.url, page);
  assert.ok(took < 1000, `shown ${took} ms after the write`);
});

test('a held poll whose connection went silent mid-hold (no reset) stops confirming the version within seconds: the write shows', async () => {
  // Only the connection carrying the version feed's request: page reads pass.
  const address = await silencingProxy(first.url, (chunk, marked) =>
    /^[A-Z]+ \//.test(chunk.toString('latin1', 0, 16))
      ? chunk.includes('/internal/cache-version')
      : marked,
  );
  const gateway = await startGateway(
    { AUTH_URLS: auth.url, MAIN_URLS: address.url },
    { auth: 'real' },
  );
  cleanup(() => gateway.app.close());
  const page = await keptPage(gateway.url, first);

  address.silence();
  await sleep(100);
  // A heartbeat (1 s) and the margin after it (2 s) unheard: about 3 s, not the 25 s wait.
  const took = await newShowsIn(gateway.url, page);
  assert.ok(took < 8000, `shown ${took} ms after the write`);
  // And the feed follows again on a new connection: the page is kept and confirmed again.
  await servedFromCache(gateway.url, page.path);
  await eventually(async () => (await mainMetric(first, 'main_cache_version_held_requests')) >= 1);
});
