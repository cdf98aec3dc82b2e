import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueuedEvent, QueuedSample, Store } from '../src/store/types.ts';

/** docs/analytics.md's bound (Rollups): a percentile from rollups is within 10 % (or 0.1 ms) of the exact one. */
function near(actual: number | null | undefined, exact: number) {
  assert.ok(typeof actual === 'number', `expected a number near ${exact}, got ${actual}`);
  const bound = Math.max(0.1, exact * 0.1);
  assert.ok(Math.abs(actual - exact) <= bound, `${actual} is not within ${bound} of ${exact}`);
}

/** Exact nearest-rank percentiles, counts and errors per route and interval, from raw samples. */
function exactPoints(samples: QueuedSample[], intervalSeconds: number) {
  const groups = new Map<string, QueuedSample[]>();
  for (const s of samples) {
    const ms = intervalSeconds * 1000;
    const time = new Date(Math.floor(Date.parse(s.timestamp) / ms) * ms).toISOString();
    const key = `${s.route} ${time}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const result = new Map<
    string,
    { requests: number; errors: number; p50: number; p95: number; p99: number }
  >();
  for (const [key, group] of groups) {
    const sorted = group.map((s) => s.durationMs).sort((a, b) => a - b);
    const rank = (p: number) => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
    result.set(key, {
      requests: group.length,
      errors: group.filter((s) => s.status >= 500).length,
      p50: rank(50),
      p95: rank(95),
      p99: rank(99),
    });
  }
  return result;
}

/**
 * The behaviour every store must have, run against PostgreSQL (store-postgres.test.ts) and a
 * real influxd (store-influx.full.test.ts). `fresh()` gives an empty store.
 */
export function storeContract(name: string, fresh: () => Promise<Store>) {
  const base = Date.UTC(2026, 0, 10, 12, 0, 0);
  const at = (offsetMs: number) => new Date(base + offsetMs).toISOString();
  let seq = 0;
  const event = (over: Partial<QueuedEvent> = {}): QueuedEvent => {
    seq += 1;
    return {
      seq,
      id: `e-${seq}`,
      event: 'page.viewed',
      source: 'client',
      userId: 'u1',
      anonymousId: null,
      properties: {},
      timestamp: at(0),
      ...over,
    };
  };
  const sample = (over: Partial<QueuedSample> = {}): QueuedSample => {
    seq += 1;
    return {
      seq,
      service: 'main',
      route: '/main/v1/posts',
      method: 'GET',
      status: 200,
      durationMs: 10,
      timestamp: at(0),
      requestId: `r-${seq}`,
      userId: null,
      upstream: 'http://127.0.0.1:1',
      ...over,
    };
  };
  const day = { from: new Date(base - 86_400_000), to: new Date(base + 86_400_000) };

  test(`${name}: activity is one user's events, newest first, paged by cursor exactly once`, async () => {
    const store = await fresh();
    // Same millisecond and name for several: distinct points all the same.
    const mine = Array.from({ length: 7 }, (_, i) =>
      event({ timestamp: at(Math.floor(i / 3) * 1000) }),
    );
    await store.writeEvents([
      ...mine,
      event({ userId: 'u2' }),
      event({ userId: null, anonymousId: 'a1' }),
    ]);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const result = await store.activity({ userId: 'u1', ...day, limit: 3, cursor });
      seen.push(...result.items.map((e) => e.id));
      assert.ok(result.items.every((e) => e.userId === 'u1'));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    assert.equal(seen.length, 7);
    assert.deepEqual(new Set(seen), new Set(mine.map((e) => e.id)));
    const times = (await store.activity({ userId: 'u1', ...day, limit: 10 })).items.map(
      (e) => e.timestamp,
    );
    assert.deepEqual(times, [...times].sort().reverse());
    const oldest = await store.activity({ userId: 'u1', ...day, limit: 2, oldestFirst: true });
    assert.deepEqual(
      oldest.items.map((e) => e.timestamp),
      [...times].sort().slice(0, 2),
    );
  });

  test(`${name}: events of one millisecond page exactly once, in the order of one whole page`, async () => {
    const store = await fresh();
    // Queue rows 8 to 12 of one import stamped alike: their seqs gain a digit on the way
    // (PostgreSQL sorted them as text, 9000 before 10000 newest first, and the cursor lost two).
    const same = [8, 9, 10, 11, 12].map((row) => event({ seq: row * 1000, timestamp: at(0) }));
    await store.writeEvents(same);
    const whole = (await store.activity({ userId: 'u1', ...day, limit: 10 })).items.map(
      (e) => e.id,
    );
    const paged: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const result = await store.activity({ userId: 'u1', ...day, limit: 2, cursor });
      paged.push(...result.items.map((e) => e.id));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    assert.deepEqual(paged, whole);
    assert.deepEqual(new Set(paged), new Set(same.map((e) => e.id)));
  });

  test(`${name}: writing the same items again changes nothing`, async () => {
    const store = await fresh();
    const batch = [event({ event: 'signed.up' }), event({ event: 'signed.up' })];
    const samples = [sample(), sample({ status: 503 })];
    await store.writeEvents(batch);
    await store.writeEvents(batch);
    await store.writeSamples(samples);
    await store.writeSamples(samples);
    assert.deepEqual(await store.topEvents(day, 10), [{ event: 'signed.up', count: 2 }]);
    const [route] = await store.topRoutes(day, 10);
    assert.equal(route?.requests, 2);
    assert.equal(route?.errors, 1);
  });

  test(`${name}: properties, names and ids survive any characters`, async () => {
    const store = await fresh();
    const properties = {
      text: 'a "quote", a \\ backslash,\nnew line = é ✓',
      n: 1.5,
      list: [1, null],
    };
    // A Segment name may hold a comma, an equals sign or a quote: tag characters line protocol escapes.
    const e = event({
      event: `Order Completed, v2/x = "it's"`,
      userId: 'user,with space="x"',
      properties,
    });
    await store.writeEvents([e]);
    const [got] = (await store.activity({ userId: e.userId!, ...day, limit: 5 })).items;
    const named = await store.activity({ userId: e.userId!, ...day, event: e.event, limit: 5 });
    assert.deepEqual(
      named.items.map((i) => i.id),
      [e.id],
    );
    assert.deepEqual(got, {
      id: e.id,
      event: e.event,
      source: e.source,
      userId: e.userId,
      anonymousId: null,
      properties,
      timestamp: e.timestamp,
    });
  });

  test(`${name}: a visitor's activity (no user) is every event of its anonymous id, whatever user it names`, async () => {
    const store = await fresh();
    await store.writeEvents([
      event({ userId: null, anonymousId: 'v1', timestamp: at(0) }),
      event({ userId: 'u2', anonymousId: 'v1', timestamp: at(1000) }),
      event({ userId: null, anonymousId: 'v2', timestamp: at(2000) }),
      event({ userId: 'u1', anonymousId: null, timestamp: at(3000) }),
    ]);
    const visitor = await store.activity({ userId: null, anonymousIds: ['v1'], ...day, limit: 10 });
    assert.deepEqual(
      visitor.items.map((e) => [e.userId, e.anonymousId]),
      [
        ['u2', 'v1'],
        [null, 'v1'],
      ],
    );
    const paged = await store.activity({ userId: null, anonymousIds: ['v1'], ...day, limit: 1 });
    assert.equal(paged.items.length, 1);
    const rest = await store.activity({
      userId: null,
      anonymousIds: ['v1'],
      ...day,
      limit: 1,
      cursor: paged.nextCursor!,
    });
    assert.deepEqual(
      rest.items.map((e) => e.userId),
      [null],
    );
  });

  test(`${name}: activity filters by event name and time range`, async () => {
    const store = await fresh();
    await store.writeEvents([
      event({ event: 'a', timestamp: at(0) }),
      event({ event: 'b', timestamp: at(1000) }),
      event({ event: 'a', timestamp: at(60_000) }),
    ]);
    const onlyA = await store.activity({ userId: 'u1', ...day, event: 'a', limit: 10 });
    assert.deepEqual(
      onlyA.items.map((e) => e.event),
      ['a', 'a'],
    );
    const early = await store.activity({
      userId: 'u1',
      from: new Date(base),
      to: new Date(base + 2000),
      limit: 10,
    });
    assert.deepEqual(
      early.items.map((e) => e.event),
      ['b', 'a'],
    );
  });

  test(`${name}: performance per service, route and interval with percentiles`, async () => {
    const store = await fresh();
    const durations = Array.from({ length: 100 }, (_, i) => i + 1);
    await store.writeSamples([
      ...durations.map((d, i) =>
        sample({ durationMs: d, status: i < 5 ? 500 : 200, timestamp: at(i * 100) }),
      ),
      sample({ route: '/main/v1/tags', timestamp: at(120_000) }),
      sample({ service: 'auth', route: '/accounts/v1/login', method: 'POST', timestamp: at(0) }),
    ]);
    await store.settle?.();
    const points = await store.performance({ ...day, intervalSeconds: 60 });
    const posts = points.filter((p) => p.route === '/main/v1/posts');
    assert.equal(posts.length, 1);
    const [p] = posts;
    assert.equal(p?.service, 'main');
    assert.equal(p?.time.toISOString(), at(0));
    assert.equal(p?.requests, 100);
    assert.equal(p?.errors, 5);
    near(p?.p50, 50);
    near(p?.p95, 95);
    near(p?.p99, 99);
    assert.equal(points.find((x) => x.route === '/main/v1/tags')?.time.toISOString(), at(120_000));
    const auth = await store.performance({ ...day, intervalSeconds: 3600, service: 'auth' });
    assert.deepEqual(
      auth.map((x) => [x.service, x.route, x.requests]),
      [['auth', '/accounts/v1/login', 1]],
    );
  });

  test(`${name}: rollups add up to any interval: counts exact, percentiles within the bound`, async () => {
    const store = await fresh();
    // Three hours of a deterministic spread from 0.02 ms to ~20 s, on two routes, 1 in 7 an error.
    const start = base - 3600_000;
    const all = Array.from({ length: 3000 }, (_, i) =>
      sample({
        route: i % 3 === 0 ? '/a' : '/b',
        durationMs: Math.round(0.02 * 1.0047 ** ((i * 7919) % 3000) * 1000) / 1000,
        status: i % 7 === 0 ? 502 : 200,
        timestamp: new Date(start + Math.floor((i * 10_800_000) / 3000)).toISOString(),
      }),
    );
    // Several writes, each item once, one of them twice (a writer's retry).
    const parts = [all.slice(0, 1000), all.slice(1000, 2200), all.slice(2200)];
    for (const part of parts) await store.writeSamples(part);
    await store.writeSamples(parts[1]!);
    await store.settle?.();
    const range = { from: new Date(start), to: new Date(start + 3 * 3600_000) };
    for (const intervalSeconds of [60, 300, 900, 1800, 3600, 3 * 3600]) {
      const points = await store.performance({ ...range, intervalSeconds });
      const expected = exactPoints(all, intervalSeconds);
      assert.equal(points.length, expected.size, `${intervalSeconds}s: number of points`);
      for (const p of points) {
        const want = expected.get(`${p.route} ${p.time.toISOString()}`);
        assert.ok(want, `${intervalSeconds}s: unexpected point ${p.route} ${p.time.toISOString()}`);
        assert.equal(p.requests, want.requests);
        assert.equal(p.errors, want.errors);
        near(p.p50, want.p50);
        near(p.p95, want.p95);
        near(p.p99, want.p99);
      }
    }
    const one = await store.performance({ ...range, intervalSeconds: 3 * 3600, service: 'nope' });
    assert.deepEqual(one, []);
  });

  test(`${name}: reports count daily active users, top events, top routes and sign-ups`, async () => {
    const store = await fresh();
    const d1 = Date.UTC(2026, 0, 10, 8);
    const d2 = Date.UTC(2026, 0, 11, 8);
    const iso = (t: number) => new Date(t).toISOString();
    await store.writeEvents([
      event({ userId: 'u1', timestamp: iso(d1) }),
      event({ userId: 'u1', event: 'clicked', timestamp: iso(d1 + 1) }),
      event({ userId: 'u2', event: 'clicked', timestamp: iso(d1 + 2) }),
      event({ userId: null, anonymousId: 'x', event: 'clicked', timestamp: iso(d1 + 3) }),
      event({ userId: 'u3', event: 'user.registered', source: 'auth', timestamp: iso(d2) }),
    ]);
    await store.writeSamples([
      sample({ timestamp: iso(d1) }),
      sample({ timestamp: iso(d1 + 1) }),
      sample({ route: '/x', timestamp: iso(d1) }),
    ]);
    const range = { from: new Date(Date.UTC(2026, 0, 10)), to: new Date(Date.UTC(2026, 0, 12)) };
    assert.deepEqual(await store.dailyActiveUsers(range), [
      { day: '2026-01-10', users: 2 },
      { day: '2026-01-11', users: 1 },
    ]);
    assert.deepEqual(await store.topEvents(range, 2), [
      { event: 'clicked', count: 3 },
      { event: 'page.viewed', count: 1 },
    ]);
    assert.deepEqual(await store.topRoutes(range, 10), [
      { service: 'main', route: '/main/v1/posts', requests: 2, errors: 0 },
      { service: 'main', route: '/x', requests: 1, errors: 0 },
    ]);
    assert.deepEqual(await store.signups(range), [{ day: '2026-01-11', signups: 1 }]);
  });

  test(`${name}: a deleted user is unlinked: events stay, their id becomes the pseudonym`, async () => {
    const store = await fresh();
    const gone = '4f1c2a9e-0b7d-4c3e-9a51-2d6e8f0a1b2c';
    const pseudonym = 'deleted-8a0b3c1d-2e4f-4a6b-8c9d-0e1f2a3b4c5d';
    const theirs = [
      event({ userId: gone, properties: { user_id: gone, plan: 'pro' } }),
      event({ userId: gone, event: 'clicked', timestamp: at(1000) }),
    ];
    const edited = event({ userId: 'editor', properties: { author_id: gone } });
    const other = event({ userId: 'u2', properties: { note: 'keep "me"' } });
    await store.writeEvents([...theirs, edited, other]);
    await store.writeSamples([sample({ userId: gone }), sample({ userId: 'u2' })]);
    const before = await store.dailyActiveUsers(day);
    const forget = async () => (await store.forgetUsers([{ userId: gone, pseudonym }])).rewritten;

    assert.ok((await forget()) >= 4);
    assert.deepEqual((await store.activity({ userId: gone, ...day, limit: 10 })).items, []);
    const renamed = (await store.activity({ userId: pseudonym, ...day, limit: 10 })).items;
    assert.deepEqual(renamed.map((e) => e.id).sort(), theirs.map((e) => e.id).sort());
    const first = renamed.find((e) => e.id === theirs[0]!.id)!;
    assert.deepEqual(first.properties, { user_id: pseudonym, plan: 'pro' });
    assert.equal(first.event, 'page.viewed');
    assert.equal(first.timestamp, theirs[0]!.timestamp);
    const [byEditor] = (await store.activity({ userId: 'editor', ...day, limit: 10 })).items;
    assert.deepEqual(byEditor?.properties, { author_id: pseudonym });
    const [untouched] = (await store.activity({ userId: 'u2', ...day, limit: 10 })).items;
    assert.deepEqual(untouched?.properties, { note: 'keep "me"' });
    // Counts stay: the events are still there, one (anonymous) user among them.
    assert.deepEqual(await store.dailyActiveUsers(day), before);
    assert.equal(
      (await store.topEvents(day, 10)).reduce((n, e) => n + e.count, 0),
      4,
    );
    assert.equal((await store.topRoutes(day, 10))[0]?.requests, 2);
    // Again: nothing left to rewrite.
    assert.equal(await forget(), 0);
  });

  test(`${name}: several users are unlinked by one pass; from its mark, what came after`, async () => {
    const store = await fresh();
    const users = [
      { userId: '5a1c2a9e-0b7d-4c3e-9a51-2d6e8f0a1b2c', pseudonym: 'deleted-one' },
      { userId: '6b1c2a9e-0b7d-4c3e-9a51-2d6e8f0a1b2c', pseudonym: 'deleted-two' },
    ];
    const [a, b] = users as [(typeof users)[0], (typeof users)[0]];
    await store.writeEvents([
      event({ userId: a.userId, properties: { author_id: b.userId } }),
      event({ userId: 'u3', properties: { actor_id: a.userId } }),
    ]);
    await store.writeSamples([sample({ userId: b.userId })]);
    const first = await store.forgetUsers(users);
    assert.equal(first.rewritten, 3);
    const late = event({ userId: b.userId, timestamp: at(2000) });
    await store.writeEvents([late]);
    const next = await store.forgetUsers(users, first.mark);
    assert.equal(next.rewritten, 1);
    for (const { userId } of users) {
      assert.deepEqual((await store.activity({ userId, ...day, limit: 10 })).items, []);
    }
    const ones = (await store.activity({ userId: 'deleted-one', ...day, limit: 10 })).items;
    assert.deepEqual(ones[0]?.properties, { author_id: 'deleted-two' });
    const [third] = (await store.activity({ userId: 'u3', ...day, limit: 10 })).items;
    assert.deepEqual(third?.properties, { actor_id: 'deleted-one' });
    assert.equal(
      (await store.activity({ userId: 'deleted-two', ...day, limit: 10 })).items[0]?.id,
      late.id,
    );
  });

  test(`${name}: an id in upper or mixed case in the properties is unlinked; escapes stay`, async () => {
    const store = await fresh();
    const gone = '01a42b9e-0b7d-4c3e-9a51-2d6e8f0a1b2c';
    const pseudonym = 'deleted-9b0b3c1d-2e4f-4a6b-8c9d-0e1f2a3b4c5d';
    const upper = gone.toUpperCase();
    const mixed = `${upper.slice(0, 18)}${gone.slice(18)}`;
    const plain = event({ userId: 'u4', properties: { ref: upper, by: [mixed, gone] } });
    // A control character (JSON writes `\u0007`) takes the text off the fast path; `\u001a`
    // then the id's remainder in upper case spells the id, in any case, without holding it.
    const escaped = event({
      userId: 'u5',
      properties: { bell: '\u0007', ref: mixed, look: `\u001a${upper.slice(3)}` },
    });
    await store.writeEvents([plain, escaped]);
    assert.equal((await store.forgetUsers([{ userId: gone, pseudonym }])).rewritten, 2);
    const [first] = (await store.activity({ userId: 'u4', ...day, limit: 10 })).items;
    assert.deepEqual(first?.properties, { ref: pseudonym, by: [pseudonym, pseudonym] });
    const [second] = (await store.activity({ userId: 'u5', ...day, limit: 10 })).items;
    assert.deepEqual(second?.properties, {
      bell: '\u0007',
      ref: pseudonym,
      look: `\u001a${upper.slice(3)}`,
    });
  });

  test(`${name}: a backspace or form feed before the rest of an id is no id; one after it is`, async () => {
    // JSON writes them `\b` and `\f`, hex digits both: `\b` then the rest of an id beginning
    // with `b` spells it. Replaced there, the text was no longer JSON (`\deleted-…`).
    const store = await fresh();
    const gone = 'bf42b9e0-0b7d-4c3e-9a51-2d6e8f0a1b2c';
    const pseudonym = 'deleted-7c0b3c1d-2e4f-4a6b-8c9d-0e1f2a3b4c5d';
    const properties = {
      look: `\b${gone.slice(1)}`,
      form: `\f\b${gone.slice(2)}`,
      ref: `\b${gone}`,
    };
    await store.writeEvents([event({ userId: 'u6', properties })]);
    assert.equal((await store.forgetUsers([{ userId: gone, pseudonym }])).rewritten, 1);
    const [only] = (await store.activity({ userId: 'u6', ...day, limit: 10 })).items;
    assert.deepEqual(only?.properties, { ...properties, ref: `\b${pseudonym}` });
  });

  test(`${name}: an event holding only the lookalike of an id fails no pass, and is kept`, async () => {
    // Found by the pass's search (the text spells the id) but holding none: InfluxDB was sent a
    // line with no field (`events,event=… <time>`), refused, and the pass failed for every user
    // of it at every tick — no user of it ever had a final pass.
    const store = await fresh();
    const gone = 'bf42b9e0-0b7d-4c3e-9a51-2d6e8f0a1b2d';
    const pseudonym = 'deleted-6c0b3c1d-2e4f-4a6b-8c9d-0e1f2a3b4c5d';
    const properties = { look: `\b${gone.slice(1)}` };
    const theirs = event({ userId: gone, timestamp: at(1000) });
    await store.writeEvents([event({ userId: 'u7', properties }), theirs]);
    await store.forgetUsers([{ userId: gone, pseudonym }]);
    const [kept] = (await store.activity({ userId: 'u7', ...day, limit: 10 })).items;
    assert.deepEqual(kept?.properties, properties);
    const renamed = (await store.activity({ userId: pseudonym, ...day, limit: 10 })).items;
    assert.deepEqual(
      renamed.map((e) => e.id),
      [theirs.id],
    );
  });

  test(`${name}: points at one time across a pass's page boundary are all unlinked`, async () => {
    // InfluxDB's pass reads 5,000 points a page, the next from after the last one's time: two
    // events at the same time (a millisecond and point numbers 10⁶ apart) in two series, one
    // the last of a page, the other was never read — its user id kept.
    const store = await fresh();
    const gone = '03c42b9e-0b7d-4c3e-9a51-2d6e8f0a1b2c';
    const pseudonym = 'deleted-paged';
    const filler = Array.from({ length: 4999 }, (_, i) =>
      event({ userId: gone, timestamp: at(i + 1) }),
    );
    const point = 7_000_000 + seq + 10;
    const twins = ['first.twin', 'second.twin'].map((name, i) => ({
      ...event({ userId: gone, event: name, timestamp: at(10_000) }),
      seq: point + i * 1_000_000,
    }));
    await store.writeEvents([...filler, ...twins]);
    await store.forgetUsers([{ userId: gone, pseudonym }]);
    assert.deepEqual((await store.activity({ userId: gone, ...day, limit: 10 })).items, []);
  });

  test(`${name}: an event's and a sample's own user id in another case is unlinked, from a mark too`, async () => {
    // A Segment backend may send `userId: "ABCD…"`, the deleted user's UUID upper-cased: stored
    // as sent, it is still their id.
    const store = await fresh();
    const gone = '02b42b9e-0b7d-4c3e-9a51-2d6e8f0a1b2c';
    const users = [{ userId: gone, pseudonym: 'deleted-cased' }];
    const upper = gone.toUpperCase();
    const mixed = `${upper.slice(0, 18)}${gone.slice(18)}`;
    const theirs = [event({ userId: upper }), event({ userId: mixed, timestamp: at(1000) })];
    const other = event({ userId: '12b42b9e-0b7d-4c3e-9a51-2d6e8f0a1b2c' });
    await store.writeEvents([...theirs, other]);
    await store.writeSamples([sample({ userId: upper }), sample({ userId: 'u2' })]);
    const first = await store.forgetUsers(users);
    assert.equal(first.rewritten, 3);
    for (const userId of [upper, mixed]) {
      assert.deepEqual((await store.activity({ userId, ...day, limit: 10 })).items, []);
    }
    const renamed = (await store.activity({ userId: 'deleted-cased', ...day, limit: 10 })).items;
    assert.deepEqual(renamed.map((e) => e.id).sort(), theirs.map((e) => e.id).sort());
    assert.equal(
      (await store.activity({ userId: other.userId!, ...day, limit: 10 })).items.length,
      1,
    );
    // Written after the pass: the next, from its mark, finds it; the sample is no longer found.
    const late = event({ userId: upper, timestamp: at(2000) });
    await store.writeEvents([late]);
    assert.equal((await store.forgetUsers(users, first.mark)).rewritten, 1);
    assert.deepEqual((await store.activity({ userId: upper, ...day, limit: 10 })).items, []);
  });

  test(`${name}: an anonymous id that is a deleted user's id, in any case, becomes the pseudonym`, async () => {
    // Clients often send the signed-in user's id as their anonymous id (some SDKs set it so
    // after `identify`): kept, it came back in /user-activity, funnels and exports.
    const store = await fresh();
    const gone = '04d42b9e-0b7d-4c3e-9a51-2d6e8f0a1b2c';
    const pseudonym = 'deleted-anonymous';
    const users = [{ userId: gone, pseudonym }];
    const upper = gone.toUpperCase();
    const mixed = `${upper.slice(0, 18)}${gone.slice(18)}`;
    const theirs = [
      event({ userId: null, anonymousId: gone }),
      event({ userId: null, anonymousId: upper, timestamp: at(1000) }),
      // Another user's event under the deleted user's id (a shared device): their own id stays.
      event({ userId: 'u8', anonymousId: mixed, timestamp: at(2000) }),
    ];
    const visitor = event({ userId: null, anonymousId: 'visitor-1', timestamp: at(3000) });
    await store.writeEvents([...theirs, visitor]);
    const first = await store.forgetUsers(users);
    assert.equal(first.rewritten, 3);
    const under = async (anonymousIds: string[]) =>
      (await store.activity({ userId: null, anonymousIds, ...day, limit: 10 })).items;
    assert.deepEqual(await under([gone, upper, mixed]), []);
    const renamed = await under([pseudonym]);
    assert.deepEqual(renamed.map((e) => e.id).sort(), theirs.map((e) => e.id).sort());
    assert.equal(renamed.find((e) => e.id === theirs[2]!.id)?.userId, 'u8');
    assert.equal((await under(['visitor-1']))[0]?.id, visitor.id);
    const timeline = await store.timeline(day, ['page.viewed']);
    assert.equal(timeline.length, 4);
    assert.ok(!JSON.stringify(timeline).toLowerCase().includes(gone), 'no id in the timeline');
    // Written after the pass: the next, from its mark, finds it.
    const late = event({ userId: null, anonymousId: upper, timestamp: at(4000) });
    await store.writeEvents([late]);
    assert.equal((await store.forgetUsers(users, first.mark)).rewritten, 1);
    assert.deepEqual(await under([upper]), []);
    assert.equal((await store.forgetUsers(users)).rewritten, 0);
  });
}
