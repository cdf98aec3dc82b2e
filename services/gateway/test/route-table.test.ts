import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ConfigError, loadConfig } from '@platform/config';
import { ConfigSchema } from '../src/config.ts';
import { routesOf } from '../src/proxy/table.ts';
import { echo, json, metricsOf, type Problem, startGateway, startUpstream } from './helpers.ts';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of cleanup.reverse()) await close();
});

const table = (env: Record<string, string>) => routesOf(loadConfig(ConfigSchema, env));

test('a new service is one ROUTES entry: routed, balanced, labelled, tokens checked at the edge', async () => {
  const [auth, billing1, billing2, ops] = await Promise.all(
    ['auth', 'billing-1', 'billing-2', 'ops'].map((name) => startUpstream(echo(name))),
  );
  cleanup.push(auth!.close, billing1!.close, billing2!.close, ops!.close);
  const { app, url } = await startGateway({
    AUTH_URLS: auth!.url,
    ROUTES: `/billing=${billing1!.url}, ${billing2!.url}; ops:/tools/ops=${ops!.url};`,
  });
  cleanup.push(() => app.close());

  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const response = await fetch(`${url}/billing/v1/invoices?page=2`);
    assert.equal(response.status, 200);
    const body = await json(response);
    assert.equal(body.url, '/billing/v1/invoices?page=2');
    seen.add(body.service);
  }
  assert.deepEqual([...seen].sort(), ['billing-1', 'billing-2']);
  assert.equal((await json(await fetch(`${url}/tools/ops/run`))).service, 'ops');
  assert.equal((await json(await fetch(`${url}/accounts/v1/user`))).service, 'auth');

  // The edge lets a request without a token through and refuses a bad one, for any service.
  const bad = await fetch(`${url}/billing/v1/invoices`, {
    headers: { authorization: 'Bearer refused-by-the-stub' },
  });
  assert.equal(bad.status, 401);
  // Unrouted paths stay 404; the contract's prefixes without a service stay 503.
  assert.equal((await fetch(`${url}/tools/other`)).status, 404);
  const main = await fetch(`${url}/main/v1/posts`);
  assert.equal(main.status, 503);
  assert.match((await json<Problem>(main)).detail, /main service is not running/);

  const metrics = await metricsOf(url);
  assert.match(metrics, /gateway_request_duration_seconds_count\{service="billing",[^}]*\} 6/);
  assert.match(metrics, /gateway_upstream_healthy\{upstream_service="ops",/);
});

test('the shorthands and ROUTES make one table', () => {
  const routes = table({
    AUTH_URLS: 'http://auth:8080/',
    MAIN_URLS: 'http://main-1:8080,http://main-2:8080',
    ROUTES: 'search:/search=https://search.internal:9200',
  });
  assert.deepEqual(
    routes.map((r) => [r.prefix, r.service, r.urls.join(' ')]),
    [
      ['/search', 'search', 'https://search.internal:9200'],
      ['/accounts', 'auth', 'http://auth:8080'],
      ['/main', 'main', 'http://main-1:8080 http://main-2:8080'],
      ['/analytics', 'analytics', ''],
    ],
  );
  // ROUTES alone may carry every service, the contract's included.
  const only = table({ ROUTES: 'auth:/accounts=http://a:1;main:/main=http://m:1' });
  assert.deepEqual(
    only.map((r) => `${r.service} ${r.prefix} ${r.urls.length}`),
    ['auth /accounts 1', 'main /main 1', 'analytics /analytics 0'],
  );
});

test('a malformed route table is one configuration error naming the setting', () => {
  const refused = (env: Record<string, string>, message: RegExp) => {
    assert.throws(
      () => table(env),
      (error: Error) =>
        error instanceof ConfigError &&
        message.test(error.message) &&
        !error.message.includes('\n'),
      JSON.stringify(env),
    );
  };
  for (const ROUTES of [
    'billing=http://billing:3000',
    '/billing=billing:3000',
    '/billing=ftp://billing:3000',
    '/billing=http://billing:3000/api',
    '/billing http://billing:3000',
    '/billing=',
    'Billing:/billing=http://billing:3000',
  ]) {
    refused({ AUTH_URLS: 'http://auth:1', ROUTES }, /^ROUTES is invalid: expected /);
  }
  const duplicate = '/billing=http://b:1;/billing=http://c:1';
  refused({ AUTH_URLS: 'http://auth:1', ROUTES: duplicate }, /\/billing is routed twice/);
  refused(
    { AUTH_URLS: 'http://auth:1', ROUTES: 'x:/billing=http://b:1;x:/pay=http://c:1' },
    /the service name x is used twice/,
  );
  refused({ AUTH_URLS: 'http://auth:1', ROUTES: '/health=http://h:1' }, /gateway's own path/);
  // Forwarded as it is, /internal/* would reach the services' service-to-service endpoints.
  refused({ AUTH_URLS: 'http://auth:1', ROUTES: '/internal=http://i:1' }, /gateway's own path/);
  // Past the pattern (any host and port), these stopped the gateway with a stack at start.
  refused(
    { AUTH_URLS: 'http://auth:1', ROUTES: '/billing=http://b:1,http://b:99999' },
    /^ROUTES is invalid: http:\/\/b:99999 is not a URL$/,
  );
  refused(
    { AUTH_URLS: 'http://auth:99999' },
    /^AUTH_URLS is invalid: http:\/\/auth:99999 is not a URL$/,
  );
  refused(
    { AUTH_URLS: 'http://auth:1', ROUTES: '/accounts=http://other:1' },
    /AUTH_URLS is invalid: \/accounts is routed twice/,
  );
  refused({}, /^ROUTES is not set/);
  refused({ MAIN_URLS: 'not a url' }, /^MAIN_URLS is invalid: expected /);
});
