import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort } from '@platform/launcher';
import pg from 'pg';
import { startAnalyticsService } from './analytics-service.ts';
import { rawGet, startGateway } from './helpers.ts';
import { eventually, post, type RunningService, signUp, startAuthService } from './services.ts';

const SERVICE_TOKEN = 'gateway-test-service-token-0123456789abcdef';
const ADMIN = { email: 'admin@example.com', password: 'admin password for gateway tests' };

/** Real auth and analytics behind a real gateway: what a client on the internet can do. */
describe('analytics ingestion through the gateway', () => {
  let auth: RunningService;
  let analytics: RunningService & { databaseUrl: string };
  let url: string;
  let adminToken: string;
  let startedDay: string;
  const cleanup: (() => Promise<void>)[] = [];

  before(async () => {
    startedDay = new Date().toISOString().slice(0, 10);
    const analyticsPort = await freePort();
    // Auth relays its domain events (user.registered) to analytics' internal endpoint.
    auth = await startAuthService({
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      ANALYTICS_URL: `http://127.0.0.1:${analyticsPort}`,
      SERVICE_TOKEN,
    });
    cleanup.push(auth.stop);
    analytics = await startAnalyticsService({
      authUrl: auth.url,
      serviceToken: SERVICE_TOKEN,
      port: analyticsPort,
    });
    cleanup.push(analytics.stop);
    const gateway = await startGateway(
      {
        AUTH_URLS: auth.url,
        ANALYTICS_URLS: analytics.url,
        HEALTH_INTERVAL_MS: 500,
        SERVICE_TOKEN,
      },
      { auth: 'real' },
    );
    cleanup.push(() => gateway.app.close());
    url = gateway.url;
    await eventually(async () => (await fetch(`${url}/health/ready`)).status === 200, 30_000);
    const login = await post(`${url}/accounts/v1/login`, ADMIN);
    assert.equal(login.status, 200);
    adminToken = ((await login.json()) as { access_token: string }).access_token;
  });

  after(async () => {
    for (const close of cleanup.reverse()) await close();
  });

  const get = async (path: string, token: string) => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    return res.json() as Promise<Record<string, unknown>>;
  };

  /** The body as written, so it can hold what JSON.stringify would escape differently. */
  const track = (body: string, token?: string) =>
    fetch(`${url}/analytics/v1/track-event`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body,
    });

  async function refused(res: Response, fields: string[]) {
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    const problem = (await res.json()) as { errors: { field: string }[] };
    assert.deepEqual(
      problem.errors.map((e) => e.field),
      fields,
    );
  }

  test('text the store cannot keep is refused at the door, and a poisoned queue item cannot stop ingestion', async () => {
    await refused(await track('{"event":"note.saved","properties":{"text":"a\\u0000b"}}'), [
      'properties.text',
    ]);
    await refused(await track('{"event":"note.saved","properties":{"\\ud800":1}}'), [
      'properties.\\ud800',
    ]);

    // What the door now refuses, written straight into the queue as if it had got through.
    const db = new pg.Client({ connectionString: analytics.databaseUrl });
    await db.connect();
    const item = {
      id: 'poison-1',
      event: 'note.saved',
      source: 'client',
      userId: null,
      anonymousId: null,
      properties: '{"text":"a\\u0000b"}',
      timestamp: new Date().toISOString(),
    };
    await db.query("insert into queue (kind, item) values ('event', $1)", [JSON.stringify([item])]);
    await db.end();

    const user = await signUp(url);
    const res = await track('{"event":"after.poison"}', user.accessToken);
    assert.equal(res.status, 202);
    await eventually(async () => {
      const { items } = await get('/analytics/v1/user-activity', user.accessToken);
      return (items as { event: string }[]).some((e) => e.event === 'after.poison');
    }, 30_000);
    const { items } = await get('/analytics/v1/ingestion/dead-letters', adminToken);
    const dead = items as { kind: string; payload: { id: string }[]; error: string }[];
    assert.equal(dead.length, 1);
    assert.equal(dead[0]!.payload[0]!.id, 'poison-1');
    assert.match(dead[0]!.error, /unicode|escape/i);
  });

  test('a client cannot forge sign-ups; real registrations still count', async () => {
    const signups = async () => {
      const report = await get('/analytics/v1/reports?type=signups', adminToken);
      return report.rows as { day: string; signups: number }[];
    };
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    const forged = {
      events: [
        { event: 'page.viewed' },
        { event: 'page.viewed' },
        { event: 'button.clicked' },
        ...[1, 2, 3].map((n) => ({ event: 'user.registered', timestamp: daysAgo(n) })),
      ],
    };
    await refused(await track(JSON.stringify(forged)), [
      'events.3.event',
      'events.4.event',
      'events.5.event',
    ]);

    // The admin created at start and two users signed up through the gateway in this file: auth
    // relays their user.registered, all since this file started.
    await signUp(url);
    const total = async () => (await signups()).reduce((n, r) => n + r.signups, 0);
    await eventually(async () => (await total()) >= 3, 30_000);
    const rows = await signups();
    assert.equal(await total(), 3);
    for (const row of rows.filter((r) => r.signups > 0)) assert.ok(row.day >= startedDay, row.day);
  });

  test('event names . and .. are deleted (and vouched for) by an admin through the gateway, by query', async () => {
    // Segment's clients may send them (a server key's /batch).
    const created = await fetch(`${url}/analytics/v1/write-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'dot names' }),
    });
    assert.equal(created.status, 201);
    const { key } = (await created.json()) as { key: string };
    const batch = await fetch(`${url}/analytics/v1/batch`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        batch: ['.', '..'].map((event) => ({ type: 'track', event, userId: 'dots' })),
      }),
    });
    assert.equal(batch.status, 200, await batch.text());
    const names = async () =>
      ((await get('/analytics/v1/event-names?limit=1000', adminToken)).items as { name: string }[])
        .map((n) => n.name)
        .filter((n) => n === '.' || n === '..');
    assert.deepEqual(await names(), ['.', '..']);
    const as = (method: string, path: string) =>
      fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${adminToken}` } });

    // No path carries them: fetch resolves /event-names/%2E itself, and the gateway refuses a
    // dot segment it is sent as written (that protection stays).
    const raw = await rawGet(url, '/analytics/v1/event-names/%2E%2E');
    assert.equal(raw.status, 404);
    assert.equal(await names().then((n) => n.length), 2);

    const vouched = await as('PUT', '/analytics/v1/event-names?name=..');
    assert.equal(vouched.status, 200, await vouched.clone().text());
    const entry = (await vouched.json()) as { name: string; registered_by: string };
    assert.deepEqual([entry.name, entry.registered_by], ['..', 'trusted']);
    for (const name of ['.', '..']) {
      const deleted = await as(
        'DELETE',
        `/analytics/v1/event-names?name=${encodeURIComponent(name)}`,
      );
      assert.equal(deleted.status, 204, await deleted.text());
    }
    assert.deepEqual(await names(), []);
    const again = await as('DELETE', '/analytics/v1/event-names?name=.');
    assert.equal(again.status, 404);
    await again.arrayBuffer();
    // Without the name, nothing is deleted: a validation problem.
    const nameless = await as('DELETE', '/analytics/v1/event-names');
    assert.equal(nameless.status, 400);
    await nameless.arrayBuffer();
  });
});
