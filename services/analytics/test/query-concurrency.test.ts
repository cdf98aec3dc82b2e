import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from '../src/store/types.ts';
import { until } from './destinations-receiver.ts';
import { bearer, buildTestAnalytics } from './helper.ts';

/** A store whose activity reads wait for `open`, counting how many run at once. */
function held() {
  const state = { running: 0, most: 0, open: () => {} };
  const gate = new Promise<void>((resolve) => {
    state.open = resolve;
  });
  return {
    state,
    wrapStore: (store: Store): Store => ({
      ...store,
      async activity(query) {
        state.running += 1;
        state.most = Math.max(state.most, state.running);
        try {
          await gate;
          return await store.activity(query);
        } finally {
          state.running -= 1;
        }
      },
    }),
  };
}

test('queries past QUERY_CONCURRENCY wait their turn instead of taking more connections', async () => {
  const { state, wrapStore } = held();
  const t = await buildTestAnalytics(
    { QUERY_CONCURRENCY: '2', QUERY_WAIT_MS: '60000' },
    { wrapStore },
  );
  const user = await t.user();
  const asked = Array.from({ length: 5 }, () =>
    t.app.inject({
      method: 'GET',
      url: '/analytics/v1/user-activity',
      headers: bearer(user.accessToken),
    }),
  );
  const waiting = async () => {
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    return /^analytics_queries_waiting{[^}]*queries="activity"[^}]*} (\d+)$/m.exec(metrics)?.[1];
  };
  // A query let through may not have reached the store yet when the other three are counted
  // as waiting (a loaded machine): wait for both, then check that no third one runs.
  await until(
    async () => (await waiting()) === '3' && state.running === 2,
    'two queries running, three waiting',
  );
  assert.equal(state.running, 2);
  state.open();
  for (const res of await Promise.all(asked)) assert.equal(res.statusCode, 200, res.body);
  assert.equal(state.most, 2);
  assert.equal(await waiting(), '0');
});

test('a query that waits longer than QUERY_WAIT_MS is a 503 with Retry-After', async () => {
  const { state, wrapStore } = held();
  const t = await buildTestAnalytics(
    { QUERY_CONCURRENCY: '1', QUERY_WAIT_MS: '100' },
    { wrapStore },
  );
  const user = await t.user();
  const first = t.app.inject({
    method: 'GET',
    url: '/analytics/v1/user-activity',
    headers: bearer(user.accessToken),
  });
  await until(() => state.running === 1, 'the first query running');
  const second = await t.app.inject({
    method: 'GET',
    url: '/analytics/v1/user-activity',
    headers: bearer(user.accessToken),
  });
  assert.equal(second.statusCode, 503, second.body);
  assert.equal(second.json().code, 'service_unavailable');
  assert.equal(second.headers['retry-after'], '5');
  state.open();
  assert.equal((await first).statusCode, 200);
  // The slot is free again.
  const third = await t.app.inject({
    method: 'GET',
    url: '/analytics/v1/user-activity',
    headers: bearer(user.accessToken),
  });
  assert.equal(third.statusCode, 200, third.body);
});

test("users' activity reads wait in a line of their own: they never hold up an admin's reports", async () => {
  const { state, wrapStore } = held();
  const t = await buildTestAnalytics(
    { QUERY_CONCURRENCY: '1', QUERY_WAIT_MS: '100' },
    { wrapStore },
  );
  const user = await t.user();
  const admin = await t.user(['admin']);
  const activity = t.app.inject({
    method: 'GET',
    url: '/analytics/v1/user-activity',
    headers: bearer(user.accessToken),
  });
  await until(() => state.running === 1, 'the activity read running');
  const report = await t.app.inject({
    method: 'GET',
    url: '/analytics/v1/reports?type=top-events',
    headers: bearer(admin.accessToken),
  });
  assert.equal(report.statusCode, 200, report.body);
  state.open();
  assert.equal((await activity).statusCode, 200);
});

test('a query whose client went away while it waited is dropped, never run', async () => {
  const { state, wrapStore } = held();
  let calls = 0;
  const t = await buildTestAnalytics(
    { QUERY_CONCURRENCY: '1', QUERY_WAIT_MS: '60000' },
    {
      wrapStore: (store) => {
        const inner = wrapStore(store);
        return {
          ...inner,
          activity(query) {
            calls += 1;
            return inner.activity(query);
          },
        };
      },
    },
  );
  const user = await t.user();
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `${address}/analytics/v1/user-activity`;
  const headers = bearer(user.accessToken);
  const first = fetch(url, { headers });
  await until(() => state.running === 1, 'the first query running');
  const gone = new AbortController();
  const second = fetch(url, { headers, signal: gone.signal }).catch(() => undefined);
  const waiting = async () => {
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    return /^analytics_queries_waiting{[^}]*queries="activity"[^}]*} (\d+)$/m.exec(metrics)?.[1];
  };
  await until(async () => (await waiting()) === '1', 'the second query waiting');
  gone.abort();
  await second;
  try {
    await until(
      async () => (await waiting()) === '0',
      'the abandoned query leaving the line',
      5000,
    );
  } finally {
    state.open();
  }
  assert.equal((await first).status, 200);
  assert.equal(calls, 1);
});
