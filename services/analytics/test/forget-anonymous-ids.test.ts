// A client's anonymous id that is the signed-in user's own id (SDKs set it so after `identify`):
// what keeps it as text — a destination's delivery, an ingestion dead letter — is rewritten by the
// same text rewrite as the user's id anywhere else. The stores: store-contract.ts; the writer:
// forget-queued-events.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { unlinkDeliveries, unlinkedForSending } from '../src/destinations/forget.ts';
import type { Delivery } from '../src/destinations/repository.ts';
import { unlinkDeadLetters } from '../src/ingestion/dead-letters.ts';
import { forgottenUser } from './forgetting.ts';
import { buildTestAnalytics } from './helper.ts';

const t = await buildTestAnalytics();

/** A destination's payload of another user's event, sent under `anonymousId`. */
const payload = (anonymousId: string) => ({
  event: 'page.viewed',
  userId: 'u-other',
  anonymousId,
  properties: { path: '/a' },
});

test("a delivery's anonymous id that is the user's id, in any case, is rewritten and sent as the pseudonym", async () => {
  const user = await forgottenUser(t);
  const upper = user.userId.toUpperCase();
  const eventId = `web:${randomUUID()}`;
  await t.sql(
    `insert into destination_deliveries (destination, event_id, event, payload)
      values ('crm', $1, 'page.viewed', $2)`,
    [eventId, JSON.stringify(payload(upper))],
  );
  await unlinkDeliveries(t.database.db, [user]);
  const [row] = await t.sql('select payload from destination_deliveries where event_id = $1', [
    eventId,
  ]);
  assert.deepEqual(row?.payload, payload(user.pseudonym));

  // One claimed before a pass came: sent under the pseudonym all the same.
  const [sent] = await unlinkedForSending(t.database.db, [
    { id: 1, event: 'page.viewed', payload: payload(upper) } as unknown as Delivery,
  ]);
  assert.deepEqual(sent?.payload, payload(user.pseudonym));
});

test("an ingestion dead letter's anonymous id that is the user's id is rewritten", async () => {
  const user = await forgottenUser(t);
  const item = JSON.stringify([
    {
      id: `web:${randomUUID()}`,
      event: 'page.viewed',
      source: 'web',
      userId: null,
      anonymousId: user.userId.toUpperCase(),
      properties: '{}',
      timestamp: new Date().toISOString(),
    },
  ]);
  await t.sql(
    `insert into ingestion_dead_letters (queue_seq, kind, item, error) values (1, 'event', $1, 'refused')`,
    [item],
  );
  await unlinkDeadLetters(t.database.db, [user]);
  const letters = await t.sql('select item from ingestion_dead_letters where item like $1', [
    `%${user.pseudonym}%`,
  ]);
  assert.equal(letters.length, 1);
  assert.equal(JSON.parse(letters[0]?.item as string)[0].anonymousId, user.pseudonym);
});
