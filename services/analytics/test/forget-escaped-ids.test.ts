import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { drizzle } from 'drizzle-orm/node-postgres';
import { openDatabase, schema } from '../src/db/index.ts';
import { unlinkDeadLetters } from '../src/ingestion/dead-letters-unlink.ts';
import { startReceiver, until } from './destinations-receiver.ts';
import { domainEvent, eventForm, forgetting } from './forgetting.ts';
import { buildTestAnalytics, sql, userDeleted } from './helper.ts';

/**
 * JSON writes a control character as `\u00XX`; the hex digits that follow it in a string can
 * spell a user id in the text although the value holds none: `"\u001a34567-…"` for a user
 * `01a34567-…`. Replacing the id there broke the escape: the text was no longer JSON, so each
 * forgetting pass failed at its `::jsonb` cast (every user of the pass stayed linked, the
 * mapping forever) and the worker could not read the delivery to send it. Anyone who can put a
 * string in an event can write one for a user whose id begins with 00 or 01.
 */

let receiverUp = false;
// `/held` never takes a delivery: it stays pending, for a pass to rewrite.
const receiver = await startReceiver((path) => (path === '/crm' && receiverUp ? 200 : 503));
const t = await buildTestAnalytics({
  DESTINATIONS: JSON.stringify([
    { name: 'crm', url: receiver.url('/crm'), secret: 'whsec-test-0123456789abcdef' },
    { name: 'held', url: receiver.url('/held'), secret: 'whsec-test-0123456789abcdef' },
  ]),
  DESTINATION_INTERVAL_MS: '20',
  DESTINATION_RETRY_BASE_MS: '20',
  DESTINATION_RETRY_MAX_MS: '100',
  // Retried until the receiver is up, however long the passes take.
  DESTINATION_MAX_ATTEMPTS: '100000',
});

const { deliver, mapping, passed } = forgetting(t);

test('an id spelled by an escape is left alone: the passes and the deliveries go through', async () => {
  const user = `01a${randomUUID().slice(3)}`;
  // A control character whose escape's last hex digits begin the id, then the rest of it.
  const lookalike = `\u001a${user.slice(3)}`;
  assert.ok(JSON.stringify(lookalike).includes(user), 'the text spells the id');
  const eventId = `main:${randomUUID()}`;
  await deliver([
    {
      ...domainEvent('post.updated', randomUUID(), { author_id: user, note: lookalike }),
      id: eventId,
    },
  ]);
  await until(() => receiver.at('/crm').length >= 1, 'a failed attempt before the deletion');
  assert.equal((await userDeleted(t, user)).statusCode, 202);
  await passed([user]);
  const pseudonym = (await mapping(user)) as string;
  const expected = { author_id: pseudonym, note: lookalike };
  const [stored] = await sql(t.databaseUrl, 'select properties from events where event_id = $1', [
    eventId,
  ]);
  assert.deepEqual(stored?.properties, expected, 'the store: the id unlinked, the note kept');
  const [pending] = await sql(
    t.databaseUrl,
    'select payload from destination_deliveries where event_id = $1',
    [eventId],
  );
  assert.deepEqual(pending?.payload.properties, expected, 'the pending delivery, rewritten');
  receiverUp = true;
  const sent = await until(
    () => receiver.at('/crm').find((r) => r.body.event === 'post.updated' && r.status === 200),
    'the delivery sent',
    10_000,
  );
  assert.deepEqual(sent.body.properties, expected);
});

