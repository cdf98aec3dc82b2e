import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { connect, runMigrations } from '@platform/db';
import { createTestDatabase } from '@platform/testing';
import { schema } from '../src/db/index.ts';
import { createDedup, fingerprintOf } from '../src/ingestion/dedup.ts';
import { sql } from './helper.ts';

const migrations = path.resolve(import.meta.dirname, '../drizzle');

test('message ids claimed in the old index stay claimed after migration 0013', async (t) => {
  const db = await createTestDatabase();
  const older = await mkdtemp(path.join(tmpdir(), 'migrations-'));
  t.after(async () => {
    await rm(older, { recursive: true, force: true });
    await db.drop();
  });
  // The schema before the blocks: every migration up to 0012.
  await cp(migrations, older, { recursive: true });
  const journalPath = path.join(older, 'meta/_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8'));
  journal.entries = journal.entries.filter(
    (e: { tag: string }) => e.tag !== '0013_message_id_blocks',
  );
  assert.equal(journal.entries.at(-1).tag, '0012_write_xid');
  await writeFile(journalPath, JSON.stringify(journal));
  await runMigrations(db.url, older);

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

  await runMigrations(db.url, migrations);
  const [gone] = await sql(db.url, `select to_regclass('message_ids') as t`);
  assert.equal(gone?.t, null);
  const blocks = await sql(
    db.url,
    `select length(fps) as fps, length(owners) as owners,
       created_at < now() - interval '9 days' as old
     from message_id_blocks order by id`,
  );
  assert.deepEqual(
    blocks.map((b) => [b.fps / 16, b.owners / 36, b.old]),
    [
      [5000, 5000, true],
      [5000, 5000, false],
      [2001, 2001, false],
    ],
  );

  const database = connect(db.url, schema);
  t.after(() => database.close());
  const dedup = createDedup({ maxIds: 1_000_000 });
  const claim = (claims: { fp: string; owner: string | null }[]) =>
    database.db.transaction(async (tx) => (await dedup.claim(tx, claims)).won);
  // Old queue rows carry the key itself: the writer hashes it (fingerprintOf).
  const fps = keys.map(fingerprintOf);
  const lostBy = (won: boolean[]) => won.filter((w) => !w).length;

  // Another event's copy of any of them loses.
  assert.equal(lostBy(await claim(fps.map((fp) => ({ fp, owner: randomUUID() })))), n);
  // An event that owned its id in the old index wins it back when its write is tried again.
  const owned = fps.flatMap((fp, i) => (owners[i] ? [{ fp, owner: owners[i] }] : []));
  assert.ok((await claim(owned)).every(Boolean), 'every owner wins its own id');
  // Ids never claimed are free.
  const fresh = ['client:u:user-1:other', 'segment:new'].map((k) => ({
    fp: fingerprintOf(k),
    owner: randomUUID(),
  }));
  assert.deepEqual(await claim(fresh), [true, true]);

  // A block keeps the time of its newest id: past DEDUP_DAYS the first block goes, the second
  // (500 old ids, 4500 recent) stays whole — no recent id is forgotten early.
  await dedup.prune(database.db, new Date(Date.now() - 7 * 86_400_000));
  const again = await claim(fps.map((fp) => ({ fp, owner: randomUUID() })));
  assert.deepEqual(
    [again.slice(0, 5000).every(Boolean), again.slice(5000).some(Boolean)],
    [true, false],
  );
});
