import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { DomainError } from '@platform/http';
import { createTestDatabase, migrateBefore } from '@platform/testing';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { type Db, openDatabase } from '../src/db/index.ts';
import { createEventNames, FULL_RECHECK_MS } from '../src/event-names/registry.ts';
import { registerEventNames } from '../src/event-names/repository.ts';
import { bearer, buildTestAnalytics, serviceHeaders, sql } from './helper.ts';

// On InfluxDB an event's name is a tag: every name a client makes up would be a new series, and
// a full series limit refuses real events. Client names are capped by EVENT_NAMES_MAX. Here
// public senders may take the whole registry (one budget); event-name-budgets.test.ts splits it.
const t = await buildTestAnalytics({ EVENT_NAMES_MAX: '5', EVENT_NAMES_PUBLIC_MAX: '5' });
const base = '/analytics/v1';

// A second replica on the same database, started before any name was registered.
const secondDatabase = await openDatabase(t.databaseUrl);
const second = await buildApp({ config: t.config, database: secondDatabase });
await second.ready();
let secondClosed: Promise<void> | undefined;
// Before the test database is dropped (the helper's own `after` runs first).
const closeSecond = () => {
  secondClosed ??= second.close().then(() => secondDatabase.close());
  return secondClosed;
};
after(closeSecond);

const track = (payload: object, headers: Record<string, string> = {}, app = t.app) =>
  app.inject({ method: 'POST', url: `${base}/track-event`, headers, payload });
const batchOf = (...names: string[]) => ({ events: names.map((event) => ({ event })) });
const fields = (res: { json(): unknown }) =>
  ((res.json() as { errors: { field: string }[] }).errors ?? []).map((e) => e.field);
const registered = async () =>
  (await sql(t.databaseUrl, 'select name from event_names order by name')).map((r) => r.name);
const storedNames = async () => {
  await t.drained();
  return (await sql(t.databaseUrl, 'select distinct name from events order by name')).map(
    (r) => r.name,
  );
};

