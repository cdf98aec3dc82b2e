import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until } from './destinations-receiver.ts';
import { bearer, buildTestAnalytics, sql } from './helper.ts';

const t = await buildTestAnalytics();
const user = await t.user();
const DEAD = '/analytics/v1/ingestion/dead-letters';

interface DeadLetter {
  id: string;
  kind: string;
  payload: unknown;
  error: string;
  queue_seq: string;
  failed_at: string;
}

async function deadLetters(token = t.adminToken) {
  const res = await t.app.inject({ url: DEAD, headers: bearer(token) });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { items: DeadLetter[] }).items;
}

/** A queue row written straight into the table, as no endpoint would accept it. */
async function poison(kind: string, text: string): Promise<string> {
  const [row] = await sql(
    t.databaseUrl,
    'insert into queue (kind, item) values ($1, $2) returning seq',
    [kind, text],
  );
  return String((row as { seq: string }).seq);
}

/** A queued event in the general `event` form; `properties` is its JSON text. */
const queued = (id: string, properties: string) => ({
  id,
  event: 'poisoned.queue',
  source: 'client',
  userId: user.id,
  anonymousId: null,
  properties,
  timestamp: new Date().toISOString(),
});

async function track(event: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    headers: bearer(user.accessToken),
    payload: { event },
  });
  assert.equal(res.statusCode, 202, res.body);
}

async function activity() {
  const res = await t.app.inject({
    url: '/analytics/v1/user-activity',
    headers: bearer(user.accessToken),
  });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { items: { id: string; event: string }[] }).items;
}

test('items the store refuses are set aside for admins, and everything queued after them lands', async () => {
  // jsonb refuses NUL and lone surrogates; a smallint refuses 70000; the last row is no JSON.
  const nul = await poison(
    'event',
    JSON.stringify([queued('nul-1', '{"note":"a\\u0000b"}'), queued('fine-1', '{"ok":true}')]),
  );
  const surrogate = await poison('event', JSON.stringify([queued('surrogate-1', '{"\\ud800":1}')]));
  const sample = await poison(
    'sample',
    JSON.stringify([
      {
        service: 'main',
        route: '/x',
        method: 'GET',
        status: 70_000,
        durationMs: 1,
        timestamp: new Date().toISOString(),
        requestId: null,
        userId: null,
        upstream: null,
      },
    ]),
  );
  const garbage = await poison('track', 'this is not a queue row');
  await track('after.poison');

  const landed = await until(async () => {
    const ids = (await activity()).map((e) => e.event === 'after.poison' || e.id);
    return ids.includes(true) && ids.includes('fine-1') && ids;
  }, 'the events queued after the poison');
  assert.ok(!landed.includes('nul-1') && !landed.includes('surrogate-1'));

  const dead = await until(async () => {
    const items = await deadLetters();
    return items.length === 4 && items;
  }, 'four dead letters');
  // Newest first; each names the queue row it came from and what the store said.
  assert.deepEqual(
    dead.map((d) => [d.queue_seq, d.kind]),
    [
      [garbage, 'track'],
      [sample, 'sample'],
      [surrogate, 'event'],
      [nul, 'event'],
    ],
  );
  assert.equal(dead[0]!.payload, 'this is not a queue row');
  assert.equal((dead[3]!.payload as { id: string }[])[0]!.id, 'nul-1', 'only the refused item');
  assert.equal((dead[3]!.payload as unknown[]).length, 1);
  assert.equal((dead[2]!.payload as { id: string }[])[0]!.id, 'surrogate-1');
  assert.match(dead[3]!.error, /unicode|escape/i);
  assert.match(dead[1]!.error, /out of range/i);
  assert.deepEqual(await sql(t.databaseUrl, 'select seq from queue'), []);

  const metrics = await t.app.inject({ url: '/metrics' });
  assert.match(metrics.body, /analytics_ingestion_dead_letters_total\{[^}]*\} 4/);
});

test('dead letters: admins read them; replaying queues one again, discarding removes it', async () => {
  assert.equal(
    (await t.app.inject({ url: DEAD, headers: bearer(user.accessToken) })).statusCode,
    403,
  );
  assert.equal((await t.app.inject({ url: DEAD })).statusCode, 401);
  const before = await deadLetters();
  const nul = before.find((d) => (d.payload as { id?: string }[])[0]?.id === 'nul-1')!;

  const refused = await t.app.inject({
    method: 'POST',
    url: `${DEAD}/${nul.id}/replay`,
    headers: bearer(user.accessToken),
  });
  assert.equal(refused.statusCode, 403);
  const replay = await t.app.inject({
    method: 'POST',
    url: `${DEAD}/${nul.id}/replay`,
    headers: bearer(t.adminToken),
  });
  assert.equal(replay.statusCode, 202, replay.body);
  assert.deepEqual(replay.json(), { replayed: 1 });
  // Still refused by the store, it comes back as a new dead letter, and nothing else stops.
  const again = await until(async () => {
    const items = await deadLetters();
    return items.find(
      (d) => (d.payload as { id?: string }[])[0]?.id === 'nul-1' && d.id !== nul.id,
    );
  }, 'the replayed item to be refused again');
  assert.ok(Number(again.id) > Number(nul.id));
  await track('after.replay');
  await until(
    async () => (await activity()).some((e) => e.event === 'after.replay'),
    'later events',
  );

  const discard = (id: string) =>
    t.app.inject({ method: 'DELETE', url: `${DEAD}/${id}`, headers: bearer(t.adminToken) });
  assert.equal((await discard(again.id)).statusCode, 204);
  assert.equal((await discard(again.id)).statusCode, 404);
  const missing = await t.app.inject({
    method: 'POST',
    url: `${DEAD}/${nul.id}/replay`,
    headers: bearer(t.adminToken),
  });
  assert.equal(missing.statusCode, 404, 'replayed already: no longer a dead letter');
  assert.equal((await deadLetters()).length, 3);
});

test('a row that is no JSON: what the parser quoted of it keeps no part of a user id', async () => {
  // V8 quotes ten characters or so either side of where JSON.parse stopped, cut there
  // (`..."userId":z3f2a9c4e-"...`): a part of an id found by no pass (they find an id whole),
  // kept for good in the dead letter's error.
  const id = user.id;
  const text = `[{"note":"${'n'.repeat(40)}","userId":"${id}", "by": z${id}}]`;
  assert.throws(() => JSON.parse(text), /\.\.\."/, 'the parser quotes a window of the text');
  const seq = await poison('event', text);
  const letter = await until(
    async () => (await deadLetters()).find((d) => d.queue_seq === seq),
    'the row set aside',
  );
  assert.match(letter.error, /not valid JSON/);
  for (const run of letter.error.match(/[0-9a-f-]{3,}/gi) ?? []) {
    assert.ok(
      run.toLowerCase() === id.toLowerCase() || !id.toLowerCase().includes(run.toLowerCase()),
      `a part of the id kept: ${run} in ${letter.error}`,
    );
  }
});
