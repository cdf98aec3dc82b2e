import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '@platform/config';
import { createTestDatabase, migrateBefore } from '@platform/testing';
import { buildApp } from '../src/app.ts';
import { readConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/index.ts';
import { createEventNames } from '../src/event-names/registry.ts';
import { basicAuth, bearer, buildTestAnalytics, newWriteKey, sql } from './helper.ts';

// The registry of event names has two budgets: public senders (anonymous or signed-in
// /track-event, browser write keys — anyone) register at most EVENT_NAMES_PUBLIC_MAX names, so
// junk from them can never take the room of trusted senders (server write keys). Admins list and
// delete names through the API, and every replica sees a deletion.
const t = await buildTestAnalytics({
  EVENT_NAMES_MAX: '6',
  EVENT_NAMES_PUBLIC_MAX: '3',
  EVENT_NAMES_REFRESH_MS: '200',
});
const base = '/analytics/v1';
const SHOP = 'https://shop.example.com';

// A second replica on the same database.
const secondDatabase = await openDatabase(t.databaseUrl);
const second = await buildApp({ config: t.config, database: secondDatabase });
await second.ready();
after(async () => {
  await second.close();
  await secondDatabase.close();
});

type Res = { statusCode: number; body: string; json(): unknown };
type Problem = {
  status: number;
  code: string;
  title: string;
  errors: { field: string; message: string }[];
};

const newKey = async (payload: Record<string, unknown>) =>
  basicAuth((await newWriteKey(t, payload)).key);
const serverKey = await newKey({ name: 'backend' });
const browserKey = await newKey({ name: 'shop', kind: 'browser', origins: [SHOP] });

const anonymous = (event: string, app = t.app) =>
  app.inject({ method: 'POST', url: `${base}/track-event`, payload: { event } });
const fromBrowser = (url: string, payload: object) =>
  t.app.inject({
    method: 'POST',
    url: `${base}${url}`,
    headers: { authorization: browserKey, origin: SHOP, 'content-type': 'text/plain' },
    payload: JSON.stringify(payload),
  });
const fromServer = (event: string) =>
  t.app.inject({
    method: 'POST',
    url: `${base}/track`,
    headers: { authorization: serverKey },
    payload: { userId: 'u1', event },
  });
const admin = (method: 'GET' | 'PUT' | 'DELETE', url: string, token = t.adminToken, app = t.app) =>
  app.inject({ method, url: `${base}${url}`, headers: bearer(token) });
const registered = async () =>
  (await sql(t.databaseUrl, 'select name, registered_by from event_names order by name')).map(
    (r) => `${r.name}: ${r.registered_by}`,
  );

function assertRefused(res: Res, field: string, limit: RegExp): Problem {
  assert.equal(res.statusCode, 400, res.body);
  const problem = res.json() as Problem;
  assert.deepEqual(
    problem.errors.map((e) => e.field),
    [field],
  );
  assert.match(problem.errors[0]!.message, /^the registry of event names is full/);
  assert.match(problem.errors[0]!.message, limit);
  return problem;
}

let publicRefusal: Problem;

test('junk from public senders fills only the public share: a server key still registers new names', async () => {
  // Anonymous /track-event and a browser key (public: it is in every page) fill the share (3).
  assert.equal((await anonymous('Junk 1')).statusCode, 202);
  const page = await fromBrowser('/b', {
    batch: [
      { type: 'track', anonymousId: 'a1', event: 'Junk 2' },
      { type: 'track', anonymousId: 'a1', event: 'Junk 3' },
    ],
  });
  assert.equal(page.statusCode, 200, page.body);

  // Past it, every public sender gets the 400 of a full registry, naming the field.
  publicRefusal = assertRefused(await anonymous('Junk 4'), 'event', /EVENT_NAMES_PUBLIC_MAX = 3/);
  const user = await t.user();
  const signedIn = await t.app.inject({
    method: 'POST',
    url: `${base}/track-event`,
    headers: bearer(user.accessToken),
    payload: { events: [{ event: 'Junk 1' }, { event: 'Junk 5' }] },
  });
  assertRefused(signedIn, 'events.1.event', /EVENT_NAMES_PUBLIC_MAX/);
  assertRefused(
    await fromBrowser('/t', { anonymousId: 'a1', event: 'Junk 6' }),
    'event',
    /EVENT_NAMES_PUBLIC_MAX/,
  );
  const batch = await fromBrowser('/b', {
    batch: [
      { type: 'page', anonymousId: 'a1', name: 'Home' },
      { type: 'track', anonymousId: 'a1', event: 'Junk 7' },
    ],
  });
  assertRefused(batch, 'batch.1.event', /EVENT_NAMES_PUBLIC_MAX/);

  // The owners' backend is not locked out: its new names take the room kept for it.
  for (const name of ['Order Completed', 'Plan Upgraded', 'Invoice Paid']) {
    const res = await fromServer(name);
    assert.equal(res.statusCode, 200, res.body);
  }
  assert.deepEqual(await registered(), [
    'Invoice Paid: trusted',
    'Junk 1: public',
    'Junk 2: public',
    'Junk 3: public',
    'Order Completed: trusted',
    'Plan Upgraded: trusted',
  ]);
  // A name registered by either budget is usable by everyone.
  assert.equal((await anonymous('Order Completed')).statusCode, 202);
  const used = await fromBrowser('/t', { anonymousId: 'a2', event: 'Plan Upgraded' });
  assert.equal(used.statusCode, 200, used.body);

  // The whole registry (6) still bounds the trusted budget: the same 400, with its own limit.
  const full = assertRefused(await fromServer('Signed Up'), 'event', /EVENT_NAMES_MAX = 6/);
  const shape = (p: Problem) => ({ status: p.status, code: p.code, title: p.title });
  assert.deepEqual(shape(publicRefusal), shape(full));
});

test('the refusals are counted per budget', async () => {
  const metrics = (await t.app.inject({ url: '/metrics' })).body;
  const value = (line: RegExp) => line.exec(metrics)?.[1];
  assert.equal(value(/^analytics_event_names\{[^}]*\} (\d+)$/m), '6', metrics);
  assert.equal(value(/^analytics_event_names_public\{[^}]*\} (\d+)$/m), '3', metrics);
  // Junk 4, 5, 6, 7.
  assert.equal(
    value(/^analytics_event_names_refused_total\{budget="public"[^}]*\} (\d+)$/m),
    '4',
    metrics,
  );
  assert.equal(
    value(/^analytics_event_names_refused_total\{budget="trusted"[^}]*\} (\d+)$/m),
    '1',
    metrics,
  );
});

