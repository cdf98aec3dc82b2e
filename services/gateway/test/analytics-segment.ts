import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { freePort } from '@platform/launcher';
import { createTestDatabase } from '@platform/testing';
import { Analytics } from '@segment/analytics-node';
import { startAnalyticsService } from './analytics-service.ts';
import { startGateway } from './helpers.ts';
import { eventually, post, type RunningService, startAuthService } from './services.ts';

const SERVICE_TOKEN = 'gateway-test-service-token-0123456789abcdef';
const ADMIN = { email: 'admin@example.com', password: 'admin password for gateway tests' };

/**
 * The gateway answers 503 while it holds the only instance unhealthy, which a busy machine's
 * slow health probes cause now and then: such an answer is waited out, not asserted on.
 */
async function settled(send: () => Promise<Response>): Promise<Response> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await send();
    if (res.status !== 503 || Date.now() > deadline) return res;
    await res.body?.cancel();
    await sleep(250);
  }
}

interface Activity {
  items: { id: string; event: string; user_id: string | null; anonymous_id: string | null }[];
}

/**
 * The official Segment library against the real stack (auth, analytics on the store `env`
 * chooses, the gateway): write-key auth through the gateway, every call type, a batch sent
 * twice and again after a restart, read back stitched and once each.
 */
