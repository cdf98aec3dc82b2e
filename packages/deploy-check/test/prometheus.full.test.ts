import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

// promtool from Debian's `prometheus` package (.ci/run installs it for the full tier).
const root = path.resolve(import.meta.dirname, '../../..');
const PROMETHEUS = path.join(root, 'deploy/prometheus');
const promtool = (args: string[], cwd = root) =>
  execFileSync('promtool', args, { cwd, encoding: 'utf8', stdio: 'pipe' });

function scratch(t: import('node:test').TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'promtool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('promtool accepts the generated Prometheus configuration and its alert rules', () => {
  assert.match(promtool(['check', 'config', 'deploy/prometheus/prometheus.yml']), /SUCCESS/);
  assert.match(promtool(['check', 'rules', 'deploy/prometheus/alerts.yml']), /SUCCESS: \d+ rules/);
});

test("the Prometheus Operator's PrometheusRule holds the same rules, which promtool accepts", (t) => {
  const rule = parse(
    readFileSync(path.join(root, 'deploy/k8s/monitoring/prometheus-rule.yaml'), 'utf8'),
  ) as { kind: string; spec: unknown };
  assert.equal(rule.kind, 'PrometheusRule');
  const alerts = parse(readFileSync(path.join(PROMETHEUS, 'alerts.yml'), 'utf8'));
  assert.deepEqual(rule.spec, alerts);
  const dir = scratch(t);
  writeFileSync(path.join(dir, 'rules.yml'), JSON.stringify(rule.spec));
  assert.match(promtool(['check', 'rules', 'rules.yml'], dir), /SUCCESS/);
});

const at = { job: 'main', instance: '10.0.0.7:8080', service: 'main' };
const labels = (name: string, extra: Record<string, string> = {}) =>
  `${name}{${Object.entries({ ...at, ...extra })
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`;

/** A panic-routed request every 15 s from 3m on, for `minutes` (one gateway replica). */
const panicFor = (service: string, minutes: number) => ({
  series: `gateway_upstream_panic_routed_total{job="gateway", instance="10.0.0.9:9464", upstream_service="${service}"}`,
  values: `0x11 1+1x${minutes * 4 - 1} ${minutes * 4}x40`,
});
const panicAlert = (service: string) => ({
  exp_labels: { severity: 'critical', upstream_service: service },
  exp_annotations: {
    summary: `Every ${service} instance is out: the gateway routes to them anyway (panic routing)`,
    description: `For 3 minutes, requests to ${service} have gone to instances that fail their readiness check or were ejected after failures, as none of its instances (two or more) is in: some fail or are slow. A service of one instance never fires this. The gateway's log says when the panic began ("every instance is out", upstream_service ${service}); UpstreamInstanceUnavailable names the instances.`,
  },
});

/**
 * GatewayPanicRouting at the scrape interval (15 s): a panic of 3 minutes and a half fires it, as
 * its description says; one of a minute and a quarter never does (with a `for` of 3 m it fired
 * at 6m, long after the panic had ended: the increase stays above 0 for the window after it).
 */
const panicOfMinutes = {
  interval: '15s',
  input_series: [panicFor('main', 1.25), panicFor('auth', 2.5), panicFor('analytics', 3.5)],
  alert_rule_test: [
    ...['5m', '6m', '6m15s', '7m', '7m45s'].map((eval_time) => ({
      eval_time,
      alertname: 'GatewayPanicRouting',
      exp_alerts: [],
    })),
    { eval_time: '8m', alertname: 'GatewayPanicRouting', exp_alerts: [panicAlert('analytics')] },
    { eval_time: '12m', alertname: 'GatewayPanicRouting', exp_alerts: [] },
  ],
};

/** Rate-limit store failures every 15 s from 3m on, for `minutes`, at gateway `instance`. */
const storeFailingFor = (instance: string, minutes: number) => ({
  series: `gateway_rate_limit_store_failures_total{job="gateway", instance="${instance}"}`,
  values: `0x11 1+1x${minutes * 4 - 1} ${minutes * 4}x40`,
});