test('an id a one-letter escape spells (`\\b`, `\\f`) is left alone too; one right after it is replaced', async () => {
  // JSON writes a backspace `\b` and a form feed `\f`: both letters are hex digits, so a
  // backspace and then the rest of an id beginning with `b` spells the id in the text. Replaced
  // there (`\deleted-…`: no escape), the text was no longer JSON; only a `\u` was looked for.
  const user = `b${randomUUID().slice(1)}`;
  const lookalike = `\b${user.slice(1)}`;
  assert.ok(JSON.stringify(lookalike).includes(user), 'the text spells the id');
  const eventId = `main:${randomUUID()}`;
  await deliver([
    {
      ...domainEvent('post.updated', randomUUID(), {
        author_id: user,
        note: lookalike,
        after: `\f\b${user}`,
      }),
      id: eventId,
    },
  ]);
  await until(
    () => receiver.at('/held').some((r) => r.body.messageId === eventId),
    'a failed attempt before the deletion',
  );
  assert.equal((await userDeleted(t, user)).statusCode, 202);
  await passed([user]);
  const pseudonym = (await mapping(user)) as string;
  const expected = { author_id: pseudonym, note: lookalike, after: `\f\b${pseudonym}` };
  const [stored] = await sql(t.databaseUrl, 'select properties from events where event_id = $1', [
    eventId,
  ]);
  assert.deepEqual(stored?.properties, expected, 'the store');
  const [pending] = await sql(
    t.databaseUrl,
    `select payload from destination_deliveries where event_id = $1 and destination = 'held'`,
    [eventId],
  );
  assert.deepEqual(pending?.payload.properties, expected, 'the pending delivery');
  const letter = eventForm(user, { note: lookalike, ref: user });
  const [set] = await sql(
    t.databaseUrl,
    `insert into ingestion_dead_letters (queue_seq, kind, item, error)
     values (1, 'event', $1, $2) returning id::int as id`,
    [letter, `refused ${JSON.stringify({ note: lookalike, user })}`],
  );
  await unlinkDeadLetters(t.database.db, [{ userId: user, pseudonym }]);
  const [rewritten] = await sql(
    t.databaseUrl,
    'select item, error from ingestion_dead_letters where id = $1',
    [set?.id],
  );
  const [item] = JSON.parse(rewritten?.item as string);
  assert.equal(item.userId, pseudonym);
  assert.deepEqual(JSON.parse(item.properties), { note: lookalike, ref: pseudonym });
  assert.equal(rewritten?.error, `refused ${JSON.stringify({ note: lookalike, user: pseudonym })}`);
});

test("a dead letter's escape spelling an id is left alone too: the letter stays JSON", async () => {
  // The dead letters' rewrite replaced the id anywhere in the text, as the deliveries' once did:
  // `\u001a` + the rest became `\u0deleted-…`, and the letter was no longer JSON (its replay
  // set aside again, its listing's payload a string).
  const user = `01a${randomUUID().slice(3)}`;
  const pseudonym = `deleted-${randomUUID()}`;
  const lookalike = `\u001a${user.slice(3)}`;
  const trackForm = JSON.stringify([
    user.toUpperCase(),
    Date.now(),
    randomUUID(),
    [['page.viewed', null, null, { note: lookalike, ref: user }]],
  ]);
  assert.ok(trackForm.includes(`\\u001a${user.slice(3)}`), 'the text spells the id in an escape');
  const [letter] = await sql(
    t.databaseUrl,
    `insert into ingestion_dead_letters (queue_seq, kind, item, error)
     values (1, 'track', $1, $2) returning id::int as id`,
    [trackForm, `refused ${JSON.stringify({ note: lookalike, user })}`],
  );
  await unlinkDeadLetters(t.database.db, [{ userId: user, pseudonym }]);
  const [rewritten] = await sql(
    t.databaseUrl,
    'select item, error from ingestion_dead_letters where id = $1',
    [letter?.id],
  );
  const [own, , , [[, , , properties]]] = JSON.parse(rewritten?.item as string);
  assert.equal(own, pseudonym);
  assert.deepEqual(properties, { note: lookalike, ref: pseudonym });
  assert.equal(rewritten?.error, `refused ${JSON.stringify({ note: lookalike, user: pseudonym })}`);
});

test("a user's dead letters past one page of the rewrite are rewritten too", async () => {
  const user = randomUUID();
  const pseudonym = `deleted-${randomUUID()}`;
  await sql(
    t.databaseUrl,
    `insert into ingestion_dead_letters (queue_seq, kind, item, error)
     select n, 'event', $1, 'refused' from generate_series(1, 1201) n`,
    [eventForm(user, { ref: user, note: '\b' })],
  );
  await unlinkDeadLetters(t.database.db, [{ userId: user, pseudonym }]);
  const left = await sql(
    t.databaseUrl,
    'select count(*)::int as n from ingestion_dead_letters where item like $1',
    [`%${user}%`],
  );
  assert.equal(left[0]?.n, 0);
  const rewritten = await sql(
    t.databaseUrl,
    'select count(*)::int as n from ingestion_dead_letters where item like $1',
    [`%${pseudonym}%`],
  );
  assert.equal(rewritten[0]?.n, 1201);
});

