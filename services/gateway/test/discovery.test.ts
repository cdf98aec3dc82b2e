import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeAtEnd, echo, json, metricsOf, startGateway, startUpstream } from './helpers.ts';
import { eventually } from './services.ts';

const { cleanup } = closeAtEnd();

/** The instances the gateway balances `main` over, as its gauge names them. */
const instancesIn = (metrics: string) =>
  [...metrics.matchAll(/gateway_upstream_healthy\{[^}]*instance="([^"]+)"[^}]*\} (\d)/g)]
    .filter((m) => m[0].includes('upstream_service="main"'))
    .map((m) => `${m[1]} ${m[2]}`)
    .sort();

test('every address of a name is an instance, and the set follows the resolver', async () => {
  // Two replicas on one port, as Docker or a headless Service would give them one name.
  const a = await startUpstream(echo('a'), { host: '127.0.0.1' });
  const port = Number(new URL(a.url).port);
  const b = await startUpstream(echo('b'), { host: '127.0.0.2', port });
  cleanup(a.close, b.close);
  let answer: string[] | Error = ['127.0.0.1', '127.0.0.2'];
  const lookups: string[] = [];
  const lookup = async (host: string) => {
    lookups.push(host);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const { app, url } = await startGateway(
    { AUTH_URLS: a.url, MAIN_URLS: `http://replicas.test:${port}`, DNS_REFRESH_MS: 100 },
    { lookup },
  );
  cleanup(() => app.close());
  assert.ok(lookups.includes('replicas.test'));

  const served = async (n: number) => {
    const names = new Set<string>();
    for (let i = 0; i < n; i++) {
      const response = await fetch(`${url}/main/v1/posts`);
      assert.equal(response.status, 200);
      names.add((await json(response)).service);
    }
    return [...names].sort();
  };
  assert.deepEqual(await served(6), ['a', 'b']);
  assert.deepEqual(instancesIn(await metricsOf(url)), [
    `http://127.0.0.1:${port} 1`,
    `http://127.0.0.2:${port} 1`,
  ]);

  // A replica that leaves the answer leaves the balancer; the other keeps serving.
  answer = ['127.0.0.2'];
  await eventually(async () => instancesIn(await metricsOf(url)).length === 1);
  assert.deepEqual(await served(4), ['b']);

  // A failed lookup keeps what was last seen rather than emptying the service.
  const before = lookups.length;
  answer = Object.assign(new Error('resolver down'), { code: 'EAI_AGAIN' });
  await eventually(async () => lookups.length >= before + 3);
  assert.deepEqual(await served(2), ['b']);

  answer = ['127.0.0.1', '127.0.0.2'];
  await eventually(async () => (await served(4)).length === 2);
});

test('a replica keeps its health state across lookups', async () => {
  const a = await startUpstream(echo('a'), { host: '127.0.0.1' });
  const port = Number(new URL(a.url).port);
  cleanup(a.close);
  // 127.0.0.2 answers nothing on that port: the first request there is refused.
  const lookup = async () => ['127.0.0.1', '127.0.0.2'];
  const { app, url } = await startGateway(
    {
      AUTH_URLS: a.url,
      MAIN_URLS: `http://replicas.test:${port}`,
      DNS_REFRESH_MS: 50,
      HEALTH_INTERVAL_MS: 60_000,
      UPSTREAM_EJECT_MS: 60_000,
    },
    { lookup },
  );
  cleanup(() => app.close());
  for (let i = 0; i < 4; i++) assert.equal((await fetch(`${url}/main/v1/posts`)).status, 200);
  const dead = `http://127.0.0.2:${port} 0`;
  assert.ok(instancesIn(await metricsOf(url)).includes(dead));
  // Many lookups later it is still out: a refresh does not make it new (and healthy) again.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.ok(instancesIn(await metricsOf(url)).includes(dead));
});

test('localhost through the real resolver', async () => {
  const upstream = await startUpstream(echo('main'), { host: '127.0.0.1' });
  cleanup(upstream.close);
  const { port } = new URL(upstream.url);
  const { app, url } = await startGateway({
    AUTH_URLS: upstream.url,
    MAIN_URLS: `http://localhost:${port}`,
  });
  cleanup(() => app.close());
  const response = await fetch(`${url}/main/v1/posts`);
  assert.equal(response.status, 200);
  assert.equal((await json(response)).service, 'main');
  // The name became the address(es) it resolves to; this machine's localhost includes 127.0.0.1.
  assert.ok(instancesIn(await metricsOf(url)).includes(`http://127.0.0.1:${port} 1`));
});
