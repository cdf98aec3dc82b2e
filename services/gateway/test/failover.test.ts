import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import {
  closeAtEnd,
  deadUrl,
  echo,
  json,
  metricsOf,
  type Problem,
  startUpstream,
} from './helpers.ts';
import { eventually } from './services.ts';

const { cleanup, gateway } = closeAtEnd();

/** Answers like a service whose readiness can be switched. */
function service(name: string) {
  const state = { ready: true, hits: 0 };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/health/ready') {
      res.statusCode = state.ready ? 200 : 503;
      return res.end('{}');
    }
    state.hits++;
    // A little latency so that requests overlap, as under real load.
    setTimeout(() => echo(name)(req, res), 2);
  };
  return { state, handler };
}

test('killing one of two instances under load fails no GET', async () => {
  const a = service('a');
  const b = service('b');
  const [upA, upB] = await Promise.all([startUpstream(a.handler), startUpstream(b.handler)]);
  cleanup(upB!.close);
  const url = await gateway({ AUTH_URLS: upB!.url, MAIN_URLS: `${upA!.url},${upB!.url}` });

  let ok = 0;
  const failures: string[] = [];
  let running = true;
  const worker = async () => {
    while (running) {
      const response = await fetch(`${url}/main/v1/posts?limit=20`);
      const body = await response.text();
      if (response.status === 200) ok++;
      else failures.push(`${response.status} ${body}`);
    }
  };
  const workers = Array.from({ length: 16 }, worker);
  await eventually(async () => ok >= 300 && a.state.hits > 50, 60_000);
  await upA!.close();
  const okAtKill = ok;
  await eventually(async () => ok >= okAtKill + 600, 60_000);
  running = false;
  await Promise.all(workers);

  assert.deepEqual(failures, []);
  const metrics = await metricsOf(url);
  const healthy = (u: string) =>
    new RegExp(`gateway_upstream_healthy\\{[^}]*instance="${u}"[^}]*\\} (\\d)`).exec(metrics)?.[1];
  assert.equal(healthy(upA!.url), '0');
  assert.equal(healthy(upB!.url), '1');
});

test('an instance that is not ready gets no traffic, and comes back once it is', async () => {
  const a = service('a');
  const b = service('b');
  const [upA, upB] = await Promise.all([startUpstream(a.handler), startUpstream(b.handler)]);
  cleanup(upA!.close, upB!.close);
  const url = await gateway({
    AUTH_URLS: upB!.url,
    MAIN_URLS: `${upA!.url},${upB!.url}`,
    HEALTH_INTERVAL_MS: 100,
  });
  const served = async (n: number) => {
    const names = new Set<string>();
    for (let i = 0; i < n; i++) {
      const response = await fetch(`${url}/main/v1/posts`);
      assert.equal(response.status, 200);
      names.add((await json(response)).service);
    }
    return names;
  };
  a.state.ready = false;
  await eventually(async () => !(await served(4)).has('a'));
  assert.deepEqual([...(await served(10))], ['b']);
  a.state.ready = true;
  await eventually(async () => (await served(4)).has('a'));
});

test('once the gateway answers ready, it routes to a service that came up since its last poll', async () => {
  const a = service('a');
  a.state.ready = false;
  const upA = await startUpstream(a.handler);
  cleanup(upA!.close);
  const url = await gateway({ AUTH_URLS: upA!.url, MAIN_URLS: upA!.url, HEALTH_INTERVAL_MS: 3000 });
  // The first poll (after 3 s) finds it starting: out (a request would still go to it, as the
  // only instance).
  await eventually(async () => healthyIn(await metricsOf(url), upA!.url) === '0', 10_000);
  a.state.ready = true;
  // `npm start` prints "Gateway ready" once `GET /health` is 200, and the next request must go
  // to an instance in rotation, not wait for the next poll (3 s on here).
  assert.equal((await fetch(`${url}/health`)).status, 200);
  assert.equal(healthyIn(await metricsOf(url), upA!.url), '1');
  assert.equal((await fetch(`${url}/main/v1/posts`)).status, 200);
  assert.doesNotMatch(await metricsOf(url), /gateway_upstream_panic_routed_total\{[^}]*\} [1-9]/);
});

const healthyIn = (metrics: string, instance: string) =>
  new RegExp(`gateway_upstream_healthy\\{[^}]*instance="${instance}"[^}]*\\} (\\d)`).exec(
    metrics,
  )?.[1];

test('with every instance down the answer is 503 with Retry-After, at once', async () => {
  const url = await gateway({
    AUTH_URLS: await deadUrl(),
    MAIN_URLS: `${await deadUrl()},${await deadUrl()}`,
  });
  for (let i = 0; i < 3; i++) {
    const started = Date.now();
    const response = await fetch(`${url}/main/v1/posts`);
    const elapsed = Date.now() - started;
    assert.equal(response.status, 503);
    // When to try again, as every 503 a client should send again says (the closing refusal's too).
    assert.equal(response.headers.get('retry-after'), '1');
    assert.match((await json<Problem>(response)).detail, /main/);
    // Not a performance figure: a hang (waiting out a timeout) would take seconds.
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
  }
});

test('a write is not retried on another instance', async () => {
  let posts = 0;
  const broken = await startUpstream((req) => {
    if (req.method === 'POST') posts++;
    req.socket.destroy();
  });
  const healthy = await startUpstream(echo('healthy'));
  cleanup(broken.close, healthy.close);
  const url = await gateway({ AUTH_URLS: healthy.url, MAIN_URLS: `${broken.url},${healthy.url}` });
  const statuses = new Set<number>();
  for (let i = 0; i < 4; i++) {
    const response = await fetch(`${url}/main/v1/posts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    statuses.add(response.status);
    await response.arrayBuffer();
  }
  // Half went to the broken instance and failed there; none was sent twice.
  assert.ok(statuses.has(502), [...statuses].join());
  assert.equal(posts, 2);
});

test('a client that gives up does not leave its instance counted as busy', async () => {
  const stuck = await startUpstream((req, res) => {
    if (req.url === '/health/ready') res.end('{}');
  });
  cleanup(stuck.close);
  const url = await gateway({ AUTH_URLS: stuck.url, MAIN_URLS: stuck.url });
  const inFlight = async () => {
    const metrics = await metricsOf(url);
    const line = /gateway_upstream_in_flight\{upstream_service="main"[^}]*\} (\d+)/.exec(metrics);
    return Number(line?.[1]);
  };
  const giveUp = new AbortController();
  const gaveUp = Array.from({ length: 3 }, () =>
    fetch(`${url}/main/v1/posts`, { signal: giveUp.signal }).catch(() => 'aborted'),
  );
  await eventually(async () => (await inFlight()) === 3);
  giveUp.abort();
  assert.deepEqual(await Promise.all(gaveUp), ['aborted', 'aborted', 'aborted']);
  await eventually(async () => (await inFlight()) === 0);
});
