import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { connect, runMigrations } from '@platform/db';
import { createTestDatabase, migrateBefore } from '@platform/testing';
import { schema } from '../src/db/index.ts';
import { createDedup, fingerprintOf } from '../src/ingestion/dedup.ts';
import { sql } from './helper.ts';

const migrations = path.resolve(import.meta.dirname, '../drizzle');

test('message ids claimed in the old index stay claimed after migration 0013', async (t) => {
  const db = await createTestDatabase();
  t.after(() => db.drop());
  // The schema before the blocks: every migration up to 0012.
  await migrateBefore(db.url, migrations, '0013');

  // Ids as the old version claimed them: keys hashed by PostgreSQL (128 bits of the SHA-256 of
  // their UTF-8, as a uuid), every third with the event that owns it. The first 5500 were
  // received ten days ago, the rest an hour ago: the second block of 5000 holds both.
  const n = 12_001;
  const keys = Array.from(
    { length: n },
    (_, i) => `client:${i % 2 ? `u:user-${i}` : `a:anonyme-é-${i}`}:message-✓-${i}`,
  );
  const owners = keys.map((_, i) => (i % 3 === 0 ? randomUUID() : null));
  await sql(
    db.url,
    `insert into message_ids (hash, owner, received_at)
     select encode(substring(sha256(convert_to(k, 'UTF8')) for 16), 'hex')::uuid, o,
       case when i <= 5500 then now() - interval '10 days' + i * interval '1 second'
            else now() - interval '1 hour' + i * interval '1 millisecond' end
     from unnest($1::text[], $2::uuid[]) with ordinality as x(k, o, i)`,
    [keys, owners],
  );

  // Queue rows of the old version: one the old writer had claimed but not written (its events 0
  // and 3 own their ids, event 1 lost its id to another copy, event 2 has none), one not claimed
  // yet, and one whose text cannot be read.
  const base = randomUUID();
  const eventId = (i: number) => `${base.slice(0, 33)}${i.toString(16).padStart(3, '0')}`;
  const claimedRow = JSON.stringify([
    'user-q',
    Date.now(),
    base,
    [
      ['q.e', null, null, {}, 'client:u:user-q:q0'],
      ['q.e', null, null, {}, 'client:u:user-q:q1'],
      ['q.e', null, null, {}],
      ['q.e', null, null, {}, 'client:u:user-q:q3'],
    ],
  ]);
  const unclaimedRow = JSON.stringify([
    'user-q',
    Date.now(),
    randomUUID(),
    [['q.e', null, null, {}, 'client:u:user-q:later']],
  ]);
  await sql(
    db.url,
    `insert into message_ids (hash, owner)
     select encode(substring(sha256(convert_to(k, 'UTF8')) for 16), 'hex')::uuid, o
     from unnest($1::text[], $2::uuid[]) as x(k, o)`,
    [
      ['client:u:user-q:q0', 'client:u:user-q:q1', 'client:u:user-q:q3'],
      [eventId(0), randomUUID(), eventId(3)],
    ],
  );
  const queued = await sql(
    db.url,
    `insert into queue (kind, item) values ('track', $1), ('track', $2), ('track', '[not json')
     returning seq::int as seq`,
    [claimedRow, unclaimedRow],
  );

  await runMigrations(db.url, migrations);
  // The claimed row keeps its outcome (event 1 lost); the others are left to the writer.
  const outcomes = await sql(db.url, 'select seq::int as seq, lost from queue_claims');
  assert.deepEqual(outcomes, [{ seq: queued[0]!.seq, lost: [1] }]);
  const [gone] = await sql(db.url, `select to_regclass('message_ids') as t`);
  assert.equal(gone?.t, null);
  const blocks = await sql(
    db.url,
    `select length(fps) as fps, created_at < now() - interval '9 days' as old
     from message_id_blocks order by id`,
  );
  assert.deepEqual(
    blocks.map((b) => [b.fps / 16, b.old]),
    [
      [5000, true],
      [5000, false],
      [2004, false],
    ],
  );

  const database = connect(db.url, schema);
  t.after(() => database.close());
  const dedup = createDedup({ maxIds: 1_000_000 });
  const claim = (claims: string[]) => database.db.transaction((tx) => dedup.claim(tx, claims));
  // Old queue rows carry the key itself: the writer hashes it (fingerprintOf).
  const fps = keys.map(fingerprintOf);
  const lostBy = (won: boolean[]) => won.filter((w) => !w).length;

  // A copy of any of them loses.
  assert.equal(lostBy(await claim(fps)), n);
  // Ids never claimed are free.
  const fresh = ['client:u:user-1:other', 'segment:new'].map((k) => fingerprintOf(k));
  assert.deepEqual(await claim(fresh), [true, true]);

  // A block keeps the time of its newest id: past DEDUP_DAYS the first block goes, the second
  // (500 old ids, 4500 recent) stays whole — no recent id is forgotten early.
  await dedup.prune(database.db, new Date(Date.now() - 7 * 86_400_000));
  const again = await claim(fps);
  assert.deepEqual(
    [again.slice(0, 5000).every(Boolean), again.slice(5000).some(Boolean)],
    [true, false],
  );
});
