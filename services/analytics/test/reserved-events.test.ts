import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestAnalytics, serviceHeaders, sql } from './helper.ts';

const t = await buildTestAnalytics();
const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();

const track = (payload: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/analytics/v1/track-event', headers, payload });

async function signups(): Promise<number> {
  const res = await t.app.inject({
    url: '/analytics/v1/reports?type=signups',
    headers: bearer(t.adminToken),
  });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json().rows as { signups: number }[]).reduce((n, r) => n + r.signups, 0);
}

test('a client cannot forge sign-ups: service event names are refused, with the field named', async () => {
  const forged = {
    events: [
      { event: 'page.viewed' },
      { event: 'button.clicked' },
      { event: 'page.viewed' },
      ...[1, 2, 3].map((n) => ({ event: 'user.registered', timestamp: daysAgo(n) })),
    ],
  };
  const res = await track(forged);
  assert.equal(res.statusCode, 400, res.body);
  assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
  assert.deepEqual(
    (res.json().errors as { field: string }[]).map((e) => e.field),
    ['events.3.event', 'events.4.event', 'events.5.event'],
  );
  assert.deepEqual(await sql(t.databaseUrl, 'select seq from queue'), []);
  await t.drained();
  assert.equal(await signups(), 0);
});

for (const event of ['post.created', 'user.logged_in', 'User.Registered', 'POST.deleted']) {
  test(`a signed-in client sending ${event} gets 400 naming the event`, async () => {
    const user = await t.user();
    const res = await track({ event }, bearer(user.accessToken));
    assert.equal(res.statusCode, 400, res.body);
    assert.deepEqual(
      (res.json().errors as { field: string }[]).map((e) => e.field),
      ['event'],
    );
  });
}

test('names that only begin like a service namespace are the client’s own', async () => {
  const events = [
    'users.invited',
    'user_profile.viewed',
    'postcard.sent',
    'user',
    'a.user.registered',
  ];
  const res = await track({ events: events.map((event) => ({ event })) });
  assert.equal(res.statusCode, 202, res.body);
});

test('domain events from services still count: the sign-ups report sees real registrations', async () => {
  const before = await signups();
  const res = await t.app.inject({
    method: 'POST',
    url: '/internal/events',
    headers: serviceHeaders,
    payload: {
      events: [
        {
          id: 'auth:501',
          type: 'user.registered',
          occurred_at: daysAgo(1),
          user_id: 'u-501',
          payload: {},
        },
        {
          id: 'auth:502',
          type: 'user.registered',
          occurred_at: daysAgo(0),
          user_id: 'u-502',
          payload: {},
        },
      ],
    },
  });
  assert.equal(res.statusCode, 202, res.body);
  await t.drained();
  assert.equal(await signups(), before + 2);
});