/**
 * GatewayRateLimitsOff likewise: Redis failing for 3 minutes and a half fires it, for a minute
 * and a quarter or two and a half never (with a window of 5 m, a minute and a quarter fired it at
 * 8m, long after Redis was back).
 */
const storeFailingOfMinutes = {
  interval: '15s',
  input_series: [
    storeFailingFor('10.0.0.1:9464', 1.25),
    storeFailingFor('10.0.0.2:9464', 2.5),
    storeFailingFor('10.0.0.3:9464', 3.5),
  ],
  alert_rule_test: [
    ...['5m', '6m', '7m', '7m45s', '8m'].map((eval_time) =>
      eval_time === '8m'
        ? {
            eval_time,
            alertname: 'GatewayRateLimitsOff',
            exp_alerts: [
              {
                exp_labels: { severity: 'warning', job: 'gateway', instance: '10.0.0.3:9464' },
                exp_annotations: {
                  summary: 'The gateway at 10.0.0.3:9464 lets requests through without rate limits',
                  description:
                    'Its Redis has failed or been too slow for 3 minutes; sign-in and reset limits are off meanwhile.',
                },
              },
            ],
          }
        : { eval_time, alertname: 'GatewayRateLimitsOff', exp_alerts: [] },
    ),
    { eval_time: '12m', alertname: 'GatewayRateLimitsOff', exp_alerts: [] },
  ],
};

