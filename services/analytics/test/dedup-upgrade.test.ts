import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { createTestDatabase, migrateBefore } from '@platform/testing';
import pino from 'pino';
import { readConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/index.ts';
import { requeue } from '../src/ingestion/dead-letters.ts';
import { clientKey, fingerprint } from '../src/ingestion/dedup.ts';
import { createPointNumbers, numbered } from '../src/ingestion/point-numbers.ts';
import { insertRows } from '../src/ingestion/queue.ts';
import { trackedRow } from '../src/ingestion/queue-rows.ts';
import { createWriter } from '../src/ingestion/writer.ts';
import type { QueuedEvent } from '../src/store/types.ts';
import { eventsStore, SERVICE_TOKEN, sql } from './helper.ts';

/**
 * What the previous version left behind when migration 0013 runs (review): dead letters and
 * queue rows whose items hold their message id's key, and queue rows it had not claimed yet.
 * Each must be written exactly once by the new writer.
 */

const migrations = path.resolve(import.meta.dirname, '../drizzle');
/** Clean-ups of the running test, undone last first (the pool before its database). */
let cleanups: (() => Promise<void>)[] = [];

/** A database at the schema before 0013, and a function migrating it to the newest. */
async function oldDatabase(t: { after: (fn: () => Promise<void>) => void }) {
  const db = await createTestDatabase();
  const mine = [() => db.drop()];
  cleanups = mine;
  t.after(async () => {
    for (const undo of mine.reverse()) await undo();
  });
  await migrateBefore(db.url, migrations, '0013');
  return db.url;
}

/** Claims keys as the old version did: 128 bits of the key's SHA-256, with the owning event. */
const claimOld = (url: string, claims: [key: string, owner: string][]) =>
  sql(
    url,
    `insert into message_ids (hash, owner)
     select encode(substring(sha256(convert_to(k, 'UTF8')) for 16), 'hex')::uuid, o
     from unnest($1::text[], $2::uuid[]) as x(k, o)`,
    [claims.map((c) => c[0]), claims.map((c) => c[1])],
  );

/** Migrates to the newest schema and runs a writer; resolves to what it wrote. */
async function newVersion(url: string) {
  const database = await openDatabase(url);
  const written: QueuedEvent[] = [];
  const config = readConfig({
    DATABASE_URL: url,
    AUTH_URL: 'http://127.0.0.1:9',
    SERVICE_TOKEN,
    WRITER_INTERVAL_MS: '20',
  });
  const writer = createWriter({
    db: database.db,
    store: eventsStore('influxdb', async (events) => {
      written.push(...events.map((e) => ({ ...e })));
    }),
    config,
    log: pino({ level: 'silent' }),
  });
  writer.start();
  cleanups.push(async () => {
    await writer.close();
    await database.close();
  });
  return { db: database.db, writer, written };
}

/** An item as the old writer set it aside (queue.ts eventsRow form, its key included). */
const oldItem = (id: string, key: string) => ({
  id,
  event: 'old.refused',
  source: 'client',
  userId: 'user-u',
  anonymousId: null,
  properties: '{}',
  timestamp: new Date().toISOString(),
  time: Date.now(),
  key,
});

test('a dead letter the previous version set aside with its key is written when replayed', async (t) => {
  const url = await oldDatabase(t);
  // Its event took its id (losers are never written, so never refused), then the store refused it.
  const id = randomUUID();
  const key = clientKey('user-u', null, 'refused-1');
  await claimOld(url, [[key, id]]);
  const [letter] = await sql(
    url,
    `insert into ingestion_dead_letters (queue_seq, kind, item, error)
     values (1, 'event', $1, 'refused') returning id::int as id`,
    [JSON.stringify([oldItem(id, key)])],
  );
  const next = await newVersion(url);
  assert.equal(await requeue(next.db, letter!.id, createPointNumbers(next.db)), true);
  await next.writer.drained();
  assert.deepEqual(
    next.written.map((e) => e.id),
    [id],
  );
});

test('a replay the previous version queued with its key is written after the upgrade', async (t) => {
  const url = await oldDatabase(t);
  const id = randomUUID();
  const key = clientKey('user-u', null, 'replayed-1');
  await claimOld(url, [[key, id]]);
  await sql(url, `insert into queue (kind, item) values ('event', $1)`, [
    JSON.stringify([oldItem(id, key)]),
  ]);
  const next = await newVersion(url);
  await next.writer.drained();
  assert.deepEqual(
    next.written.map((e) => e.id),
    [id],
  );
});

test('a row the previous writer had not claimed yet claims all its ids after the upgrade', async (t) => {
  const url = await oldDatabase(t);
  // Another row took 'a' (written and gone); this later row, queued while the store was down and
  // not yet claimed, holds a copy of 'a' and a new id 'c'.
  await claimOld(url, [[clientKey('user-u', null, 'a'), randomUUID()]]);
  const base = randomUUID();
  await sql(url, `insert into queue (kind, item) values ('track', $1)`, [
    JSON.stringify([
      'user-u',
      Date.now(),
      base,
      [
        ['old.copy', null, null, { n: 'a' }, clientKey('user-u', null, 'a')],
        ['old.copy', null, null, { n: 'c' }, clientKey('user-u', null, 'c')],
      ],
    ]),
  ]);
  const next = await newVersion(url);
  await next.writer.drained();
  assert.deepEqual(
    next.written.map((e) => JSON.parse(e.properties as string).n),
    ['c'],
  );
  // The client sends 'c' again: a copy, dropped.
  await insertRows(
    next.db,
    await numbered(
      [
        trackedRow({ userId: 'user-u', receivedAt: Date.now(), idBase: randomUUID() }, [
          {
            event: 'old.copy',
            anonymousId: null,
            time: null,
            propertiesJson: '{"n":"c again"}',
            key: fingerprint(clientKey('user-u', null, 'c')),
          },
        ]),
      ],
      createPointNumbers(next.db),
    ),
  );
  await next.writer.drained();
  assert.deepEqual(
    next.written.map((e) => JSON.parse(e.properties as string).n),
    ['c'],
  );
});
