import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { unlinkedForSending } from '../src/destinations/forget.ts';
import type { Delivery } from '../src/destinations/repository.ts';
import { buildTestAnalytics, sql } from './helper.ts';

/**
 * At send time the worker looks up the ids a batch's payloads mention: every one of them, an id
 * written right after UUID-like text (`aaaaaaaa-aaaa-aaaa-aaaa-aaaa<id>`) too, which a scan
 * for UUIDs read as part of the text before it; that delivery went out with the real id.
 */

const t = await buildTestAnalytics();

test('a deleted user named right after UUID-like text is sent under the pseudonym', async () => {
  const user = randomUUID();
  const pseudonym = `deleted-${randomUUID()}`;
  await sql(t.databaseUrl, 'insert into forgotten_users (user_id, pseudonym) values ($1, $2)', [
    user,
    pseudonym,
  ]);
  const delivery = {
    id: 1,
    destination: 'crm',
    eventId: 'e-1',
    event: 'f.event',
    payload: { type: 'track', properties: { ref: `aaaaaaaa-aaaa-aaaa-aaaa-aaaa${user}` } },
  } as unknown as Delivery;
  const [sent] = await unlinkedForSending(t.database.db, [delivery]);
  assert.deepEqual(sent?.payload.properties, { ref: `aaaaaaaa-aaaa-aaaa-aaaa-aaaa${pseudonym}` });
});

test('a batch mentioning more UUIDs than a statement takes parameters is looked up whole', async () => {
  // A domain event may list many ids (up to the 5 MB body): one parameter each made the lookup
  // fail past 65,535, and with it every claim of the batch, again at each lease's end.
  const user = randomUUID();
  const pseudonym = `deleted-${randomUUID()}`;
  await sql(t.databaseUrl, 'insert into forgotten_users (user_id, pseudonym) values ($1, $2)', [
    user,
    pseudonym,
  ]);
  const members = Array.from({ length: 70_000 }, () => randomUUID());
  const delivery = {
    id: 2,
    destination: 'crm',
    eventId: 'e-2',
    event: 'group.deleted',
    payload: { type: 'track', properties: { members: [...members, user] } },
  } as unknown as Delivery;
  const [sent] = await unlinkedForSending(t.database.db, [delivery]);
  const out = sent?.payload.properties as { members: string[] };
  assert.equal(out.members.at(-1), pseudonym);
  assert.equal(out.members.length, members.length + 1);
});
