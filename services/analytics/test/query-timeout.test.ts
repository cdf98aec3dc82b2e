import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { bearer, buildTestAnalytics } from './helper.ts';

// Statements of this app may run 300 ms; the blocker below makes the real queries run longer.
const t = await buildTestAnalytics({ QUERY_TIMEOUT_MS: '300' });
const user = await t.user();
const STORE_TABLES = 'events, samples, sample_rollups_1m, sample_rollups_15m, sample_rollups_1h';

const get = (url: string, token = t.adminToken) =>
  t.app.inject({ method: 'GET', url: `/analytics/v1${url}`, headers: bearer(token) });

const queries: [string, string?][] = [
  ['/user-activity', user.accessToken],
  ['/performance?interval=1m'],
  ['/performance?interval=15m&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z'],
  ['/performance?interval=1h&from=2026-01-01T00:00:00Z&to=2026-01-31T00:00:00Z'],
  ['/reports?type=daily-active-users'],
  ['/reports?type=top-events'],
  ['/reports?type=top-routes&format=csv'],
  ['/reports?type=signups'],
];

/**
 * Another session holds an exclusive lock on the store's tables, so each query of the service
 * really runs (waiting) past its statement_timeout: PostgreSQL cancels it with 57014.
 */
async function lockStore() {
  const client = new pg.Client({ connectionString: t.databaseUrl });
  await client.connect();
  await client.query('begin');
  await client.query(`lock table ${STORE_TABLES} in access exclusive mode`);
  let held = true;
  return async () => {
    if (!held) return;
    held = false;
    await client.query('rollback');
    await client.end();
  };
}

test('a query that runs past QUERY_TIMEOUT_MS answers 503 problem+json with Retry-After', async () => {
  const release = await lockStore();
  after(release);
  for (const [url, token] of queries) {
    const res = await get(url, token);
    assert.equal(res.statusCode, 503, `${url}: ${res.body}`);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    assert.equal(res.headers['retry-after'], '5');
    const body = res.json();
    assert.equal(body.status, 503);
    assert.match(body.detail, /took too long/);
    // A stable code to branch on; nothing of PostgreSQL's own message leaks.
    assert.equal(body.code, 'query_timeout');
    assert.doesNotMatch(body.detail, /statement|timeout|select|canceling/i);
    assert.doesNotMatch(res.body, /statement|select|canceling|57014/i);
  }
  await release();
  // The same queries succeed once nothing holds them up.
  for (const [url, token] of queries) {
    assert.equal((await get(url, token)).statusCode, 200, url);
  }
});
