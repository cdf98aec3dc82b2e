import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startInflux } from '@platform/testing';
import { expand, grafanaDashboard } from './dashboard-grafana.ts';
import { buildTestAnalytics, serviceHeaders } from './helper.ts';

const influx = await startInflux();
after(() => influx.stop());
const t = await buildTestAnalytics({
  INFLUX_URL: influx.url,
  INFLUX_DB: 'grafana',
  ROLLUP_INTERVAL_MS: '100',
});

async function influxql(q: string) {
  const url = `${influx.url}/query?${new URLSearchParams({ db: 'grafana', q })}`;
  const body = (await (await fetch(url)).json()) as {
    results: { error?: string; series?: { columns: string[]; values: unknown[][] }[] }[];
  };
  return body.results[0]!;
}

test('every query of the Grafana dashboard runs on the measurements the service writes', async () => {
  const now = Date.now();
  const samples = Array.from({ length: 60 }, (_, i) => ({
    service: ['auth', 'main'][i % 2]!,
    route: ['/main/v1/posts', '/accounts/v1/login', '/main/v1/posts/:id'][i % 3]!,
    method: 'GET',
    status: [200, 200, 404, 503][i % 4]!,
    duration_ms: 3 + i,
    timestamp: new Date(now - i * 30_000).toISOString(),
  }));
  const events = Array.from({ length: 20 }, (_, i) => ({
    id: `grafana:${i}`,
    type: ['user.registered', 'user.logged_in', 'post.created'][i % 3]!,
    occurred_at: new Date(now - i * 60_000).toISOString(),
    user_id: `user-${i % 4}`,
    payload: {},
  }));
  for (const [url, payload] of [
    ['/internal/samples', { samples }],
    ['/internal/events', { events }],
  ] as const) {
    const res = await t.app.inject({ method: 'POST', url, headers: serviceHeaders, payload });
    assert.equal(res.statusCode, 202, res.body);
  }
  await t.drained();
  // Request counts come from the per-minute rollups, which the service's job computes.
  for (let i = 0; i < 100; i += 1) {
    const result = await influxql('SELECT count("requests") FROM "requests_1m"');
    if ((result.series ?? []).length > 0) break;
    await sleep(100);
  }

  const dashboard = await grafanaDashboard();
  const queries = [
    ...dashboard.panels.flatMap((p) => p.targets.map((target) => [p.title, target.query])),
    ...dashboard.templating.list.map((v) => [`variable ${v.name}`, v.query]),
  ];
  for (const [title, query] of queries) {
    const result = await influxql(expand(query!));
    assert.equal(result.error, undefined, `${title}: ${result.error}`);
    assert.ok((result.series ?? []).length > 0, `${title} finds data`);
  }
});
