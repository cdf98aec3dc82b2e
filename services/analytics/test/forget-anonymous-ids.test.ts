// A client's anonymous id that is the signed-in user's own id (SDKs set it so after `identify`):
// what keeps it as text — a destination's delivery, an ingestion dead letter — is rewritten by the
// same text rewrite as the user's id anywhere else; a link of it to another user goes with the
// user's own links. The stores: store-contract.ts; the writer: forget-queued-events.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { unlinkDeliveries, unlinkedForSending } from '../src/destinations/forget.ts';
import type { Delivery } from '../src/destinations/repository.ts';
import { unlinkDeadLetters } from '../src/ingestion/dead-letters-unlink.ts';
import { forgetPending } from '../src/ingestion/forget.ts';
import { forgetting, forgottenUser } from './forgetting.ts';
import { bearer, buildTestAnalytics, userDeleted } from './helper.ts';

const t = await buildTestAnalytics();
const { passContext } = forgetting(t);

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

test("a link of the user's id, as an anonymous id, to another user goes with the deletion", async () => {
  // A device where the deleted user signed in, then another: their id, as the anonymous id,
  // linked to the other user, was listed in that user's profile and stitched to them.
  const user = await t.user();
  const other = await t.user();
  const link = (anonymousId: string) =>
    t.sql(`insert into identity_links (anonymous_id, user_id, via) values ($1, $2, 'identify')`, [
      anonymousId,
      other.id,
    ]);
  const linksOf = async () =>
    (
      await t.sql(
        'select anonymous_id from identity_links where user_id = $1 order by anonymous_id',
        [other.id],
      )
    ).map((r) => r.anonymous_id as string);
  await link(user.id.toUpperCase());
  await link('anon-kept');
  assert.equal((await userDeleted(t, user.id)).statusCode, 202);
  assert.deepEqual(await linksOf(), ['anon-kept']);

  // Made again during the grace time (a backend's late identify), in mixed case: the next pass.
  const mixed = `${user.id.toUpperCase().slice(0, 18)}${user.id.slice(18)}`;
  await link(mixed);
  await forgetPending(passContext());
  assert.deepEqual(await linksOf(), ['anon-kept']);
  const profile = await t.app.inject({
    url: `/analytics/v1/profiles/${other.id}`,
    headers: bearer(t.adminToken),
  });
  assert.ok(!profile.body.toLowerCase().includes(user.id), profile.body);
});
