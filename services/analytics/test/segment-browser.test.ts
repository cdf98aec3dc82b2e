import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp } from '../src/app.ts';
import { openDatabase } from '../src/db/index.ts';
import { insertLinks, type Link } from '../src/identity/repository.ts';
import { basicAuth, bearer, buildTestAnalytics, newWriteKey, sql } from './helper.ts';

/**
 * The analytics.js routes (/t, /p, /i, /g, /a, /s, /b) and browser write keys: JSON sent as
 * text/plain with the key in the body (and as Basic, as @segment/analytics-next 1.8x sends it),
 * taken from the key's origins only, and never a profile's traits.
 */
const t = await buildTestAnalytics();
const base = '/analytics/v1';
const SHOP = 'https://shop.example.com';

const newKey = (body: Record<string, unknown>) => newWriteKey(t, body);

const browserKey = await newKey({ name: 'shop', kind: 'browser', origins: [SHOP] });
const serverKey = await newKey({ name: 'backend' });

/** As analytics.js posts: text/plain, the key in the body, the page's Origin. */
const post = (
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'text/plain;charset=UTF-8',
) =>
  t.app.inject({
    method: 'POST',
    url: `${base}${path}`,
    headers: { 'content-type': contentType, origin: SHOP, ...headers },
    payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
const basic = (key: string) => ({ authorization: basicAuth(key) });

test('write keys have a kind: server by default ({name} → 201 as before), browser with its origins', async () => {
  const server = await newKey({ name: 'plain' });
  assert.equal(server.kind, 'server');
  assert.deepEqual(server.origins, []);
  assert.equal(browserKey.kind, 'browser');
  assert.deepEqual(browserKey.origins, [SHOP]);
  const listed = await t.app.inject({ url: `${base}/write-keys`, headers: bearer(t.adminToken) });
  const mine = listed.json().items.find((k: { id: string }) => k.id === browserKey.id);
  assert.equal(mine.kind, 'browser');
  assert.deepEqual(mine.origins, [SHOP]);
  for (const body of [
    { name: 'x', kind: 'browser' },
    { name: 'x', kind: 'server', origins: [SHOP] },
    { name: 'x', origins: [SHOP] },
    { name: 'x', kind: 'browser', origins: [] },
    { name: 'x', kind: 'browser', origins: ['shop.example.com'] },
    { name: 'x', kind: 'browser', origins: [`${SHOP}/path`] },
    { name: 'x', kind: 'browser', origins: ['HTTPS://SHOP.EXAMPLE.COM'] },
    // A browser never sends its scheme's default port: a key naming it took no page at all.
    { name: 'x', kind: 'browser', origins: [`${SHOP}:443`] },
    { name: 'x', kind: 'browser', origins: ['https://a.example', 'http://shop.example.com:80'] },
    { name: 'x', kind: 'browser', origins: ['https://shop.example.com:0443'] },
    { name: 'x', kind: 'robot' },
  ]) {
    const res = await t.app.inject({
      method: 'POST',
      url: `${base}/write-keys`,
      headers: bearer(t.adminToken),
      payload: body,
    });
    assert.equal(res.statusCode, 400, JSON.stringify(body));
  }
  // A malformed origin is named by its index, as every other field is, and the message says
  // what an origin looks like: a trailing slash copied from the address bar answered a regex.
  for (const [origins, index, says] of [
    [['http://127.0.0.1:3000/'], 0, /browser sends it: scheme:\/\/host\[:port\]/],
    [[SHOP, 'https://shop.example.com:443'], 1, /default port/],
  ] as const) {
    const res = await t.app.inject({
      method: 'POST',
      url: `${base}/write-keys`,
      headers: bearer(t.adminToken),
      payload: { name: 'x', kind: 'browser', origins },
    });
    assert.equal(res.statusCode, 400, res.body);
    const [error, ...more] = res.json().errors;
    assert.equal(more.length, 0, res.body);
    assert.equal(error.field, `origins.${index}`, res.body);
    assert.doesNotMatch(error.message, /pattern|\^/, res.body);
    assert.match(error.message, says, res.body);
  }
  // Other ports are the page's own.
  const port = await newKey({ name: 'dev', kind: 'browser', origins: ['http://localhost:8443'] });
  assert.deepEqual(port.origins, ['http://localhost:8443']);
});

test('an origin no browser can send, or sends written otherwise (a port past 65535, an address in another spelling), is a 400 naming what a browser sends', async () => {
  const refusal = async (origin: string, id?: string) => {
    const res = await t.app.inject({
      method: id ? 'PATCH' : 'POST',
      url: `${base}/write-keys${id ? `/${id}` : ''}`,
      headers: bearer(t.adminToken),
      payload: id ? { origins: [origin] } : { name: 'x', kind: 'browser', origins: [origin] },
    });
    assert.equal(res.statusCode, 400, `${origin}: ${res.body}`);
    const [error, ...more] = res.json().errors;
    assert.equal(more.length, 0, res.body);
    assert.equal(error.field, 'origins.0', res.body);
    return error.message as string;
  };
  // A browser writes an address one way only (WHATWG URL): a key naming another spelling matched
  // no page, and every page's events were refused 403 origin_not_allowed.
  for (const [origin, sent] of [
    ['http://127.1', 'http://127.0.0.1'],
    ['http://127.000.000.001:3000', 'http://127.0.0.1:3000'],
    ['http://0x7f.0.0.1', 'http://127.0.0.1'],
    ['http://[0:0:0:0:0:0:0:1]:8080', 'http://[::1]:8080'],
    ['http://[::ffff:127.0.0.1]', 'http://[::ffff:7f00:1]'],
  ] as const) {
    for (const id of [undefined, browserKey.id]) {
      const message = await refusal(origin, id);
      assert.ok(message.includes(sent), `${origin}: ${message}`);
    }
  }
  // Nothing a browser could send at all.
  for (const origin of [
    'https://shop.example.com:65536',
    'https://shop.example.com:99999',
    'http://256.0.0.1',
    'http://1.2.3.4.5',
    'http://[1.2.3.4]',
    'http://[:::]',
  ]) {
    for (const id of [undefined, browserKey.id]) {
      assert.match(await refusal(origin, id), /no browser can send/, origin);
    }
  }
  // The key's origins are as they were.
  const listed = await t.app.inject({ url: `${base}/write-keys`, headers: bearer(t.adminToken) });
  const mine = listed.json().items.find((k: { id: string }) => k.id === browserKey.id);
  assert.deepEqual(mine.origins, [SHOP]);
  // As browsers write them, all of these are taken.
  const fine = ['http://127.0.0.1', 'http://[::1]:8080', 'https://shop.example.com:65535'];
  const taken = await newKey({ name: 'spelled right', kind: 'browser', origins: fine });
  assert.deepEqual(taken.origins, fine);
});

test('a host with an underscore (https://my_shop.example.com), which browsers load and send as written, is an origin a key takes', async () => {
  const SHOP_ = 'https://my_shop.example.com';
  const DEV_ = 'http://_dev.local:3000';
  const key = await newKey({ name: 'underscored', kind: 'browser', origins: [SHOP_] });
  assert.deepEqual(key.origins, [SHOP_]);
  const changed = await t.app.inject({
    method: 'PATCH',
    url: `${base}/write-keys/${key.id}`,
    headers: bearer(t.adminToken),
    payload: { origins: [SHOP_, DEV_] },
  });
  assert.equal(changed.statusCode, 200, changed.body);
  assert.deepEqual(changed.json().origins, [SHOP_, DEV_]);
  for (const origin of [SHOP_, DEV_]) {
    const res = await t.app.inject({
      method: 'POST',
      url: `${base}/t`,
      headers: { 'content-type': 'text/plain;charset=UTF-8', origin },
      payload: JSON.stringify({
        type: 'track',
        event: 'Viewed',
        anonymousId: 'visitor-u',
        writeKey: key.key,
      }),
    });
    assert.equal(res.statusCode, 200, `${origin}: ${res.body}`);
  }
});

test('each analytics.js path takes its type as text/plain JSON, the key from the body', async () => {
  const userId = `u-${randomUUID()}`;
  const anonymousId = randomUUID();
  const common = { writeKey: browserKey.key, anonymousId, context: { page: { path: '/' } } };
  const calls: [string, Record<string, unknown>][] = [
    ['/p', { type: 'page', name: null, category: null, properties: { path: '/' }, userId: null }],
    ['/t', { type: 'track', event: 'Added To Cart', properties: { sku: 'a' }, userId: null }],
    ['/i', { type: 'identify', userId, traits: { plan: 'free' } }],
    ['/g', { type: 'group', userId, groupId: 'acme', traits: { size: 3 } }],
    ['/s', { type: 'screen', userId, name: 'Home' }],
    ['/a', { type: 'alias', userId, previousId: anonymousId }],
  ];
  for (const [path, body] of calls) {
    const res = await post(path, { ...common, ...body, messageId: randomUUID() });
    assert.equal(res.statusCode, 200, `${path}: ${res.body}`);
    assert.deepEqual(res.json(), { success: true });
  }
  // The batching strategy: {batch, sentAt, writeKey} at /b, and Basic beside it as 1.8x sends.
  const batched = await post(
    '/b',
    {
      writeKey: browserKey.key,
      sentAt: new Date().toISOString(),
      batch: [
        { type: 'track', event: 'Checked Out', userId, anonymousId, messageId: randomUUID() },
      ],
    },
    basic(browserKey.key),
  );
  assert.equal(batched.statusCode, 200, batched.body);
  await t.drained();
  const activity = await t.app.inject({
    url: `${base}/user-activity?user_id=${userId}`,
    headers: bearer(t.adminToken),
  });
  assert.deepEqual(
    activity
      .json()
      .items.map((e: { event: string }) => e.event)
      .sort(),
    ['Added To Cart', 'Checked Out', 'alias', 'group', 'identify', 'page', 'screen'],
  );
});

test('text/plain is JSON on the analytics.js routes only: a 415 on every other route', async () => {
  const body = JSON.stringify({ writeKey: serverKey.key, userId: 'u', event: 'E' });
  for (const path of ['/track', '/batch', '/track-event']) {
    const res = await post(path, body, {}, 'text/plain');
    assert.equal(res.statusCode, 415, `${path}: ${res.body}`);
    assert.equal(res.json().code, 'unsupported_media_type');
  }
  // application/json is taken on the browser routes too.
  const json = await post(
    '/t',
    { writeKey: browserKey.key, userId: 'u', event: 'E' },
    {},
    'application/json',
  );
  assert.equal(json.statusCode, 200, json.body);
});

test('a key works on the routes of its kind only, a browser key from its origins only', async () => {
  const track = { userId: 'u', event: 'E' };
  const serverOnBrowser = await post('/t', { ...track, writeKey: serverKey.key });
  assert.equal(serverOnBrowser.statusCode, 401);
  assert.equal(serverOnBrowser.json().code, 'invalid_write_key');
  assert.match(serverOnBrowser.json().detail, /server write key/);
  const browserOnServer = await t.app.inject({
    method: 'POST',
    url: `${base}/track`,
    headers: basic(browserKey.key),
    payload: track,
  });
  assert.equal(browserOnServer.statusCode, 401);
  assert.match(browserOnServer.json().detail, /browser write key/);
  const bodyOnServer = await t.app.inject({
    method: 'POST',
    url: `${base}/batch`,
    payload: { writeKey: browserKey.key, batch: [{ type: 'track', ...track }] },
  });
  assert.equal(bodyOnServer.statusCode, 401);

  const elsewhere = await post(
    '/t',
    { ...track, writeKey: browserKey.key },
    { origin: 'https://evil.example' },
  );
  assert.equal(elsewhere.statusCode, 403);
  assert.equal(elsewhere.json().code, 'origin_not_allowed');
  // The detail names the origin refused (localhost is not 127.0.0.1) and what to do about it.
  assert.match(elsewhere.json().detail, /https:\/\/evil\.example\b/);
  assert.match(elsewhere.json().detail, /PATCH \/analytics\/v1\/write-keys\/\{id\}/);
  const lookalike = await post(
    '/t',
    { ...track, writeKey: browserKey.key },
    { origin: `${SHOP}.evil.example` },
  );
  assert.equal(lookalike.statusCode, 403);
  const noOrigin = await t.app.inject({
    method: 'POST',
    url: `${base}/t`,
    headers: { 'content-type': 'text/plain' },
    payload: JSON.stringify({ ...track, writeKey: browserKey.key }),
  });
  assert.equal(noOrigin.statusCode, 403);
  // Basic beside the body: the header's key decides, and it is checked as strictly.
  const basicElsewhere = await post(
    '/t',
    { ...track, writeKey: browserKey.key },
    {
      origin: 'https://evil.example',
      ...basic(browserKey.key),
    },
  );
  assert.equal(basicElsewhere.statusCode, 403);
  const wrongBasic = await post('/t', { ...track, writeKey: browserKey.key }, basic('wk_nope'));
  assert.equal(wrongBasic.statusCode, 401);
  const missing = await post('/t', track);
  assert.equal(missing.statusCode, 401);

  const anywhere = await newKey({ name: 'any', kind: 'browser', origins: ['*'] });
  const fromAnywhere = await post(
    '/t',
    { ...track, writeKey: anywhere.key },
    { origin: 'https://other.example' },
  );
  assert.equal(fromAnywhere.statusCode, 200, fromAnywhere.body);

  await t.app.inject({
    method: 'DELETE',
    url: `${base}/write-keys/${anywhere.id}`,
    headers: bearer(t.adminToken),
  });
  const revoked = await post(
    '/t',
    { ...track, writeKey: anywhere.key },
    { origin: 'https://other.example' },
  );
  assert.equal(revoked.statusCode, 401);
});

test('a browser key links its anonymous id but never writes a profile’s traits', async () => {
  const victim = `victim-${randomUUID()}`;
  const fromServer = await t.app.inject({
    method: 'POST',
    url: `${base}/identify`,
    headers: basic(serverKey.key),
    payload: { userId: victim, traits: { email: 'victim@example.com' }, messageId: randomUUID() },
  });
  assert.equal(fromServer.statusCode, 200, fromServer.body);
  const anonymousId = randomUUID();
  const hostile = await post('/i', {
    writeKey: browserKey.key,
    userId: victim,
    anonymousId,
    traits: { email: 'attacker@example.com', admin: true },
    messageId: randomUUID(),
  });
  assert.equal(hostile.statusCode, 200, hostile.body);
  const fresh = `fresh-${randomUUID()}`;
  assert.equal(
    (
      await post('/b', {
        writeKey: browserKey.key,
        batch: [{ type: 'identify', userId: fresh, traits: { plan: 'pro' } }],
      })
    ).statusCode,
    200,
  );
  await t.drained();
  const profile = await t.app.inject({
    url: `${base}/profiles/${victim}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 200, profile.body);
  assert.deepEqual(profile.json().traits, { email: 'victim@example.com' });
  assert.deepEqual(profile.json().anonymous_ids, [anonymousId]);
  const other = await t.app.inject({
    url: `${base}/profiles/${fresh}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(other.statusCode, 200, other.body);
  assert.deepEqual(other.json().traits, {});
});

test('hostile input on the text/plain routes is refused as on the Segment routes', async () => {
  const key = { writeKey: browserKey.key };
  const cases: [string, string | Buffer, number][] = [
    ['not JSON', '{"writeKey": ', 400],
    [
      'not UTF-8',
      Buffer.concat([Buffer.from('{"event":"'), Buffer.from([0xff]), Buffer.from('"}')]),
      400,
    ],
    ['NUL', JSON.stringify({ ...key, userId: 'u', event: 'E', properties: { a: 'x\u0000' } }), 400],
    [
      'lone surrogate',
      `{"writeKey":"${browserKey.key}","userId":"u","event":"E","properties":{"a":"\\ud800"}}`,
      400,
    ],
    [
      'number beyond a double',
      `{"writeKey":"${browserKey.key}","userId":"u","event":"E","properties":{"a":1e400}}`,
      400,
    ],
    ['proto', `{"writeKey":"${browserKey.key}","userId":"u","event":"E","__proto__":{"x":1}}`, 400],
    [
      'over 32 KB',
      JSON.stringify({ ...key, userId: 'u', event: 'E', properties: { a: 'x'.repeat(40_000) } }),
      413,
    ],
    ['an array', '[1]', 401],
  ];
  for (const [what, body, status] of cases) {
    const res = await post('/t', body);
    assert.equal(res.statusCode, status, `${what}: ${res.body}`);
    assert.match(String(res.headers['content-type']), /application\/problem\+json/, what);
  }
  const big = await post('/b', {
    ...key,
    batch: Array.from({ length: 20 }, () => ({
      type: 'track',
      userId: 'u',
      event: 'E',
      properties: { a: 'x'.repeat(30_000) },
    })),
  });
  assert.equal(big.statusCode, 413);
});

test('analytics.js loads its settings for a browser key: apiHost from PUBLIC_URL, never Host', async () => {
  const res = await t.app.inject({
    url: `${base}/projects/${browserKey.key}/settings`,
    headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', origin: SHOP },
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['access-control-allow-origin'], '*');
  const settings = res.json();
  const publicUrl = new URL(t.config.PUBLIC_URL);
  assert.deepEqual(settings.integrations, {
    'Segment.io': {
      apiKey: browserKey.key,
      apiHost: `${publicUrl.host}/analytics/v1`,
      protocol: publicUrl.protocol.replace(':', ''),
    },
  });
  assert.equal(settings.metrics.sampleRate, 0);
  assert.deepEqual(settings.remotePlugins, []);
  assert.doesNotMatch(res.body, /evil/);
  for (const key of [serverKey.key, 'wk_unknown', 'x'.repeat(100)]) {
    const refused = await t.app.inject({ url: `${base}/projects/${key}/settings` });
    assert.equal(refused.statusCode, 404, key);
    assert.equal(refused.json().code, 'not_found');
    assert.equal(refused.headers['access-control-allow-origin'], '*');
  }
  // A key no key can be (a pasted space, too long) is a 400 the page reads too, not an opaque
  // CORS failure in the console.
  for (const key of ['wk%20x', 'x'.repeat(101), 'wk.x']) {
    const refused = await t.app.inject({
      url: `${base}/projects/${key}/settings`,
      headers: { origin: SHOP },
    });
    assert.equal(refused.statusCode, 400, key);
    assert.equal(refused.json().code, 'validation_failed');
    assert.equal(refused.headers['access-control-allow-origin'], '*', key);
  }
});

test('a browser key’s link of an anonymous id yields to a server key’s, and never replaces one', async () => {
  const profileOf = async (userId: string) =>
    (
      await t.app.inject({ url: `${base}/profiles/${userId}`, headers: bearer(t.adminToken) })
    ).json() as { anonymous_ids?: string[] };
  const server = (path: string, payload: object) =>
    t.app.inject({ method: 'POST', url: `${base}${path}`, headers: basic(serverKey.key), payload });
  const victim = `victim-${randomUUID()}`;
  const attacker = `attacker-${randomUUID()}`;
  // The attacker, knowing the victim's anonymous id, claims it first from a page…
  const claimed = randomUUID();
  const claim = await post('/i', {
    writeKey: browserKey.key,
    userId: attacker,
    anonymousId: claimed,
  });
  assert.equal(claim.statusCode, 200, claim.body);
  // …and the victim's backend, which knows who signed in, links it afterwards: that link stands.
  const backend = await server('/identify', { userId: victim, anonymousId: claimed });
  assert.equal(backend.statusCode, 200, backend.body);
  // A link a backend made first cannot be taken over by a page (identify or alias).
  const held = randomUUID();
  assert.equal((await server('/alias', { userId: victim, previousId: held })).statusCode, 200);
  const takeover = await post('/b', {
    writeKey: browserKey.key,
    batch: [
      { type: 'identify', userId: attacker, anonymousId: held },
      { type: 'alias', userId: attacker, previousId: held, anonymousId: held },
    ],
  });
  assert.equal(takeover.statusCode, 200, takeover.body);
  // Between pages, the first link stands as before.
  const first = randomUUID();
  await post('/a', { writeKey: browserKey.key, userId: attacker, previousId: first });
  await post('/a', { writeKey: browserKey.key, userId: victim, previousId: first });
  await t.drained();
  assert.deepEqual((await profileOf(victim)).anonymous_ids?.sort(), [claimed, held].sort());
  assert.deepEqual((await profileOf(attacker)).anonymous_ids, [first]);
});

test('a page’s links cannot push a backend’s out of the anonymous ids a user’s activity reads', async () => {
  // /user-activity and /profiles read a user's first 1000 links; oldest first, a page (a public
  // key) that linked 1000 made-up ids to a user ahead of the backend hid every link the
  // backend made later, and the events sent under them, from that user's activity.
  const victim = `flooded-${randomUUID()}`;
  for (let round = 0; round < 2; round += 1) {
    const batch = Array.from({ length: 500 }, () => ({
      type: 'identify',
      userId: victim,
      anonymousId: randomUUID(),
    }));
    const res = await post('/b', { writeKey: browserKey.key, batch });
    assert.equal(res.statusCode, 200, res.body);
  }
  const real = randomUUID();
  const server = (path: string, payload: object) =>
    t.app.inject({ method: 'POST', url: `${base}${path}`, headers: basic(serverKey.key), payload });
  assert.equal(
    (await server('/track', { anonymousId: real, event: 'Viewed Cart' })).statusCode,
    200,
  );
  assert.equal((await server('/identify', { userId: victim, anonymousId: real })).statusCode, 200);
  await t.drained();
  const profile = await t.app.inject({
    url: `${base}/profiles/${victim}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 200, profile.body);
  assert.ok((profile.json() as { anonymous_ids: string[] }).anonymous_ids.includes(real));
  const activity = await t.app.inject({
    url: `${base}/user-activity?user_id=${victim}&event=Viewed%20Cart`,
    headers: bearer(t.adminToken),
  });
  assert.equal(activity.statusCode, 200, activity.body);
  const items = (activity.json() as { items: { anonymous_id: string }[] }).items;
  assert.deepEqual(
    items.map((e) => e.anonymous_id),
    [real],
  );
});

test('a page cannot grow a user’s links past 1000; a server key’s links are not counted nor capped', async () => {
  // Each a row every read of the user went through; a public key made any number of them.
  const victim = `capped-${randomUUID()}`;
  const other = `uncapped-${randomUUID()}`;
  const links = async (userId: string) =>
    (
      await sql(
        t.databaseUrl,
        'select count(*) filter (where not trusted)::int as page, count(*) filter (where trusted)::int as server from identity_links where user_id = $1',
        [userId],
      )
    )[0] as { page: number; server: number };
  const identifies = (n: number, userId = victim) =>
    Array.from({ length: n }, () => ({ type: 'identify', userId, anonymousId: randomUUID() }));
  for (const batch of [identifies(500), identifies(499)]) {
    assert.equal((await post('/b', { writeKey: browserKey.key, batch })).statusCode, 200);
  }
  assert.deepEqual(await links(victim), { page: 999, server: 0 });
  // One fits; the rest of the batch is taken (a 200: analytics.js drops a refused batch whole),
  // its events stored, its links to that user left out; another user's room is their own.
  const past = randomUUID();
  const batch = [
    ...identifies(3),
    { type: 'alias', userId: victim, previousId: randomUUID() },
    { type: 'track', anonymousId: past, event: 'Past The Cap' },
    { type: 'identify', userId: victim, anonymousId: past },
    ...identifies(2, other),
  ];
  const res = await post('/b', { writeKey: browserKey.key, batch });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(
    (await post('/i', { writeKey: browserKey.key, ...identifies(1)[0] })).statusCode,
    200,
  );
  assert.deepEqual(await links(victim), { page: 1000, server: 0 });
  assert.deepEqual(await links(other), { page: 2, server: 0 });
  await t.drained();
  const stored = await sql(
    t.databaseUrl,
    "select count(*)::int as n from events where name = 'Past The Cap'",
  );
  assert.deepEqual(stored, [{ n: 1 }]);
  // A server key links as before, the browser-linked ids it takes over included.
  const [taken] = (await sql(
    t.databaseUrl,
    'select anonymous_id from identity_links where user_id = $1 and not trusted limit 1',
    [victim],
  )) as { anonymous_id: string }[];
  const batchOfServer = [
    ...identifies(5),
    { type: 'identify', userId: victim, anonymousId: past },
    { type: 'identify', userId: victim, anonymousId: taken!.anonymous_id },
  ];
  const server = await t.app.inject({
    method: 'POST',
    url: `${base}/batch`,
    headers: basic(serverKey.key),
    payload: { batch: batchOfServer },
  });
  assert.equal(server.statusCode, 200, server.body);
  assert.deepEqual(await links(victim), { page: 999, server: 7 });
  // The room that freed is the page's again, one link of it.
  assert.equal(
    (await post('/b', { writeKey: browserKey.key, batch: identifies(3) })).statusCode,
    200,
  );
  assert.deepEqual(await links(victim), { page: 1000, server: 7 });
});

test('concurrent batches of a page share one user’s room: never past the cap together', async () => {
  // Two replicas' transactions: the second counts the room only once the first has committed.
  const victim = `raced-${randomUUID()}`;
  const links = (n: number): Link[] =>
    Array.from({ length: n }, () => ({
      anonymousId: randomUUID(),
      userId: victim,
      via: 'identify',
      messageId: null,
      trusted: false,
    }));
  const { db } = t.database;
  await db.transaction((tx) => insertLinks(tx, links(990)));
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let inserted = () => {};
  const first = db.transaction(async (tx) => {
    await insertLinks(tx, links(8));
    inserted();
    await held;
  });
  await new Promise<void>((resolve) => {
    inserted = resolve;
  });
  const second = db.transaction((tx) => insertLinks(tx, links(8)));
  await sleep(200);
  release();
  await Promise.all([first, second]);
  const [row] = await sql(
    t.databaseUrl,
    'select count(*)::int as n from identity_links where user_id = $1',
    [victim],
  );
  assert.deepEqual(row, { n: 1000 });
});

test("an admin changes a browser key's origins (PATCH): checked as at creation, in effect on every replica at once, the key never shown", async () => {
  const key = await newKey({ name: 'blog', kind: 'browser', origins: [SHOP] });
  const BLOG = 'https://blog.example.com';
  const track = { type: 'track', event: 'Moved', anonymousId: 'visitor-9' };
  const from = (origin: string, app = t.app) =>
    app.inject({
      method: 'POST',
      url: `${base}/t`,
      headers: { 'content-type': 'text/plain;charset=UTF-8', origin },
      payload: JSON.stringify({ ...track, writeKey: key.key }),
    });
  // A second replica on the same database: it must not keep the old origins.
  const secondDatabase = await openDatabase(t.databaseUrl);
  const second = await buildApp({ config: t.config, database: secondDatabase });
  await second.ready();
  after(async () => {
    await second.close();
    await secondDatabase.close();
  });
  assert.equal((await from(BLOG, second)).statusCode, 403);
  // Both replicas have served the key before the change.
  assert.equal((await from(SHOP)).statusCode, 200);
  assert.equal((await from(SHOP, second)).statusCode, 200);

  const patch = (id: string, payload: object, token = t.adminToken) =>
    t.app.inject({
      method: 'PATCH',
      url: `${base}/write-keys/${id}`,
      headers: bearer(token),
      payload,
    });
  const changed = await patch(key.id, { name: 'blog and shop', origins: [SHOP, BLOG] });
  assert.equal(changed.statusCode, 200, changed.body);
  const body = changed.json();
  assert.deepEqual(
    { name: body.name, kind: body.kind, origins: body.origins, id: body.id },
    { name: 'blog and shop', kind: 'browser', origins: [SHOP, BLOG], id: key.id },
  );
  assert.equal(body.key, undefined);
  assert.ok(!changed.body.includes(key.key));
  for (const app of [t.app, second]) {
    assert.equal((await from(BLOG, app)).statusCode, 200);
    assert.equal((await from(SHOP, app)).statusCode, 200);
  }
  // Origins taken away are refused at once, on every replica.
  assert.equal((await patch(key.id, { origins: [BLOG] })).statusCode, 200);
  for (const app of [t.app, second]) {
    assert.equal((await from(SHOP, app)).statusCode, 403);
    assert.equal((await from(BLOG, app)).statusCode, 200);
  }
  const listed = await t.app.inject({ url: `${base}/write-keys`, headers: bearer(t.adminToken) });
  const mine = listed.json().items.find((k: { id: string }) => k.id === key.id);
  assert.deepEqual([mine.name, mine.origins], ['blog and shop', [BLOG]]);

  // The checks of creation: an origin as no browser sends it, none at all, a server key's.
  for (const payload of [
    { origins: [`${BLOG}/`] },
    { origins: [`${BLOG}:443`] },
    { origins: ['BLOG.EXAMPLE.COM'] },
    { origins: [] },
    { origins: [BLOG, BLOG] },
    { name: '  ' },
  ]) {
    const res = await patch(key.id, payload);
    assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
  }
  // A key's kind never changes: an unknown field is dropped, as in every body here.
  const kind = await patch(key.id, { kind: 'server' });
  assert.equal(kind.statusCode, 200, kind.body);
  assert.deepEqual([kind.json().kind, kind.json().origins], ['browser', [BLOG]]);
  const named = await patch(key.id, { origins: [BLOG, `${BLOG}/`] });
  assert.deepEqual(
    named.json().errors.map((e: { field: string }) => e.field),
    ['origins.1'],
  );
  const onServer = await patch(serverKey.id, { origins: [SHOP] });
  assert.equal(onServer.statusCode, 400, onServer.body);
  assert.deepEqual(onServer.json().errors, [
    { field: 'origins', message: 'only for a browser key' },
  ]);
  const renamed = await patch(serverKey.id, { name: 'backend (billing)' });
  assert.equal(renamed.statusCode, 200, renamed.body);
  assert.deepEqual([renamed.json().name, renamed.json().origins], ['backend (billing)', []]);
  // Unchanged by any refusal above.
  const after400 = await t.app.inject({ url: `${base}/write-keys`, headers: bearer(t.adminToken) });
  const still = after400.json().items.find((k: { id: string }) => k.id === key.id);
  assert.deepEqual(still.origins, [BLOG]);

  // Admins only; a revoked or unknown key is a 404.
  const user = await t.user();
  assert.equal((await patch(key.id, { name: 'mine' }, user.accessToken)).statusCode, 403);
  assert.equal((await patch(randomUUID(), { name: 'x' })).statusCode, 404);
  const revoked = await newKey({ name: 'gone', kind: 'browser', origins: [SHOP] });
  await t.app.inject({
    method: 'DELETE',
    url: `${base}/write-keys/${revoked.id}`,
    headers: bearer(t.adminToken),
  });
  assert.equal((await patch(revoked.id, { origins: [BLOG] })).statusCode, 404);
});

test('two admins editing one key: GET /write-keys/{id} gives its ETag, a PATCH with a stale If-Match is a 412 and changes nothing', async () => {
  const BLOG = 'https://blog.example.com';
  const DOCS = 'https://docs.example.com';
  const key = await newKey({ name: 'both', kind: 'browser', origins: [SHOP] });
  const url = `${base}/write-keys/${key.id}`;
  const read = () => t.app.inject({ url, headers: bearer(t.adminToken) });
  const patch = (payload: object, ifMatch?: string) =>
    t.app.inject({
      method: 'PATCH',
      url,
      headers: { ...bearer(t.adminToken), ...(ifMatch ? { 'if-match': ifMatch } : {}) },
      payload,
    });

  const first = await read();
  assert.equal(first.statusCode, 200, first.body);
  assert.deepEqual(
    [first.json().id, first.json().name, first.json().origins, first.json().key],
    [key.id, 'both', [SHOP], undefined],
  );
  assert.ok(!first.body.includes(key.key));
  const etag = first.headers.etag as string;
  assert.match(etag, /^"[^"]+"$/);
  const unchanged = await t.app.inject({
    url,
    headers: { ...bearer(t.adminToken), 'if-none-match': etag },
  });
  assert.equal(unchanged.statusCode, 304);

  // Both admins read the key; the first adds the blog, its answer the new version.
  const added = await patch({ origins: [SHOP, BLOG] }, etag);
  assert.equal(added.statusCode, 200, added.body);
  assert.notEqual(added.headers.etag, etag);
  assert.equal(added.headers.etag, (await read()).headers.etag);
  // The second adds the docs from its stale copy: refused, the blog kept.
  const stale = await patch({ origins: [SHOP, DOCS] }, etag);
  assert.equal(stale.statusCode, 412, stale.body);
  assert.equal(stale.json().code, 'version_conflict');
  assert.deepEqual((await read()).json().origins, [SHOP, BLOG]);
  // Weakened by a proxy's gzip, a current tag still holds; so does `*`.
  const weak = await patch({ origins: [SHOP, BLOG, DOCS] }, `W/${added.headers.etag}`);
  assert.equal(weak.statusCode, 200, weak.body);
  assert.equal((await patch({ name: 'all three' }, '*')).statusCode, 200);
  // Without If-Match, as before.
  assert.equal((await patch({ name: 'all' })).statusCode, 200);
  assert.deepEqual(
    [(await read()).json().name, (await read()).json().origins],
    ['all', [SHOP, BLOG, DOCS]],
  );

  // Admins only; unknown and revoked keys are a 404.
  const user = await t.user();
  assert.equal((await t.app.inject({ url, headers: bearer(user.accessToken) })).statusCode, 403);
  const unknown = await t.app.inject({
    url: `${base}/write-keys/${randomUUID()}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(unknown.statusCode, 404);
  // A revocation from a stale copy is held likewise (the shared If-Match of a URL with a read).
  const staleDelete = await t.app.inject({
    method: 'DELETE',
    url,
    headers: { ...bearer(t.adminToken), 'if-match': etag },
  });
  assert.equal(staleDelete.statusCode, 412, staleDelete.body);
  assert.equal((await read()).statusCode, 200);
  await t.app.inject({ method: 'DELETE', url, headers: bearer(t.adminToken) });
  assert.equal((await read()).statusCode, 404);
});

test('a page cannot claim a backend’s message id: each kind of key deduplicates apart', async () => {
  // One namespace for every key: a page's /t with the id a backend uses for its order (Segment
  // recommends predictable ids for idempotent retries) was stored, and the backend's event, sent
  // later with that id, was answered 200 and dropped as a copy.
  const userId = `buyer-${randomUUID()}`;
  const messageId = `order-completed-${randomUUID()}`;
  const forged = await post('/t', {
    type: 'track',
    event: 'Junk',
    userId,
    anonymousId: randomUUID(),
    messageId,
    writeKey: browserKey.key,
  });
  assert.equal(forged.statusCode, 200, forged.body);
  const backend = await t.app.inject({
    method: 'POST',
    url: `${base}/batch`,
    headers: basic(serverKey.key),
    payload: { batch: [{ type: 'track', event: 'Order Completed', userId, messageId }] },
  });
  assert.equal(backend.statusCode, 200, backend.body);
  // Each kind still drops its own copies.
  for (const again of [
    await post('/t', {
      type: 'track',
      event: 'Junk',
      userId,
      anonymousId: randomUUID(),
      messageId,
      writeKey: browserKey.key,
    }),
    await t.app.inject({
      method: 'POST',
      url: `${base}/batch`,
      headers: basic(serverKey.key),
      payload: { batch: [{ type: 'track', event: 'Order Completed', userId, messageId }] },
    }),
  ])
    assert.equal(again.statusCode, 200, again.body);
  await t.drained();
  const activity = await t.app.inject({
    url: `${base}/user-activity?user_id=${userId}`,
    headers: bearer(t.adminToken),
  });
  const items = activity.json().items as { id: string; event: string; source: string }[];
  assert.deepEqual(items.map((e) => [e.event, e.source, e.id]).sort(), [
    ['Junk', 'segment-browser', `browser:${messageId}`],
    ['Order Completed', 'segment', messageId],
  ]);
});
