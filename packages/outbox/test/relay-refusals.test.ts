import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { outboxDatabase, type SentEvent, startRelay, subscriber, until } from './helpers.ts';

const pool = await outboxDatabase();

/** Inserts events of these types (payloads `{n, …extra}`), returning their ids as relayed. */
async function insert(events: { type: string; poison?: boolean }[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [n, e] of events.entries()) {
    const { rows } = await pool.query<{ id: string }>(
      'insert into outbox (type, payload) values ($1, $2) returning id::text as id',
      [e.type, { n, ...(e.poison ? { poison: true } : {}) }],
    );
    ids.push(`auth:${rows[0]!.id}`);
  }
  return ids;
}

const row = async (id: string) =>
  (
    await pool.query(
      `select published_at, set_aside_at, failure, refusals, first_refused_at, retry_at,
              delivered_to,
              extract(epoch from set_aside_at - first_refused_at) * 1000 as refused_for_ms
         from outbox where id = $1`,
      [id.split(':')[1]],
    )
  ).rows[0];

/**
 * A load balancer in front of a subscriber mid-deploy: round robin over an old replica and a new
 * one, until the old one is replaced after `requests` requests (the deploy ends).
 */
async function rollingDeploy(old: { url: string }, next: { url: string }, deployFor: number) {
  const replicas = [old, next];
  let requests = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', async () => {
      const replica = replicas[requests % replicas.length]!;
      requests += 1;
      if (requests === deployFor) replicas[0] = next;
      const answer = await fetch(`${replica.url}${req.url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('mid-deploy, a type the old replicas refuse and the new ones take is delivered; nothing is set aside', async () => {
  // The old version does not know `user.renamed` yet: its schema refuses a batch holding one.
  const knowsRenamed = (events: SentEvent[]) =>
    events.some((e) => e.type === 'user.renamed') ? 422 : 202;
  const old = await subscriber(knowsRenamed);
  const next = await subscriber(() => 202);
  const url = await rollingDeploy(old, next, 40);
  const ids = await insert(
    Array.from({ length: 8 }, (_, i) => ({ type: i % 2 ? 'user.renamed' : 'user.registered' })),
  );
  // The policy as deployed (5 refusals over 5 minutes).
  const relay = startRelay({
    pool,
    subscribers: [{ name: 'analytics', types: ['*'], url }],
  });
  await until(async () => (await row(ids.at(-1)!)).published_at !== null);
  await until(async () => {
    const { rows } = await pool.query('select 1 from outbox where published_at is null');
    return rows.length === 0;
  });
  await relay.close();

  // An old replica did refuse `user.renamed` events alone: before, they were set aside there.
  const refusedAlone = old.batches.filter((b) => b.status === 422 && b.ids.length === 1);
  assert.ok(refusedAlone.length > 0, JSON.stringify(old.batches));
  assert.deepEqual([...old.received, ...next.received].sort(), [...ids].sort());
  const { rows } = await pool.query(
    `select count(*) filter (where set_aside_at is not null)::int as aside,
            count(*) filter (where refusals > 0 or first_refused_at is not null
              or retry_at is not null or failure is not null)::int as refused
       from outbox`,
  );
  assert.deepEqual(rows[0], { aside: 0, refused: 0 });
});

test('events every replica refuses every time are set aside after N refusals over T; the rest go on', async () => {
  const analytics = await subscriber((events) =>
    events.some((e) => e.payload.poison) ? 422 : 202,
  );
  // Two, so that their retries, with nothing else, are batches refused whole.
  const [a, poisoned, other, b] = await insert([
    { type: 'user.registered' },
    { type: 'user.registered', poison: true },
    { type: 'user.registered', poison: true },
    { type: 'user.registered' },
  ]);
  const relay = startRelay({
    pool,
    subscribers: [{ name: 'analytics', types: ['*'], url: analytics.url }],
    setAsideAfterRefusals: 3,
    setAsideAfterMs: 1000,
  });
  await until(() => analytics.received.length >= 2);
  const [c] = await insert([{ type: 'user.logged_in' }]);
  for (const id of [poisoned!, other!]) {
    await until(async () => (await row(id)).set_aside_at !== null);
  }
  await until(() => analytics.received.includes(c!));
  await relay.close();

  assert.deepEqual(analytics.received, [a, b, c]);
  for (const id of [poisoned!, other!]) {
    const event = await row(id);
    assert.match(event.failure, /^analytics answered 422: .*validation_failed/);
    assert.ok(event.refusals >= 3, `refused ${event.refusals} times`);
    assert.ok(event.refused_for_ms >= 1000, `refused for ${event.refused_for_ms} ms`);
    // Each attempt came a backoff (50 ms here) after the one before, and refused it alone.
    assert.ok(event.refused_for_ms >= (event.refusals - 1) * 50, JSON.stringify(event));
    const alone = analytics.batches.filter((x) => x.ids.length === 1 && x.ids[0] === id);
    assert.equal(alone.length, event.refusals);
    // a and b went on in the pass that first found it refused, not once it was set aside.
    for (const taken of [a!, b!]) {
      assert.ok((await row(taken)).published_at <= event.first_refused_at);
    }
  }
});

test('an event refused a few times, then taken, is delivered once and its refusals forgotten', async () => {
  let refusedAlone = 0;
  const analytics = await subscriber((events) => {
    if (!events.some((e) => e.payload.poison)) return 202;
    if (events.length > 1) return 422;
    refusedAlone += 1;
    return refusedAlone <= 2 ? 422 : 202;
  });
  const [a, flaky, b] = await insert([
    { type: 'user.registered' },
    { type: 'user.registered', poison: true },
    { type: 'user.registered' },
  ]);
  // Two refusals, one short of setting it aside; no time to wait for.
  const relay = startRelay({
    pool,
    subscribers: [{ name: 'analytics', types: ['*'], url: analytics.url }],
    setAsideAfterRefusals: 3,
    setAsideAfterMs: 0,
  });
  await until(async () => (await row(flaky!)).published_at !== null);
  await relay.idle();
  await relay.close();

  assert.equal(refusedAlone, 3);
  // Delivered once, after the events written after it (it waited for its retry).
  assert.deepEqual(analytics.received, [a, b, flaky]);
  const event = await row(flaky!);
  assert.deepEqual(
    {
      set_aside_at: event.set_aside_at,
      failure: event.failure,
      refusals: event.refusals,
      first_refused_at: event.first_refused_at,
      retry_at: event.retry_at,
      delivered_to: event.delivered_to,
    },
    {
      set_aside_at: null,
      failure: null,
      refusals: 0,
      first_refused_at: null,
      retry_at: null,
      delivered_to: null,
    },
  );
});