test('admins list the registry in pages: each name, when first seen, and which budget registered it', async () => {
  const all: { name: string; first_seen: string; registered_by: string | null }[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const res = await admin('GET', `/event-names?limit=4${query}`);
    assert.equal(res.statusCode, 200, res.body);
    const page = res.json() as {
      items: typeof all;
      next_cursor: string | null;
      registered: number;
      public: number;
      max: number;
      public_max: number;
    };
    assert.deepEqual([page.registered, page.public, page.max, page.public_max], [6, 3, 6, 3]);
    all.push(...page.items);
    cursor = page.next_cursor;
    // Opaque and URL-safe, as the other lists' cursors: never the last name itself.
    if (cursor !== null) {
      assert.match(cursor, /^[A-Za-z0-9_-]+$/);
      assert.ok(!page.items.some((n) => n.name === cursor), cursor);
    }
    pages += 1;
  } while (cursor !== null);
  assert.equal(pages, 2);
  assert.deepEqual(
    all.map((n) => `${n.name}: ${n.registered_by}`),
    await registered(),
  );
  for (const n of all) assert.ok(Date.now() - Date.parse(n.first_seen) < 60_000, n.first_seen);
});

test('an admin deletes a name: its stored events stay, its room is free, and the other replica forgets it', async () => {
  // The second replica learnt the registry at its start: it takes Junk 2 without asking.
  assert.equal((await anonymous('Junk 2', second)).statusCode, 202);

  const res = await admin('DELETE', `/event-names/${encodeURIComponent('Junk 2')}`);
  assert.equal(res.statusCode, 204, res.body);
  assert.equal((await admin('DELETE', '/event-names/Junk%202')).statusCode, 404);
  assert.ok(!(await registered()).includes('Junk 2: public'));
  await t.drained();
  const stored = await sql(
    t.databaseUrl,
    "select count(*)::int as n from events where name = 'Junk 2'",
  );
  assert.equal(stored[0]!.n, 2, 'the events stored under the name stay');

  // The room it freed is taken by the next public name (on this replica at once), after which
  // the registry is full again.
  assert.equal((await anonymous('Checkout Started')).statusCode, 202);
  assertRefused(await anonymous('Junk 8'), 'event', /EVENT_NAMES_MAX = 6/);

  // The second replica re-reads the registry (EVENT_NAMES_REFRESH_MS): Junk 2 is no longer
  // known there, so it is a new name, refused from the full registry.
  const deadline = Date.now() + 5000;
  for (;;) {
    const junk = await anonymous('Junk 2', second);
    if (junk.statusCode === 400) {
      assertRefused(junk, 'event', /EVENT_NAMES_MAX = 6/);
      break;
    }
    assert.equal(junk.statusCode, 202, junk.body);
    assert.ok(Date.now() < deadline, 'the second replica never forgot the deleted name');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // And it knows the name registered since on the first.
  assert.equal((await anonymous('Checkout Started', second)).statusCode, 202);
  // A fixed name is never registered: nothing to delete.
  assert.equal((await admin('DELETE', '/event-names/page')).statusCode, 404);
});

test('an admin vouches for names: registered from the trusted budget ahead of the pages, or moved out of the public share', async () => {
  // Registered: Invoice Paid, Order Completed, Plan Upgraded (trusted); Junk 1, Junk 3,
  // Checkout Started (public). The registry is full.
  const full = await admin('PUT', '/event-names/Pricing%20Viewed');
  assertRefused(full, 'name', /EVENT_NAMES_MAX = 6/);

  // Junk 1 is moved to the trusted budget (a name of unknown origin would be too).
  const moved = await admin('PUT', '/event-names/Junk%201');
  assert.equal(moved.statusCode, 200, moved.body);
  assert.deepEqual(
    { ...(moved.json() as object), first_seen: undefined },
    { name: 'Junk 1', registered_by: 'trusted', first_seen: undefined },
  );
  assert.equal((await admin('DELETE', '/event-names/Junk%203')).statusCode, 204);
  // A name of unknown origin (registered before the budgets) counts as public.
  await sql(
    t.databaseUrl,
    "update event_names set registered_by = null where name = 'Checkout Started'",
  );
  const listed = async (budget: string) => {
    const res = await admin('GET', `/event-names?registered_by=${budget}`);
    assert.equal(res.statusCode, 200, res.body);
    const page = res.json() as { items: { name: string; registered_by: string | null }[] };
    return [page.items.map((n) => `${n.name}: ${n.registered_by}`), res.json()] as const;
  };
  const [publicNames, counts] = await listed('public');
  assert.deepEqual(publicNames, ['Checkout Started: null']);
  assert.deepEqual(
    [(counts as { registered: number }).registered, (counts as { public: number }).public],
    [5, 1],
  );
  assert.deepEqual((await listed('trusted'))[0], [
    'Invoice Paid: trusted',
    'Junk 1: trusted',
    'Order Completed: trusted',
    'Plan Upgraded: trusted',
  ]);

  // Names no client sends, or always allowed, would only take room (the
  // registry has room for one now).
  for (const name of ['user.registered', 'Post.created', 'page', 'identify']) {
    const res = await admin('PUT', `/event-names/${name}`);
    assert.equal(res.statusCode, 400, `${name}: ${res.body}`);
    assert.deepEqual(
      (res.json() as Problem).errors.map((e) => e.field),
      ['name'],
    );
  }
  // A feature's name registered ahead of its release passes for the pages at once.
  const ahead = await admin('PUT', '/event-names/Pricing%20Viewed');
  assert.equal(ahead.statusCode, 200, ahead.body);
  assert.equal((await anonymous('Pricing Viewed')).statusCode, 202);
  const again = await admin('PUT', '/event-names/Pricing%20Viewed');
  assert.equal(again.statusCode, 200, again.body);
  assert.deepEqual(again.json(), ahead.json(), 'vouching again changes nothing');
});

test('the registry routes are for admins: 401 without a token, 403 without the permission', async () => {
  const user = await t.user();
  const reader = await t.issuer.token({ roles: ['analyst'], permissions: ['analytics:read'] });
  for (const [method, url] of [
    ['GET', '/event-names'],
    ['PUT', '/event-names/Junk%209'],
    ['DELETE', '/event-names/Junk%201'],
  ] as const) {
    const none = await t.app.inject({ method, url: `${base}${url}` });
    assert.equal(none.statusCode, 401, `${method} ${url}`);
    const plain = await admin(method, url, user.accessToken);
    assert.equal(plain.statusCode, 403, `${method} ${url}`);
    assert.equal((plain.json() as Problem).code, 'forbidden');
  }
  assert.equal((await admin('GET', '/event-names', reader.accessToken)).statusCode, 200);
  for (const method of ['PUT', 'DELETE'] as const) {
    const notManager = await admin(method, '/event-names/Junk%201', reader.accessToken);
    assert.equal(notManager.statusCode, 403, notManager.body);
  }
  assert.ok((await registered()).includes('Junk 1: trusted'));
  assert.ok(!(await registered()).includes('Junk 9: trusted'));
});

test('hostile names and cursors on the registry routes are 400s or 404s, never a 5xx', async () => {
  const hostile = [
    '%00',
    'Junk%001',
    `${'a'.repeat(201)}`,
    '%ZZ',
    '%E0%A4%A',
    '%C0%AF',
    '%ED%A0%80',
    'back%5Cslash',
    '%0A',
    '%7F',
  ];
  for (const name of hostile) {
    for (const method of ['PUT', 'DELETE'] as const) {
      const res = await admin(method, `/event-names/${name}`);
      assert.equal(res.statusCode, 400, `${method} ${name}: ${res.body}`);
      assert.ok((res.json() as Problem).code, res.body);
    }
  }
  // Well-formed but not registered: 404; a slash encoded is part of the name.
  for (const name of ['checkout%2Fstep%201', '..%2F..%2Fetc', '%F0%9F%98%80']) {
    const res = await admin('DELETE', `/event-names/${name}`);
    assert.equal(res.statusCode, 404, `${name}: ${res.body}`);
  }
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  for (const cursor of [
    '%00',
    'a'.repeat(201),
    '%ZZ',
    'x%0Ay',
    // A name as the cursor used to be, and cursors of another shape.
    'Junk%202',
    'Junk2',
    b64(['name', 'a\\b']),
    b64(['name', 7]),
    b64('Junk 2'),
    // Forged: what no registered name holds, other shapes, deep, and bytes that are no UTF-8.
    b64(['name', '\ud800']),
    b64(['name', 'a\u0000b']),
    b64(['name', '']),
    b64(['name', 'x'.repeat(201)]),
    b64(['name', 'Junk 2', 'more']),
    b64({ 0: 'name', 1: 'Junk 2' }),
    b64(['NAME', 'Junk 2']),
    Buffer.from(`${'['.repeat(500)}${']'.repeat(500)}`).toString('base64url'),
    Buffer.concat([
      Buffer.from('["name","'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"]'),
    ]).toString('base64url'),
    `${b64(['name', 'Junk 2'])}=`,
    // The same position written otherwise than a page writes it: spaced JSON, other low bits.
    Buffer.from('[ "name", "Junk 2" ]').toString('base64url'),
    `${b64(['name', 'Junk 2']).slice(0, -1)}${b64(['name', 'Junk 2']).endsWith('0') ? '1' : '0'}`,
  ]) {
    const res = await admin('GET', `/event-names?cursor=${cursor}`);
    assert.equal(res.statusCode, 400, `${cursor}: ${res.body}`);
    assert.equal((res.json() as { errors: { field: string }[] }).errors[0]!.field, 'cursor');
  }
  for (const budget of ['none', 'TRUSTED', '%00']) {
    const res = await admin('GET', `/event-names?registered_by=${budget}`);
    assert.equal(res.statusCode, 400, `${budget}: ${res.body}`);
  }
  for (const limit of ['0', '1001', '-1', '1e3', 'x']) {
    const res = await admin('GET', `/event-names?limit=${limit}`);
    assert.equal(res.statusCode, 400, `${limit}: ${res.body}`);
  }
  assert.deepEqual(await registered(), [
    'Checkout Started: null',
    'Invoice Paid: trusted',
    'Junk 1: trusted',
    'Order Completed: trusted',
    'Plan Upgraded: trusted',
    'Pricing Viewed: trusted',
  ]);
});

test('EVENT_NAMES_PUBLIC_MAX is half of EVENT_NAMES_MAX unless set, and never more than it', () => {
  const env = { DATABASE_URL: t.databaseUrl, SERVICE_TOKEN: t.config.SERVICE_TOKEN };
  assert.equal(readConfig(env).EVENT_NAMES_PUBLIC_MAX, 500);
  assert.equal(readConfig({ ...env, EVENT_NAMES_MAX: '9' }).EVENT_NAMES_PUBLIC_MAX, 4);
  assert.equal(readConfig({ ...env, EVENT_NAMES_PUBLIC_MAX: '0' }).EVENT_NAMES_PUBLIC_MAX, 0);
  assert.throws(
    () => readConfig({ ...env, EVENT_NAMES_MAX: '9', EVENT_NAMES_PUBLIC_MAX: '10' }),
    (error) =>
      error instanceof ConfigError && /EVENT_NAMES_PUBLIC_MAX is invalid/.test(error.message),
  );
});

test('names registered before the budgets (migration 0017) count as public: the trusted room stays', async () => {
  const db = await createTestDatabase();
  after(() => db.drop());
  await migrateBefore(db.url, path.resolve(import.meta.dirname, '../drizzle'), '0017');
  // Four names of unknown origin: junk or not, nobody can tell.
  await sql(
    db.url,
    "insert into event_names (name) values ('Old 1'), ('Old 2'), ('Old 3'), ('Old 4')",
  );
  const database = await openDatabase(db.url);
  after(() => database.close());
  const rows = await sql(db.url, 'select registered_by from event_names');
  assert.deepEqual(
    rows.map((r) => r.registered_by),
    [null, null, null, null],
  );
  const names = createEventNames({ db: database.db, max: 8, publicMax: 4 });
  await names.load();
  assert.ok(names.has('Old 1'));
  // The public share is spent by them; the trusted room is whole.
  assert.deepEqual([...(await names.register(['Page Name'], 'public'))], ['Page Name']);
  assert.equal(
    (await names.register(['Backend 1', 'Backend 2', 'Backend 3', 'Backend 4'], 'trusted')).size,
    0,
  );
  assert.deepEqual([...(await names.register(['Backend 5'], 'trusted'))], ['Backend 5']);
});

test('replicas registering public names at once never pass the public share together', async () => {
  const db = await createTestDatabase({
    migrations: path.resolve(import.meta.dirname, '../drizzle'),
  });
  after(() => db.drop());
  const replicas = await Promise.all([0, 1, 2].map(() => openDatabase(db.url)));
  try {
    const registries = replicas.map((r) => createEventNames({ db: r.db, max: 50, publicMax: 20 }));
    await Promise.all(
      registries.map((names, r) =>
        names.register(
          Array.from({ length: 7 }, (_, i) => `replica ${r} name ${i}`),
          'public',
        ),
      ),
    );
    const [count] = await sql(
      db.url,
      "select count(*)::int as n, count(*) filter (where registered_by = 'public')::int as p from event_names",
    );
    // Each request fits alone; two of them fill 14 of the 20, the third's 7 do not fit at all.
    assert.deepEqual([count!.n, count!.p], [14, 14]);
    // Trusted names still have the rest.
    assert.equal(
      (
        await registries[0]!.register(
          Array.from({ length: 36 }, (_, i) => `server ${i}`),
          'trusted',
        )
      ).size,
      0,
    );
  } finally {
    for (const replica of replicas) await replica.close();
  }
});

test('a request refused for one new name registers none of its others: the room stays for requests that fit', async () => {
  const db = await createTestDatabase({
    migrations: path.resolve(import.meta.dirname, '../drizzle'),
  });
  after(() => db.drop());
  const replica = await openDatabase(db.url);
  try {
    const names = createEventNames({ db: replica.db, max: 6, publicMax: 3 });
    const names2 = () =>
      sql(db.url, 'select name from event_names order by name').then((r) => r.map((x) => x.name));
    const field = (i: number) => `batch.${i}.event`;
    // The public share (3) has room for two: a page's batch bringing three new names is refused
    // whole — each new name named — and none of them takes a room.
    assert.deepEqual(await names.admit(['Seen'], field, 'public'), []);
    const refused = await names.admit(['Seen', 'Junk A', 'Junk B', 'Junk C'], field, 'public');
    assert.deepEqual(
      refused.map((e) => e.field),
      ['batch.1.event', 'batch.2.event', 'batch.3.event'],
    );
    assert.deepEqual(await names2(), ['Seen']);
    assert.deepEqual(await names.admit(['Real 1', 'Real 2'], field, 'public'), []);
    // A server key's batch of four new names with room for three: the same, and its refusal
    // leaves the trusted room whole, for the backend's next request that fits.
    assert.equal((await names.admit(['T1', 'T2', 'T3', 'T4'], field, 'trusted')).length, 4);
    assert.deepEqual(await names2(), ['Real 1', 'Real 2', 'Seen']);
    assert.deepEqual(await names.admit(['T1', 'T2', 'T3'], field, 'trusted'), []);
    assert.deepEqual(await names2(), ['Real 1', 'Real 2', 'Seen', 'T1', 'T2', 'T3']);
  } finally {
    await replica.close();
  }
});

test('an admin can delete and vouch for any name a sender could register, 200 emoji long included', async () => {
  // Segment's names are up to 200 characters (code points); an emoji is two UTF-16 units, which
  // the router counted against its limit of path parameters: a browser key's junk of 101–200
  // emoji was registered but could not be deleted through the API.
  const u = await buildTestAnalytics({ EVENT_NAMES_MAX: '4', EVENT_NAMES_PUBLIC_MAX: '2' });
  const created = await u.app.inject({
    method: 'POST',
    url: `${base}/write-keys`,
    headers: bearer(u.adminToken),
    payload: { name: 'page', kind: 'browser', origins: [SHOP] },
  });
  const pageKey = `Basic ${Buffer.from(`${(created.json() as { key: string }).key}:`).toString('base64')}`;
  const junk = ['😀'.repeat(200), `${'🎉'.repeat(150)}x`];
  for (const event of junk) {
    const res = await u.app.inject({
      method: 'POST',
      url: `${base}/t`,
      headers: { authorization: pageKey, origin: SHOP, 'content-type': 'text/plain' },
      payload: JSON.stringify({ anonymousId: 'a1', event }),
    });
    assert.equal(res.statusCode, 200, res.body);
  }
  const at = (name: string) => `${base}/event-names/${encodeURIComponent(name)}`;
  const vouched = await u.app.inject({
    method: 'PUT',
    url: at(junk[1]!),
    headers: bearer(u.adminToken),
  });
  assert.equal(vouched.statusCode, 200, vouched.body);
  assert.equal((vouched.json() as { registered_by: string }).registered_by, 'trusted');
  for (const name of junk) {
    const res = await u.app.inject({
      method: 'DELETE',
      url: at(name),
      headers: bearer(u.adminToken),
    });
    assert.equal(res.statusCode, 204, res.body);
  }
  assert.deepEqual(await sql(u.databaseUrl, 'select name from event_names'), []);
  // One character more is still the route's 400, naming the name.
  const over = await u.app.inject({
    method: 'DELETE',
    url: at('😀'.repeat(201)),
    headers: bearer(u.adminToken),
  });
  assert.equal(over.statusCode, 400, over.body);
  assert.deepEqual(
    (over.json() as Problem).errors.map((e) => e.field),
    ['name'],
  );
});

test('vouching for a name another replica deleted registers it again, not a 400 of a full registry', async () => {
  const db = await createTestDatabase({
    migrations: path.resolve(import.meta.dirname, '../drizzle'),
  });
  after(() => db.drop());
  const replicas = await Promise.all([0, 1].map(() => openDatabase(db.url)));
  try {
    const [one, two] = replicas.map((r) => createEventNames({ db: r.db, max: 10, publicMax: 5 }));
    assert.equal((await one!.register(['Checkout Started'], 'public')).size, 0);
    assert.equal((await two!.register(['Checkout Started'], 'public')).size, 0);
    // Deleted on the first; the second still knows it until its next reload.
    assert.equal(await one!.delete('Checkout Started'), true);
    const row = await two!.vouch('Checkout Started');
    assert.equal(row?.registeredBy, 'trusted');
    assert.deepEqual(await sql(db.url, 'select name, registered_by from event_names'), [
      { name: 'Checkout Started', registered_by: 'trusted' },
    ]);
  } finally {
    for (const replica of replicas) await replica.close();
  }
});

test('a batch over its budget’s room is refused without asking again for a while, like a full share', async () => {
  const db = await createTestDatabase({
    migrations: path.resolve(import.meta.dirname, '../drizzle'),
  });
  after(() => db.drop());
  const replica = await openDatabase(db.url);
  try {
    // Registrations are transactions: counted, to see which requests reached PostgreSQL.
    let asked = 0;
    const counted = new Proxy(replica.db, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'transaction') return value;
        return (...args: unknown[]) => {
          asked += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    let now = 1_000_000;
    const names = createEventNames({ db: counted, max: 10, publicMax: 3, now: () => now });
    const batch = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} ${i}`);
    // The share has room for three: four new names are refused, and so is every batch of four
    // or more that follows, without a statement each — the lock stays free for the others.
    assert.equal((await names.register(batch(4, 'a'), 'public')).size, 4);
    assert.equal(asked, 1);
    for (let i = 0; i < 20; i += 1) {
      assert.equal((await names.register(batch(4, `b${i}`), 'public')).size, 4);
    }
    assert.equal(asked, 1);
    // What fits is still asked for, and the server key's budget is not held back by it.
    assert.equal((await names.register(batch(2, 'fits'), 'public')).size, 0);
    assert.equal((await names.register(batch(6, 'server'), 'trusted')).size, 0);
    assert.equal(asked, 3);
    // After the pause the registry is asked again.
    assert.equal((await names.register(batch(2, 'c'), 'public')).size, 2);
    assert.equal(asked, 4);
    now += 6000;
    assert.equal((await names.register(batch(2, 'd'), 'public')).size, 2);
    assert.equal(asked, 5);
  } finally {
    await replica.close();
  }
});

test('while PostgreSQL hangs, periodic reloads do not queue up behind each other', async () => {
  let release: (rows: unknown[]) => void = () => {};
  const hanging = new Promise<unknown[]>((resolve) => {
    release = resolve;
  });
  let reads = 0;
  const db = {
    select: () => ({
      from: () => {
        reads += 1;
        return hanging;
      },
    }),
  } as unknown as Parameters<typeof createEventNames>[0]['db'];
  const names = createEventNames({ db, max: 10, publicMax: 5 });
  const errors: unknown[] = [];
  names.start(10, (error) => errors.push(error));
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    names.stop();
    release([{ name: 'Known', registeredBy: 'trusted' }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The hanging read alone: none queued behind it, one per tick, to run once it answers.
    assert.equal(reads, 1);
    assert.equal(names.has('Known'), true);
    assert.deepEqual(errors, []);
  } finally {
    names.stop();
  }
});