async function writeKey(): Promise<Record<string, string>> {
  const res = await t.app.inject({
    method: 'POST',
    url: `${base}/write-keys`,
    headers: bearer(t.adminToken),
    payload: { name: 'backend' },
  });
  assert.equal(res.statusCode, 201, res.body);
  const key = (res.json() as { key: string }).key;
  return { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` };
}
const segment = (url: string, headers: Record<string, string>, payload: object) =>
  t.app.inject({ method: 'POST', url: `${base}${url}`, headers, payload });

function assertFull(res: { statusCode: number; body: string; json(): unknown }, field: string) {
  assert.equal(res.statusCode, 400, res.body);
  const problem = res.json() as { errors: { field: string; message: string }[] };
  assert.deepEqual(fields(res), [field]);
  assert.match(problem.errors[0]!.message, /registry of event names is full \(EVENT_NAMES_MAX/);
}

test('the batch bringing the 6th event name is refused, naming the field, and nothing of it is kept', async () => {
  const user = await t.user();
  assert.equal((await track(batchOf('A1', 'A2', 'A1', 'A3', 'A4'))).statusCode, 202);
  assert.equal((await track({ event: 'A5' }, bearer(user.accessToken))).statusCode, 202);
  assert.deepEqual(await registered(), ['A1', 'A2', 'A3', 'A4', 'A5']);

  const refused = await track(batchOf('A1', 'A2', 'Junk 6', 'A3'), bearer(user.accessToken));
  assertFull(refused, 'events.2.event');
  assertFull(await track({ event: 'Junk 7' }), 'event');
  assert.deepEqual(await storedNames(), ['A1', 'A2', 'A3', 'A4', 'A5']);
  assert.equal((await sql(t.databaseUrl, 'select count(*)::int as n from events'))[0]!.n, 6);
  assert.deepEqual(await registered(), ['A1', 'A2', 'A3', 'A4', 'A5']);

  // Names already registered keep being accepted, one or many.
  assert.equal((await track({ event: 'A3' }, bearer(user.accessToken))).statusCode, 202);
  assert.equal((await track(batchOf('A5', 'A4', 'A3', 'A2', 'A1'))).statusCode, 202);
  await t.drained();
  assert.equal((await sql(t.databaseUrl, 'select count(*)::int as n from events'))[0]!.n, 12);
});

test('Segment messages are held to the same registry; its fixed names need no registration', async () => {
  const key = await writeKey();
  assert.equal(
    (await segment('/track', key, { userId: 'u1', event: 'A2' })).statusCode,
    200,
    'a registered name',
  );
  assertFull(await segment('/track', key, { userId: 'u1', event: 'Order Completed' }), 'event');
  const withJunk = await segment('/batch', key, {
    batch: [
      { type: 'track', userId: 'u1', event: 'A4' },
      { type: 'page', userId: 'u1', name: 'Home' },
      { type: 'track', userId: 'u1', event: 'Junk 8' },
    ],
  });
  assertFull(withJunk, 'batch.2.event');
  const fixed = await segment('/batch', key, {
    batch: [
      { type: 'track', userId: 'u2', event: 'A4' },
      { type: 'page', userId: 'u2', name: 'Home' },
      { type: 'screen', userId: 'u2', name: 'Settings' },
      { type: 'identify', userId: 'u2', anonymousId: 'anon-2', traits: { plan: 'pro' } },
      { type: 'group', userId: 'u2', groupId: 'g1' },
      { type: 'alias', userId: 'u2', previousId: 'anon-3' },
    ],
  });
  assert.equal(fixed.statusCode, 200, fixed.body);
  assert.deepEqual(await registered(), ['A1', 'A2', 'A3', 'A4', 'A5']);
  assert.deepEqual(await storedNames(), [
    'A1',
    'A2',
    'A3',
    'A4',
    'A5',
    'alias',
    'group',
    'identify',
    'page',
    'screen',
  ]);
  // Of the batch with junk, only the message bearing the refused name is left out: its others
  // (a registered name, a page view) are stored, as Segment's clients drop a refused batch whole.
  const u1 = await sql(t.databaseUrl, "select name from events where user_id = 'u1'");
  assert.deepEqual(u1.map((r) => r.name).sort(), ['A2', 'A4', 'page']);
});

test('replicas share the registry: a name registered by one is accepted by the other at the cap', async () => {
  // The second replica learnt no name at its start (none was registered then).
  const refused = await track({ event: 'Junk 9' }, {}, second);
  assertFull(refused, 'event');
  for (const name of ['A1', 'A4']) {
    const res = await track({ event: name }, {}, second);
    assert.equal(res.statusCode, 202, res.body);
  }
  const metrics = await second.inject({ url: '/metrics' });
  assert.match(metrics.body, /^analytics_event_names\{[^}]*\} 5$/m);
  await closeSecond();
});

test('events the services emit are trusted: no registration, even when the registry is full', async () => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/internal/events',
    headers: serviceHeaders,
    payload: {
      events: ['user.registered', 'post.created', 'invoice.paid'].map((type, i) => ({
        id: `auth:${900 + i}`,
        type,
        occurred_at: new Date().toISOString(),
        user_id: 'u-9',
        payload: {},
      })),
    },
  });
  assert.equal(res.statusCode, 202, res.body);
  const names = await storedNames();
  for (const name of ['user.registered', 'post.created', 'invoice.paid']) {
    assert.ok(names.includes(name), name);
  }
  assert.deepEqual(await registered(), ['A1', 'A2', 'A3', 'A4', 'A5']);
});

test('the registry and its refusals show in the metrics', async () => {
  const metrics = await t.app.inject({ url: '/metrics' });
  assert.match(metrics.body, /^analytics_event_names\{[^}]*\} 5$/m);
  const refused = (budget: string) =>
    new RegExp(
      `^analytics_event_names_refused_total\\{budget="${budget}"[^}]*\\} (\\d+)$`,
      'm',
    ).exec(metrics.body)?.[1];
  // Junk 6, Junk 7 from /track-event; Order Completed, Junk 8 from a server key.
  assert.equal(refused('public'), '2', metrics.body);
  assert.equal(refused('trusted'), '2', metrics.body);
});

test('a full registry is asked again only every few seconds; names freed by the operator are taken then', async () => {
  // A replica's registry whose registrations (one transaction each) are counted, on the shared,
  // full registry.
  let statements = 0;
  const db = t.database.db;
  const counted = new Proxy(db, {
    get: (target, key) =>
      key === 'execute' || key === 'transaction'
        ? (...args: unknown[]) => {
            statements += 1;
            return (target[key] as (...a: unknown[]) => unknown).apply(target, args);
          }
        : Reflect.get(target, key),
  }) as Db;
  let now = 1_000_000;
  const names = createEventNames({ db: counted, max: 5, now: () => now });
  assert.deepEqual([...(await names.register(['Junk 10'], 'public'))], ['Junk 10']);
  assert.equal(statements, 1);
  // It learnt every registered name with that answer, and refuses new ones without asking.
  for (const name of ['A1', 'A2', 'A3', 'A4', 'A5', 'page']) assert.ok(names.has(name), name);
  assert.ok(!names.has('Junk 10'));
  for (let i = 0; i < 20; i += 1) {
    assert.equal((await names.register([`Junk ${11 + i}`, 'New'], 'public')).size, 2);
  }
  assert.equal(statements, 1);

  // The operator removes an unused name: after the re-check interval a new name takes its place.
  await sql(t.databaseUrl, "delete from event_names where name = 'A5'");
  now += FULL_RECHECK_MS - 1;
  assert.equal((await names.register(['New'], 'public')).size, 1);
  assert.equal(statements, 1);
  now += 1;
  assert.equal((await names.register(['New'], 'public')).size, 0);
  assert.equal(statements, 2);
  assert.ok(names.has('New'));
  assert.deepEqual(await registered(), ['A1', 'A2', 'A3', 'A4', 'New']);
});

test('the migration registers the names clients already sent', async () => {
  const db = await createTestDatabase();
  after(() => db.drop());
  const migrations = path.resolve(import.meta.dirname, '../drizzle');
  await migrateBefore(db.url, migrations, '0011');
  await sql(
    db.url,
    `insert into events (seq, event_id, name, source, properties, occurred_at) values
       (1, 'e1', 'Checkout Completed', 'client', '{}', '2026-11-01T10:00:00Z'),
       (2, 'e2', 'Checkout Completed', 'segment', '{}', '2026-10-01T10:00:00Z'),
       (3, 'e3', 'Order Completed', 'segment', '{}', '2026-11-02T10:00:00Z'),
       (4, 'e4', 'page', 'segment', '{}', '2026-11-02T10:00:00Z'),
       (5, 'e5', 'user.registered', 'auth', '{}', '2026-11-02T10:00:00Z')`,
  );
  const database = await openDatabase(db.url);
  after(() => database.close());
  const rows = await sql(db.url, 'select name, first_seen from event_names order by name');
  assert.deepEqual(
    rows.map((r) => [r.name, (r.first_seen as Date).toISOString()]),
    [
      ['Checkout Completed', '2026-10-01T10:00:00.000Z'],
      ['Order Completed', '2026-11-02T10:00:00.000Z'],
    ],
  );
});

test('replicas registering at once never pass the cap together', async () => {
  const db = await createTestDatabase({
    migrations: path.resolve(import.meta.dirname, '../drizzle'),
  });
  const replicas = await Promise.all([0, 1, 2].map(() => openDatabase(db.url)));
  // Inserts into event_names wait behind this lock (a count does not), so the three
  // registrations below are surely in flight together when it is released.
  const blocker = new pg.Client({ connectionString: db.url });
  await blocker.connect();
  try {
    await blocker.query('begin');
    await blocker.query('lock table event_names in share row exclusive mode');
    // Three replicas, each bringing 20 names of its own at the same moment, against a cap of 50:
    // each would fit alone, all three do not (a request's names are registered all or none).
    // A replica that waited out the registry lock's 2 s (a loaded machine) is told to retry, and
    // does, as its client would: the cap must hold either way.
    const register = async (replica: (typeof replicas)[number], r: number) => {
      const names = Array.from({ length: 20 }, (_, i) => `replica ${r} name ${i}`);
      for (;;) {
        try {
          return await registerEventNames(replica.db, names, { max: 50, publicMax: 50 }, 'trusted');
        } catch (error) {
          if (!(error instanceof DomainError && error.code === 'service_unavailable')) throw error;
        }
      }
    };
    const registrations = replicas.map(register);
    for (let waited = 0; ; waited += 20) {
      const { rows } = await blocker.query(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
      );
      if (rows[0].n >= 3 || waited > 1500) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await blocker.query('commit');
    const results = await Promise.all(registrations);
    const count = (await sql(db.url, 'select count(*)::int as n from event_names'))[0]!.n;
    assert.equal(count, 40);
    assert.equal(
      results.reduce((sum, r) => sum + r.admitted.length, 0),
      40,
    );
  } finally {
    await blocker.end();
    for (const replica of replicas) await replica.close();
  }
});

test('a registration that cannot get the registry lock is a 503 to retry, not a wait and a 500', async () => {
  const db = await createTestDatabase({
    migrations: path.resolve(import.meta.dirname, '../drizzle'),
  });
  const replica = await openDatabase(db.url);
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  try {
    await holder.query('begin');
    await holder.query('select pg_advisory_xact_lock($1)', [0x65766e74]);
    await assert.rejects(
      registerEventNames(replica.db, ['Waits For The Lock'], { max: 50, publicMax: 50 }, 'trusted'),
      (error) => {
        assert.ok(error instanceof DomainError);
        assert.equal(error.code, 'service_unavailable');
        assert.equal(error.options.retryAfterSeconds, 2);
        return true;
      },
    );
    await holder.query('rollback');
  } finally {
    await holder.end();
    await replica.close();
  }
});