test('the alerts fire on what they are about, and stay quiet on a healthy service', (t) => {
  const dir = scratch(t);
  cpSync(path.join(PROMETHEUS, 'alerts.yml'), path.join(dir, 'alerts.yml'));
  const tests = {
    rule_files: ['alerts.yml'],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: [
          // Prometheus's own series per target: no service label.
          { series: 'up{job="main", instance="10.0.0.7:8080"}', values: '1 0x10' },
          // 10 % of 100 requests a minute fail.
          {
            series: labels('http_request_duration_seconds_count', { status_code: '200' }),
            values: '0+90x15',
          },
          {
            series: labels('http_request_duration_seconds_count', { status_code: '500' }),
            values: '0+10x15',
          },
          { series: labels('outbox_oldest_pending_seconds'), values: '0+60x15' },
          // A hung Redis: every request through the gateway is let through unlimited.
          {
            series:
              'gateway_rate_limit_store_failures_total{job="gateway", instance="10.0.0.9:9464"}',
            values: '0+50x15',
          },
          {
            series:
              'analytics_queue_oldest_seconds{job="analytics", instance="10.0.0.8:8080", service="analytics"}',
            values: '0+120x15',
          },
          // A deleted user's mapping kept 50 minutes, and more: over an hour from minute 11.
          {
            series:
              'analytics_forgetting_oldest_seconds{job="analytics", instance="10.0.0.8:8080", service="analytics"}',
            values: '3000+60x30',
          },
          // Every main instance out from minute 3 on: both gateway replicas panic-route to them.
          {
            series:
              'gateway_upstream_panic_routed_total{job="gateway", instance="10.0.0.9:9464", upstream_service="main"}',
            values: '0 0 0 0+10x12',
          },
          {
            series:
              'gateway_upstream_panic_routed_total{job="gateway", instance="10.0.0.10:9464", upstream_service="main"}',
            values: '0 0 0 0+4x12',
          },
          // Every auth instance out for a moment (three failed polls): a few requests, then none,
          // which never fires (at 4m it would, with a `for` of a minute).
          {
            series:
              'gateway_upstream_panic_routed_total{job="gateway", instance="10.0.0.9:9464", upstream_service="auth"}',
            values: '0 0 0 6x12',
          },
        ],
        alert_rule_test: [
          {
            eval_time: '5m',
            alertname: 'InstanceDown',
            exp_alerts: [
              {
                exp_labels: { severity: 'critical', job: 'main', instance: '10.0.0.7:8080' },
                exp_annotations: {
                  summary: 'main instance 10.0.0.7:8080 is down',
                  description: 'Prometheus has not been able to scrape it for 2 minutes.',
                },
              },
            ],
          },
          {
            eval_time: '12m',
            alertname: 'HighErrorRate',
            exp_alerts: [
              {
                exp_labels: { severity: 'critical', service: 'main' },
                exp_annotations: {
                  summary: 'main: 10% of requests fail with 5xx',
                  description:
                    'More than 5 % of answers were server errors over the last 5 minutes.',
                },
              },
            ],
          },
          {
            eval_time: '12m',
            alertname: 'OutboxLag',
            exp_alerts: [
              {
                exp_labels: { severity: 'warning', service: 'main' },
                exp_annotations: {
                  summary: 'main: domain events reach analytics 12m 0s late',
                  description:
                    'The outbox relay cannot deliver to analytics (down, refusing, or too slow).',
                },
              },
            ],
          },
          {
            eval_time: '12m',
            alertname: 'AnalyticsWriterLag',
            exp_alerts: [
              {
                exp_labels: { severity: 'critical' },
                exp_annotations: {
                  summary: 'Analytics events reach the store 24m 0s late',
                  description:
                    'Dashboards and reports miss everything accepted since then; the events are safe in the queue.',
                },
              },
            ],
          },
          // Over an hour from minute 11, pending for 15 minutes.
          { eval_time: '25m', alertname: 'AnalyticsForgettingStuck', exp_alerts: [] },
          {
            eval_time: '27m',
            alertname: 'AnalyticsForgettingStuck',
            exp_alerts: [
              {
                exp_labels: { severity: 'warning' },
                exp_annotations: {
                  summary:
                    "A deleted user's id has been linked to their analytics events for 1h 17m 0s",
                  description:
                    'The final forgetting pass cannot run. The writer lags (AnalyticsWriterLag), or the passes fail (logs "unlinking deleted users failed" or "final forgetting passes pause"; a transaction stuck holding destination_deliveries, see pg_stat_activity).',
                },
              },
            ],
          },
          {
            eval_time: '12m',
            alertname: 'GatewayRateLimitsOff',
            exp_alerts: [
              {
                exp_labels: { severity: 'warning', job: 'gateway', instance: '10.0.0.9:9464' },
                exp_annotations: {
                  summary: 'The gateway at 10.0.0.9:9464 lets requests through without rate limits',
                  description:
                    'Its Redis has failed or been too slow for 3 minutes; sign-in and reset limits are off meanwhile.',
                },
              },
            ],
          },
          {
            eval_time: '9m',
            alertname: 'GatewayPanicRouting',
            exp_alerts: [
              {
                exp_labels: { severity: 'critical', upstream_service: 'main' },
                exp_annotations: {
                  summary:
                    'Every main instance is out: the gateway routes to them anyway (panic routing)',
                  description:
                    'For 3 minutes, requests to main have gone to instances that fail their readiness check or were ejected after failures, as none of its instances (two or more) is in: some fail or are slow. A service of one instance never fires this. The gateway\'s log says when the panic began ("every instance is out", upstream_service main); UpstreamInstanceUnavailable names the instances.',
                },
              },
            ],
          },
          // Within its `for`, and where nothing is wrong, nothing fires.
          { eval_time: '4m', alertname: 'GatewayPanicRouting', exp_alerts: [] },
          { eval_time: '6m', alertname: 'GatewayPanicRouting', exp_alerts: [] },
          { eval_time: '8m', alertname: 'GatewayPanicRouting', exp_alerts: [] },
          { eval_time: '2m', alertname: 'OutboxLag', exp_alerts: [] },
          { eval_time: '12m', alertname: 'HighLatencyP95', exp_alerts: [] },
          { eval_time: '12m', alertname: 'AnalyticsQueueBacklog', exp_alerts: [] },
        ],
      },
      panicOfMinutes,
      storeFailingOfMinutes,
    ],
  };
  writeFileSync(path.join(dir, 'alerts.test.yml'), JSON.stringify(tests));
  assert.match(promtool(['test', 'rules', 'alerts.test.yml'], dir), /SUCCESS/);
});