test("a page of the dead letters' rewrite holds 8 MB of letters at most, however large each", async () => {
  // A dead letter can be a whole queue row, up to the 5 MB body limit: 500 of them at once
  // were gigabytes in memory, the process ran out, and every later pass met the same page.
  const user = randomUUID();
  const pseudonym = `deleted-${randomUUID()}`;
  await sql(
    t.databaseUrl,
    `insert into ingestion_dead_letters (queue_seq, kind, item, error)
     select n, 'event', $1, 'refused' from generate_series(1, 20) n`,
    [eventForm(user, { ref: user, padding: 'x'.repeat(1024 * 1024) })],
  );
  await unlinkDeadLetters(t.database.db, [{ userId: user, pseudonym }]);
  // Each page is its own transaction: the letters it rewrote share its transaction id.
  const pages = await sql(
    t.databaseUrl,
    `select xmin::text as page, count(*)::int as n from ingestion_dead_letters
     where item like $1 group by 1 order by 1`,
    [`%${pseudonym}%`],
  );
  assert.equal(
    pages.reduce((sum, p) => sum + (p.n as number), 0),
    20,
  );
  for (const p of pages) assert.ok((p.n as number) <= 8, `a page of ${p.n} 1 MB letters`);
});

test("a pass searches the dead letters' text once, not again for each 8 MB page", async () => {
  // Finding a user's letters reads the whole text of every letter (lower … like). Searched
  // again for each page, the 500 letters found were read once per page: 500 letters of 5 MB,
  // a page each, were 500 searches of up to 2.5 GB, hours of the server's time in one pass.
  const user = randomUUID();
  await sql(
    t.databaseUrl,
    `insert into ingestion_dead_letters (queue_seq, kind, item, error)
     select n, 'event', $1, 'refused' from generate_series(1, 3) n`,
    [eventForm(user, { ref: user, padding: 'x'.repeat(4_500_000) })],
  );
  const searches: string[] = [];
  const db = drizzle(t.database.pool, {
    schema,
    casing: 'snake_case',
    logger: {
      logQuery: (query) => {
        if (query.includes('like any')) searches.push(query);
      },
    },
  });
  const pseudonym = `deleted-${randomUUID()}`;
  // Every letter in one range of the search (1 GB at most).
  await unlinkDeadLetters(db, [{ userId: user, pseudonym }], undefined, 1024 ** 3);
  const rewritten = await sql(
    t.databaseUrl,
    'select count(*)::int as n from ingestion_dead_letters where item like $1',
    [`%${pseudonym}%`],
  );
  assert.equal(rewritten[0]?.n, 3, 'each 4.5 MB letter rewritten, a page each');
  // One, that finds the three, each then a page of its own.
  assert.equal(searches.length, 1);
});

test("a pass's search reads a bounded range of letters per statement, however many there are", async () => {
  // The search reads every letter's whole text. In one statement over the whole table, a day
  // of everything refused (gigabytes of letters) ran past the statement timeout: the pass
  // failed at every tick and the users' mapping was never deleted. Here 200 MB of letters
  // that mention nobody, against a statement timeout of 1 s, searched 8 MB at a time.
  const user = randomUUID();
  await sql(
    t.databaseUrl,
    `insert into ingestion_dead_letters (queue_seq, kind, item, error)
     select n, 'event', $1, 'refused' from generate_series(1, 200) n`,
    [eventForm(randomUUID(), { padding: 'x'.repeat(1024 * 1024) })],
  );
  await sql(
    t.databaseUrl,
    `insert into ingestion_dead_letters (queue_seq, kind, item, error) values (1, 'event', $1, 'refused')`,
    [eventForm(user, { ref: user })],
  );
  const impatient = await openDatabase(t.databaseUrl, { statementTimeoutMs: 1000 });
  const pseudonym = `deleted-${randomUUID()}`;
  try {
    await unlinkDeadLetters(impatient.db, [{ userId: user, pseudonym }], 1000, 8 * 1024 * 1024);
  } finally {
    await impatient.close();
  }
  const rewritten = await sql(
    t.databaseUrl,
    'select count(*)::int as n from ingestion_dead_letters where item like $1',
    [`%${pseudonym}%`],
  );
  assert.equal(rewritten[0]?.n, 1);
  await sql(t.databaseUrl, `delete from ingestion_dead_letters where octet_length(item) > 1000000`);
});
