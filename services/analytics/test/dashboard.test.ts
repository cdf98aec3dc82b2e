import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { buildTestAnalytics } from './helper.ts';

const t = await buildTestAnalytics();
const PAGE = '/analytics/v1/dashboard';

test('the dashboard page is public HTML under a strict Content-Security-Policy', async () => {
  const res = await t.app.inject({ url: PAGE });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
  const csp = String(res.headers['content-security-policy']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /style-src 'self'(;|$)/);
  assert.match(csp, /connect-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  assert.equal(res.headers['x-frame-options'], 'DENY');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['cache-control'], 'no-store');
  // Nothing inline for the policy to have to allow, and nothing from another origin.
  assert.doesNotMatch(res.body, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(res.body, /\sstyle=|\son[a-z]+=/);
  assert.doesNotMatch(res.body, /(src|href)="(https?:)?\/\//);
  assert.match(res.body, /<form id="signin-form"/);
});

test('every asset the page names is served with its type, a validator and a 304 on match', async () => {
  const page = (await t.app.inject({ url: PAGE })).body;
  const urls = [
    ...page.matchAll(/(?:src|href)="(\/analytics\/v1\/dashboard\/assets\/[^"]+)"/g),
  ].map((m) => m[1]!);
  const names = urls.map((u) => u.split('/').at(-1)!.split('?')[0]);
  assert.deepEqual(names.sort(), ['dashboard.css', 'dashboard.js', 'uplot.css', 'uplot.js']);
  for (const url of urls) {
    const res = await t.app.inject({ url });
    assert.equal(res.statusCode, 200, url);
    assert.match(
      String(res.headers['content-type']),
      url.includes('.js') ? /^text\/javascript/ : /^text\/css/,
    );
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    const etag = String(res.headers.etag);
    for (const header of [etag, `W/${etag}`, `"older", ${etag}`, '*']) {
      for (const method of ['GET', 'HEAD'] as const) {
        const again = await t.app.inject({ method, url, headers: { 'if-none-match': header } });
        assert.equal(again.statusCode, 304, `${method} ${url} ${header}`);
        assert.equal(again.body, '');
      }
    }
  }
  // uPlot comes from its npm package, byte for byte: no CDN, no copy to keep up to date.
  const uplot = await t.app.inject({ url: urls.find((u) => u.includes('uplot.js'))! });
  const shipped = await readFile(
    createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'),
    'utf8',
  );
  assert.equal(uplot.body, shipped);
});

test('every module the page imports is served; only versioned URLs may be kept by a browser', async () => {
  const page = (await t.app.inject({ url: PAGE })).body;
  const entry = page.match(/<script type="module" src="([^"]+)"/)?.[1];
  assert.ok(entry, 'the page loads its script as a module');
  const version = new URL(entry, 'http://x').searchParams.get('v');
  assert.match(String(version), /^[0-9a-f]+$/);
  // Follow the imports from the entry: each resolves to a served JavaScript file.
  const seen = new Set<string>();
  const queue = ['dashboard.js'];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const res = await t.app.inject({ url: `${PAGE}/assets/${name}` });
    assert.equal(res.statusCode, 200, name);
    assert.match(String(res.headers['content-type']), /^text\/javascript/);
    assert.equal(res.headers['cache-control'], 'public, no-cache', `${name} without a version`);
    for (const m of res.body.matchAll(/^import [^;]+ from '\.\/([a-z-]+\.js)';$/gm))
      queue.push(m[1]!);
  }
  assert.ok(seen.size > 1, `dashboard.js imports its modules: ${[...seen]}`);
  const kept = await t.app.inject({ url: `${PAGE}/assets/charts.js?v=${version}` });
  assert.equal(kept.headers['cache-control'], 'public, max-age=86400');
  const stale = await t.app.inject({ url: `${PAGE}/assets/charts.js?v=0123abcd` });
  assert.equal(stale.headers['cache-control'], 'public, no-cache', 'an old version is revalidated');
});

test('only the named assets are served; anything else is a 404 problem', async () => {
  for (const url of [
    `${PAGE}/assets/server.ts`,
    `${PAGE}/assets/..%2F..%2Fconfig.ts`,
    `${PAGE}/assets/package.json`,
  ]) {
    const res = await t.app.inject({ url });
    assert.ok([400, 404].includes(res.statusCode), `${url} → ${res.statusCode}`);
    assert.match(String(res.headers['content-type']), /application\/problem\+json/);
  }
});

test('the OpenAPI document describes the dashboard and the destination routes', async () => {
  const res = await t.app.inject({ url: '/analytics/v1/openapi.json' });
  const paths = Object.keys(res.json().paths);
  for (const path of [
    '/analytics/v1/dashboard',
    '/analytics/v1/destinations',
    '/analytics/v1/destinations/dead-letters',
    '/analytics/v1/destinations/dead-letters/{id}/replay',
    '/analytics/v1/destinations/dead-letters/replay',
  ]) {
    assert.ok(paths.includes(path), path);
  }
  assert.ok(!paths.some((p) => p.includes('/assets/')), 'assets are not API');
});