export function segmentThroughTheGateway(name: string, env: () => Promise<Record<string, string>>) {
  describe(name, () => {
    let auth: RunningService & { databaseUrl: string };
    let analytics: RunningService & { databaseUrl: string };
    let analyticsEnv: Record<string, string>;
    let analyticsPort: number;
    let database: { url: string; drop(): Promise<void> };
    let url: string;
    let adminToken: string;
    const cleanup: (() => Promise<void>)[] = [];

    // On a database of the test's own, so a restart finds what the first process left.
    const startAnalytics = () =>
      startAnalyticsService({
        authUrl: auth.url,
        serviceToken: SERVICE_TOKEN,
        port: analyticsPort,
        env: analyticsEnv,
        databaseOf: { databaseUrl: database.url },
      });

    before(async () => {
      analyticsEnv = await env();
      analyticsPort = await freePort();
      database = await createTestDatabase();
      cleanup.push(() => database.drop());
      auth = await startAuthService({
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        ANALYTICS_URL: `http://127.0.0.1:${analyticsPort}`,
        SERVICE_TOKEN,
      });
      cleanup.push(auth.stop);
      analytics = await startAnalytics();
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
      const login = await settled(() => post(`${url}/accounts/v1/login`, ADMIN));
      assert.equal(login.status, 200);
      adminToken = ((await login.json()) as { access_token: string }).access_token;
    });

    after(async () => {
      await analytics?.stop();
      for (const close of cleanup.reverse()) await close();
    });

    const admin = { authorization: () => `Bearer ${adminToken}` };
    const newKey = async () => {
      const res = await settled(() =>
        post(
          `${url}/analytics/v1/write-keys`,
          { name: 'backend' },
          { authorization: admin.authorization() },
        ),
      );
      assert.equal(res.status, 201);
      return (await res.json()) as { key: string; id: string };
    };
    const activityOf = async (userId: string) => {
      const res = await settled(() =>
        fetch(`${url}/analytics/v1/user-activity?user_id=${encodeURIComponent(userId)}&limit=200`, {
          headers: { authorization: admin.authorization() },
        }),
      );
      assert.equal(res.status, 200);
      return ((await res.json()) as Activity).items;
    };

    test('HTTP Basic with a write key passes the gateway; a bad or revoked key is 401', async () => {
      const { key, id } = await newKey();
      const basic = (k: string) => ({
        authorization: `Basic ${Buffer.from(`${k}:`).toString('base64')}`,
      });
      const message = { userId: 'basic-user', event: 'Ping' };
      const ok = await settled(() => post(`${url}/analytics/v1/track`, message, basic(key)));
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { success: true });
      // Or, with no Authorization at all, in the body, as Segment's HTTP API also takes it.
      const inBody = await settled(() =>
        post(`${url}/analytics/v1/track`, { ...message, writeKey: key }),
      );
      assert.equal(inBody.status, 200, await inBody.clone().text());
      const bad = await settled(() => post(`${url}/analytics/v1/track`, message, basic('wk_nope')));
      assert.equal(bad.status, 401);
      // Analytics' answer, not the gateway's refusal of a bad Bearer token.
      assert.equal(((await bad.json()) as { code: string }).code, 'invalid_write_key');
      const revoked = await settled(() =>
        fetch(`${url}/analytics/v1/write-keys/${id}`, {
          method: 'DELETE',
          headers: { authorization: admin.authorization() },
        }),
      );
      assert.equal(revoked.status, 204);
      const after = await settled(() => post(`${url}/analytics/v1/track`, message, basic(key)));
      assert.equal(after.status, 401);
      assert.match(after.headers.get('content-type') ?? '', /application\/problem\+json/);
      // Elsewhere Basic is still a bad credential the gateway refuses itself.
      const elsewhere = await settled(() =>
        fetch(`${url}/analytics/v1/user-activity`, { headers: basic(key) }),
      );
      assert.equal(elsewhere.status, 401);
    });

    test('a gzipped body passes the gateway: decoded by a Segment route, 415 with Accept-Encoding elsewhere', async () => {
      const { key } = await newKey();
      const gzipped = (body: unknown, headers: Record<string, string>, coding = 'gzip') => ({
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': coding, ...headers },
        body: gzipSync(JSON.stringify(body)),
      });
      const basic = { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` };
      const batch = await settled(() =>
        fetch(
          `${url}/analytics/v1/batch`,
          gzipped({ batch: [{ type: 'track', userId: 'gz-user', event: 'Zipped' }] }, basic),
        ),
      );
      assert.equal(batch.status, 200, await batch.clone().text());
      assert.deepEqual(await batch.json(), { success: true });
      // Routes that decode no coding, at analytics and at auth, answered through the gateway.
      const refusals = [
        [`${url}/analytics/v1/track-event`, { event: 'Zipped' }, admin.authorization()],
        [`${url}/accounts/v1/login`, ADMIN, undefined],
      ] as const;
      for (const [target, body, authorization] of refusals) {
        for (const coding of ['gzip', 'br']) {
          const res = await settled(() =>
            fetch(target, gzipped(body, authorization ? { authorization } : {}, coding)),
          );
          assert.equal(res.status, 415, `${target} ${coding}`);
          assert.equal(res.headers.get('accept-encoding'), 'identity');
          assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
          const problem = (await res.json()) as { code: string; status: number };
          assert.equal(problem.code, 'unsupported_media_type');
          assert.equal(problem.status, 415);
        }
      }
      // `identity` is no coding at all.
      const plain = await settled(() =>
        fetch(`${url}/analytics/v1/track-event`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-encoding': 'identity',
            authorization: admin.authorization(),
          },
          body: JSON.stringify({ event: 'Unzipped' }),
        }),
      );
      assert.equal(plain.status, 202, await plain.clone().text());
    });

    test('@segment/analytics-node: a bad message beside good ones loses only itself', async () => {
      const { key } = await newKey();
      const run = `${Date.now()}`;
      const userId = `segment-mixed-${run}`;
      const statuses: number[] = [];
      const client = new Analytics({
        writeKey: key,
        host: url,
        path: '/analytics/v1/batch',
        flushAt: 50,
        maxRetries: 10,
      });
      client.on('http_response', (r) => statuses.push(r.status));
      client.on('error', () => {});
      client.track({ userId, event: 'Cart Viewed', messageId: `${run}-1` });
      // Half an emoji, as a string cut at a byte limit leaves it: a lone surrogate.
      client.track({
        userId,
        event: 'Review Posted',
        properties: { title: 'Great \ud83d' },
        messageId: `${run}-2`,
      });
      client.identify({ userId, traits: { plan: 'pro' }, messageId: `${run}-3` });
      await client.closeAndFlush({ timeout: 30_000 });
      // One batch, answered 400 (the library drops it and does not retry): the good ones kept.
      assert.equal(statuses.at(-1), 400, String(statuses));
      assert.ok(
        statuses.every((s) => s === 400 || s === 503),
        String(statuses),
      );
      await eventually(async () => (await activityOf(userId)).length >= 2, 30_000);
      await sleep(300);
      assert.deepEqual((await activityOf(userId)).map((e) => e.id).sort(), [
        `${run}-1`,
        `${run}-3`,
      ]);
    });

    test("analytics.js's mixed batch through the gateway: its origin is checked first, the good messages kept as segment-browser", async () => {
      const shop = 'https://shop.example.com';
      const created = await settled(() =>
        post(
          `${url}/analytics/v1/write-keys`,
          { name: 'shop', kind: 'browser', origins: [shop] },
          { authorization: admin.authorization() },
        ),
      );
      assert.equal(created.status, 201, await created.clone().text());
      const { key } = (await created.json()) as { key: string };
      const run = `${Date.now()}`;
      const userId = `browser-mixed-${run}`;
      // As analytics.js's batching strategy posts it: text/plain, the key in the body, gzipped.
      const body = gzipSync(
        JSON.stringify({
          writeKey: key,
          sentAt: new Date().toISOString(),
          batch: [
            { type: 'page', userId, name: 'Home', messageId: `${run}-1` },
            { type: 'track', userId, event: 'user.deleted', messageId: `${run}-2` },
            { type: 'track', userId, event: 'Clicked', properties: { t: 'a\ud83d' } },
            { type: 'identify', userId, traits: { plan: 'pro' }, messageId: `${run}-4` },
          ],
        }),
      );
      const send = (origin: string) =>
        settled(() =>
          fetch(`${url}/analytics/v1/b`, {
            method: 'POST',
            headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip', origin },
            body,
          }),
        );
      const elsewhere = await send('https://evil.example');
      assert.equal(elsewhere.status, 403, await elsewhere.clone().text());
      const res = await send(shop);
      assert.equal(res.status, 400, await res.clone().text());
      const problem = (await res.json()) as { detail: string; errors: { field: string }[] };
      assert.match(problem.detail, /^2 of 4 messages were accepted and 2 refused/);
      assert.deepEqual(
        problem.errors.map((e) => e.field),
        ['batch.1.event', 'batch.2.properties.t'],
      );
      await eventually(async () => (await activityOf(userId)).length >= 2, 30_000);
      await sleep(300);
      const items = (await activityOf(userId)) as unknown as { id: string; source: string }[];
      assert.deepEqual(items.map((e) => [e.id, e.source]).sort(), [
        [`browser:${run}-1`, 'segment-browser'],
        [`browser:${run}-4`, 'segment-browser'],
      ]);
    });

    test('@segment/analytics-node: identify, track, page, alias and a repeated batch, read back stitched and once', async () => {
      const { key } = await newKey();
      const run = `${Date.now()}`;
      const userId = `segment-user-${run}`;
      const anonymousId = `anon-${run}`;
      const earlierDevice = `anon-old-${run}`;
      const send = async (calls: (a: Analytics) => void) => {
        const errors: unknown[] = [];
        const statuses: number[] = [];
        const client = new Analytics({
          writeKey: key,
          host: url,
          path: '/analytics/v1/batch',
          flushAt: 50,
          // The gateway may answer 503 for a moment on a busy machine (see settled).
          maxRetries: 10,
        });
        client.on('error', (e) => errors.push(e));
        client.on('http_response', (r) => statuses.push(r.status));
        calls(client);
        await client.closeAndFlush({ timeout: 30_000 });
        assert.deepEqual(errors, []);
        assert.equal(statuses.at(-1), 200, String(statuses));
      };
      const calls = (a: Analytics) => {
        a.page({ anonymousId, name: 'Pricing', messageId: `${run}-1` });
        a.track({ anonymousId, event: 'Signup Started', messageId: `${run}-2` });
        a.track({ anonymousId: earlierDevice, event: 'Docs Read', messageId: `${run}-3` });
        a.identify({ userId, anonymousId, traits: { plan: 'pro' }, messageId: `${run}-4` });
        a.alias({ userId, previousId: earlierDevice, messageId: `${run}-5` });
        a.track({
          userId,
          event: 'Order Completed',
          properties: { total: 42 },
          messageId: `${run}-6`,
        });
      };
      await send(calls);
      // The same batch again: a client retry after a lost answer.
      await send(calls);

      const expected = [
        'Order Completed',
        'alias',
        'identify',
        'Docs Read',
        'Signup Started',
        'page',
      ].sort();
      await eventually(async () => (await activityOf(userId)).length >= expected.length, 30_000);

      // And once more after a restart: the dedup index outlives the process.
      await analytics.stop();
      analytics = await startAnalytics();
      // Until the gateway has taken the instance back in.
      await eventually(
        async () =>
          (
            await fetch(`${url}/analytics/v1/write-keys`, {
              headers: { authorization: admin.authorization() },
            })
          ).status === 200,
        30_000,
      );
      await send(calls);
      await send((a) => a.track({ userId, event: 'Sentinel', messageId: `${run}-7` }));
      await eventually(
        async () => (await activityOf(userId)).some((e) => e.event === 'Sentinel'),
        30_000,
      );
      await sleep(500);
      const items = await activityOf(userId);
      assert.deepEqual(
        items
          .map((e) => e.event)
          .filter((e) => e !== 'Sentinel')
          .sort(),
        expected,
      );
      assert.deepEqual(
        items.map((e) => e.id).sort(),
        [1, 2, 3, 4, 5, 6, 7].map((n) => `${run}-${n}`).sort(),
      );
      const profile = await settled(() =>
        fetch(`${url}/analytics/v1/profiles/${userId}`, {
          headers: { authorization: admin.authorization() },
        }),
      );
      assert.equal(profile.status, 200);
      const body = (await profile.json()) as { traits: object; anonymous_ids: string[] };
      assert.deepEqual(body.traits, { plan: 'pro' });
      assert.deepEqual(body.anonymous_ids.sort(), [anonymousId, earlierDevice].sort());
    });
  });
}
