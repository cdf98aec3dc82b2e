import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { buildTestAnalytics } from '../../analytics/test/helper.ts';
import { buildTestMain } from '../../main/test/helper.ts';
import { closeAtEnd, metricsOf, startGateway } from './helpers.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const read = (file: string) => readFile(path.join(root, file), 'utf8');

/** Every series name a `/metrics` text declares (histograms as their _bucket, _sum, _count). */
function seriesNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    else if (type === 'summary') for (const s of ['', '_sum', '_count']) names.add(name + s);
    else names.add(name!);
  }
  return names;
}

const PROMQL_WORDS = new Set(
  'sum max min avg count rate irate increase histogram_quantile by without and or unless on ignoring group_left group_right offset bool label_values topk bottomk abs clamp_min clamp_max'.split(
    ' ',
  ),
);

/** The metric names a PromQL expression reads: what is left without labels, strings and words. */
function metricsIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '')
    .replace(/\$\w+/g, '');
  return [...bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((w) => !PROMQL_WORDS.has(w) && !/^\d/.test(w));
}

interface Dashboard {
  uid: string;
  panels: {
    id: number;
    type: string;
    title: string;
    gridPos: { x: number; y: number; w: number; h: number };
    datasource?: { uid: string };
    targets?: { expr: string; datasource: { uid: string } }[];
  }[];
  templating: { list: { definition?: string; datasource: { uid: string } }[] };
}

test('every metric the alert rules and the Grafana dashboards read is one the services export', async () => {
  const { cleanup } = closeAtEnd();
  // Each kind of service as it runs: main (and its outbox), analytics (queue, destinations), the
  // gateway (its own port). auth exports what main does from @platform/http and @platform/outbox.
  // ANALYTICS_URL set: the outbox relay runs (to nowhere here) and reports its backlog.
  const main = await buildTestMain({ ANALYTICS_URL: 'http://127.0.0.1:9' });
  cleanup(() => main.app.close());
  const analytics = await buildTestAnalytics();
  const gateway = await startGateway({ MAIN_URLS: 'http://127.0.0.1:9' });
  cleanup(() => gateway.app.close());
  // A request observed, so every histogram has series.
  await main.app.inject({ url: '/main/v1/posts' });
  const mainMetrics = (await main.app.inject({ url: '/metrics' })).body;
  const analyticsMetrics = (await analytics.app.inject({ url: '/metrics' })).body;
  // The backlog gauges read their tables: empty ones are 0, not NaN (a failed query).
  assert.match(mainMetrics, /^outbox_pending_events\{service="main"\} 0$/m);
  assert.match(mainMetrics, /^outbox_oldest_pending_seconds\{service="main"\} 0$/m);
  assert.match(analyticsMetrics, /^analytics_queue_rows\{service="analytics"\} 0$/m);
  assert.match(analyticsMetrics, /^analytics_queue_oldest_seconds\{service="analytics"\} 0$/m);
  const exported = new Set([
    'up', // Prometheus's own, per target
    ...seriesNames(mainMetrics),
    ...seriesNames(analyticsMetrics),
    ...seriesNames(await metricsOf(gateway.url)),
  ]);
  for (const name of ['outbox_pending_events', 'analytics_queue_oldest_seconds']) {
    assert.ok(exported.has(name), `${name} is exported`);
  }

  const alerts = parse(await read('deploy/prometheus/alerts.yml')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const rules = alerts.groups.flatMap((g) => g.rules);
  assert.ok(rules.length >= 8);
  for (const rule of rules) {
    const used = metricsIn(rule.expr);
    assert.ok(used.length > 0, `${rule.alert} reads a metric`);
    for (const name of used) assert.ok(exported.has(name), `alert ${rule.alert}: ${name}`);
  }
  for (const alert of [
    'InstanceDown',
    'HighErrorRate',
    'HighLatencyP95',
    'AnalyticsQueueBacklog',
    'AnalyticsWriterLag',
    'OutboxLag',
  ]) {
    assert.ok(
      rules.some((r) => r.alert === alert),
      alert,
    );
  }

  const dashboard = JSON.parse(await read('deploy/grafana/dashboards/services.json')) as Dashboard;
  const datasources = parse(await read('deploy/grafana/datasources/prometheus.yaml')) as {
    datasources: { uid: string; type: string }[];
  };
  const prometheus = datasources.datasources.find((d) => d.type === 'prometheus')!.uid;
  const graphs = dashboard.panels.filter((p) => p.type !== 'row');
  assert.ok(graphs.length >= 10);
  assert.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length);
  for (const panel of graphs) {
    assert.equal(panel.datasource?.uid, prometheus, panel.title);
    assert.ok(panel.targets?.length, `${panel.title} has queries`);
    for (const target of panel.targets!) {
      assert.equal(target.datasource.uid, prometheus, panel.title);
      const used = metricsIn(target.expr);
      assert.ok(used.length > 0, `${panel.title} reads a metric`);
      for (const name of used) assert.ok(exported.has(name), `panel ${panel.title}: ${name}`);
    }
  }
  for (const variable of dashboard.templating.list) {
    assert.equal(variable.datasource.uid, prometheus);
    for (const name of metricsIn(variable.definition ?? '').slice(0, 1)) {
      assert.ok(exported.has(name), `variable: ${name}`);
    }
  }
});

test('the services dashboard sits on the 24-column grid without overlapping', async () => {
  const { panels } = JSON.parse(await read('deploy/grafana/dashboards/services.json')) as Dashboard;
  const cells = new Map<string, string>();
  for (const { title, gridPos: g } of panels) {
    assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24, `${title} fits the width`);
    for (let x = g.x; x < g.x + g.w; x++) {
      for (let y = g.y; y < g.y + g.h; y++) {
        const taken = cells.get(`${x},${y}`);
        assert.equal(taken, undefined, `${title} overlaps ${taken}`);
        cells.set(`${x},${y}`, title);
      }
    }
  }
});

test('Prometheus scrapes every service with a manifest, on the port its /metrics is served on', async () => {
  const config = parse(await read('deploy/prometheus/prometheus.yml')) as {
    rule_files: string[];
    scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; port: number }[] }[];
  };
  assert.deepEqual(config.rule_files, ['alerts.yml']);
  const jobs = new Map(config.scrape_configs.map((j) => [j.job_name, j]));
  for (const name of ['gateway', 'auth', 'main', 'analytics']) {
    const manifest = JSON.parse(await read(`services/${name}/service.json`)) as {
      metrics_port?: number;
    };
    const job = jobs.get(name);
    assert.ok(job, `a job for ${name}`);
    assert.deepEqual(job.dns_sd_configs, [
      { names: [name], type: 'A', port: manifest.metrics_port ?? 8080, refresh_interval: '30s' },
    ]);
  }
  const compose = await read('compose.yaml');
  assert.match(compose, /- \.\/deploy\/prometheus:\/etc\/prometheus:ro$/m);
});
