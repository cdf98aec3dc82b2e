import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { until } from '../../analytics/test/destinations-receiver.ts';
import { buildTestAnalytics, serviceHeaders } from '../../analytics/test/helper.ts';
import { closeAtEnd, startGateway } from './helpers.ts';
import { signUp, startAuthService } from './services.ts';

// Browser globals for the functions that run in the page (this file is checked without the DOM
// library). Functions, not strings: the page's CSP rightly forbids evaluating strings.
interface Element {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
}
declare const document: { getElementById(id: string): Element | null; cookie: string };
declare const localStorage: Record<string, string>;
declare const sessionStorage: Record<string, string>;

const SCREENSHOT = path.resolve(import.meta.dirname, '../../../test-results/dashboard.png');
const CHARTS = [
  'chart-traffic',
  'chart-latency',
  'chart-dau',
  'chart-events',
  'chart-routes',
  'chart-funnel',
];
const ADMIN = { email: 'admin@example.com', password: 'admin password for tests' };

/**
 * The dashboard as a browser sees it: the real auth service (signing in, renewing the session)
 * and analytics, both behind the gateway on one origin. Analytics verifies auth's own tokens.
 */
const { cleanup } = closeAtEnd();
// Ten-second access tokens, so the page has to renew its session while the test watches.
const auth = await startAuthService({
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  ACCESS_TOKEN_TTL: '10',
});
cleanup(auth.stop);
const t = await buildTestAnalytics({ AUTH_URL: auth.url });
const { app, url: origin } = await startGateway(
  { AUTH_URLS: auth.url, ANALYTICS_URLS: await t.app.listen({ port: 0, host: '127.0.0.1' }) },
  { auth: 'real' },
);
cleanup(() => app.close());
/** Paths the browser asked the origin for, in order. */
const seen: string[] = [];

async function seedSamples(count: number, spreadMs: number) {
  const routes = [
    ['main', '/main/v1/posts'],
    ['main', '/main/v1/posts/:id'],
    ['auth', '/accounts/v1/login'],
    ['auth', '/accounts/v1/user'],
    ['analytics', '/analytics/v1/track-event'],
  ] as const;
  const samples = Array.from({ length: count }, (_, i) => {
    // Skewed, as real traffic is: the first route is the busiest.
    const [service, route] = routes[[0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 4][i % 11]!]!;
    return {
      service,
      route,
      method: i % 3 ? 'GET' : 'POST',
      status: i % 17 === 0 ? 503 : i % 7 === 0 ? 404 : 200,
      duration_ms: 5 + ((i * 37) % 120) + (i % 50 === 0 ? 400 : 0),
      timestamp: new Date(Date.now() - ((i * 7919) % spreadMs)).toISOString(),
    };
  });
  const res = await t.app.inject({
    method: 'POST',
    url: '/internal/samples',
    headers: serviceHeaders,
    payload: { samples },
  });
  assert.equal(res.statusCode, 202, res.body);
}

async function seedEvents() {
  // Skewed like real use, forty a day over six days, from a different number of users each day.
  const names = ['page.viewed', 'page.viewed', 'page.viewed', 'page.viewed', 'post.read'];
  names.push('post.read', 'post.read', 'button.clicked', 'button.clicked', 'user.logged_in');
  names.push('search.run');
  const events = Array.from({ length: 240 }, (_, i) => {
    const day = Math.floor(i / 40);
    return {
      id: `seed:${i}`,
      type: names[i % names.length]!,
      occurred_at: new Date(Date.now() - day * 86_400_000 - (i % 13) * 60_000).toISOString(),
      user_id: `user-${i % (3 + ((day * 5) % 8))}`,
      payload: { n: i },
    };
  });
  // Sign-ups six days ago, so the funnel and retention panels (user.registered, then
  // user.logged_in, by default) have people to count.
  for (let i = 0; i < 10; i += 1) {
    events.push({
      id: `seed:registered:${i}`,
      type: 'user.registered',
      occurred_at: new Date(Date.now() - 6 * 86_400_000 - 3600_000).toISOString(),
      user_id: `user-${i}`,
      payload: { n: i },
    });
  }
  const res = await t.app.inject({
    method: 'POST',
    url: '/internal/events',
    headers: serviceHeaders,
    payload: { events },
  });
  assert.equal(res.statusCode, 202, res.body);
}

test('an admin signs in on the dashboard and sees every chart drawn with data, refreshed', async () => {
  await seedSamples(900, 55 * 60_000);
  await seedEvents();
  await t.drained();
  const member = await signUp(origin);

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  cleanup(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.on('request', (r) => {
    if (r.url().startsWith(origin)) seen.push(`${r.method()} ${new URL(r.url()).pathname}`);
  });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 401/.test(message.text()))
      problems.push(message.text());
  });

  const response = await page.goto(`${origin}/analytics/v1/dashboard`);
  assert.equal(response?.status(), 200);
  assert.match(response!.headers()['content-security-policy'] ?? '', /script-src 'self'/);

  // Someone without analytics:read is turned away on the page.
  await page.fill('input[name=login]', member.email);
  await page.fill('input[name=password]', member.password);
  await page.click('button[type=submit]');
  await page.waitForFunction(() =>
    /may not read analytics/.test(document.getElementById('signin-error')?.textContent ?? ''),
  );

  await page.fill('input[name=login]', ADMIN.email);
  await page.fill('input[name=password]', ADMIN.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('#charts:not([hidden])', { timeout: 30_000 });
  for (const id of CHARTS) {
    await page.waitForSelector(`#${id}[data-points] canvas`, { timeout: 30_000 });
    const points = Number(await page.getAttribute(`#${id}`, 'data-points'));
    assert.ok(points > 0, `${id} has data (${points} points)`);
  }
  await page.waitForSelector('#chart-retention table', { timeout: 30_000 });
  assert.ok(Number(await page.getAttribute('#chart-retention', 'data-total')) > 0, 'retention');
  // Tokens live in memory only.
  const stored = await page.evaluate(
    () => JSON.stringify({ ...localStorage, ...sessionStorage }) + document.cookie,
  );
  assert.equal(stored, '{}');

  // The session is renewed before the access token runs out, and the charts keep updating.
  const renewals = () => seen.filter((r) => r === 'POST /accounts/v1/refresh').length;
  const refreshing = () => seen.filter((r) => r === 'GET /analytics/v1/performance').length;
  const polled = refreshing();
  await until(() => renewals() >= 2, 'two session renewals', 60_000);
  assert.ok(refreshing() > polled + 2, 'charts were refreshed every few seconds meanwhile');
  assert.equal(await page.textContent('#status'), '', 'no refresh failed');
  assert.ok(await page.isVisible('#charts'), 'still signed in');

  // New traffic shows up without a reload.
  const before = Number(await page.getAttribute('#chart-traffic', 'data-total'));
  await seedSamples(300, 60_000);
  await t.drained();
  await page.waitForFunction(
    (n) => Number(document.getElementById('chart-traffic')?.dataset.total) > n,
    before,
    { timeout: 30_000 },
  );

  await mkdir(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  assert.deepEqual(problems, [], 'no script errors and no Content-Security-Policy violations');
});
