import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { unlinkDeliveries, unlinkedForSending } from '../src/destinations/forget.ts';
import type { Delivery } from '../src/destinations/repository.ts';
import { forgottenUser } from './forgetting.ts';
import { buildTestAnalytics, sql } from './helper.ts';

/**
 * At send time the worker looks up the ids a batch's payloads mention: every one of them, an id
 * written right after UUID-like text (`aaaaaaaa-aaaa-aaaa-aaaa-aaaa<id>`) too, which a scan
 * for UUIDs read as part of the text before it; that delivery went out with the real id.
 */

const t = await buildTestAnalytics();

test('a deleted user named right after UUID-like text is sent under the pseudonym', async () => {
  const { userId: user, pseudonym } = await forgottenUser(t);
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
  const { userId: user, pseudonym } = await forgottenUser(t);
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

test('an id in upper or mixed case is the same UUID: sent, and kept pending, under the pseudonym', async () => {
  // Clients often upper-case a UUID (Swift's `uuidString`): the lookup of the ids a payload
  // mentions and the passes' rewrite of pending deliveries both read it as the user's id.
  const { userId: user, pseudonym } = await forgottenUser(t);
  const mixed = `${user.toUpperCase().slice(0, 18)}${user.slice(18)}`;
  const properties = { ref: user.toUpperCase(), by: mixed };
  const delivery = {
    id: 3,
    destination: 'crm',
    eventId: 'e-3',
    event: 'f.event',
    payload: { type: 'track', properties },
  } as unknown as Delivery;
  const [sent] = await unlinkedForSending(t.database.db, [delivery]);
  assert.deepEqual(sent?.payload.properties, { ref: pseudonym, by: pseudonym });
  await sql(
    t.databaseUrl,
    `insert into destination_deliveries (destination, event_id, event, payload)
      values ('crm', 'e-4', 'f.event', $1)`,
    [JSON.stringify({ type: 'track', properties })],
  );
  await unlinkDeliveries(t.database.db, [{ userId: user, pseudonym }]);
  const [pending] = await sql(
    t.databaseUrl,
    "select payload from destination_deliveries where event_id = 'e-4'",
  );
  assert.deepEqual(pending?.payload.properties, { ref: pseudonym, by: pseudonym });
});

test("a delivery's own userId upper-cased is the user's: sent, and kept pending, under the pseudonym", async () => {
  // A Segment backend's `userId: "ABCD…"` reaches the destinations as sent.
  const { userId: user, pseudonym } = await forgottenUser(t);
  const payload = { type: 'track', userId: user.toUpperCase(), event: 'Order Completed' };
  const delivery = {
    id: 5,
    destination: 'crm',
    eventId: 'e-5',
    event: 'Order Completed',
    payload,
  } as unknown as Delivery;
  const [sent] = await unlinkedForSending(t.database.db, [delivery]);
  assert.equal(sent?.payload.userId, pseudonym);
  await sql(
    t.databaseUrl,
    `insert into destination_deliveries (destination, event_id, event, payload)
      values ('crm', 'e-6', 'Order Completed', $1)`,
    [JSON.stringify(payload)],
  );
  await unlinkDeliveries(t.database.db, [{ userId: user, pseudonym }]);
  const [pending] = await sql(
    t.databaseUrl,
    "select payload from destination_deliveries where event_id = 'e-6'",
  );
  assert.equal(pending?.payload.userId, pseudonym);
});
